// Package madang wires Madang into a PocketBase app, in one place, in the
// order the parts rely on: the access layer and realtime delivery first
// (every later hook and route shows records through them), then boards
// content and users (hooks), chat, AI, and the community features built on them. main.go, the test apps, the
// benchmarks and the tests all call Bind, so they run the same app.
package madang

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/ai"
	"madang/chat"
	"madang/community"
	"madang/hooks"
	"madang/internal/access"
	"madang/internal/centrifugo"
	"madang/internal/metrics"
	"madang/internal/realtime"
	"madang/internal/sqlite"
	"madang/internal/txn"
)

// Bind binds every Madang hook, route and background service to app. Call
// it once, before the app serves (or before tests drive it).
func Bind(app core.App) {
	sqlite.Bind(app)   // checkpoints off the write path, while serving
	txn.Bind(app)      // writes and what commits with them: one transaction, started at the statement
	access.Bind(app)   // private fields, guarded expand, checked filters and sorts
	realtime.Bind(app) // bounded SSE clients with write deadlines
	hooks.Register(app)
	chat.Register(app)
	ai.Register(app)
	community.Register(app) // notifications, reports, the moderation log… follow the others' writes
	centrifugo.Bind(app)    // the optional Centrifugo realtime tier (MADANG_CENTRIFUGO_*), off when unset
	metrics.Bind(app)       // reads the others' counts; times every request and SQLite write
}
