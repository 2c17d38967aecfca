// Package hooks holds the rules that PocketBase's declarative API rules cannot
// express: privileged user fields, bans, counters, derived fields and computed
// response fields. Every invariant is bound to a model-level hook so that the
// API, the dashboard and the CLI keep it alike.
package hooks

import "github.com/pocketbase/pocketbase/core"

// Register binds every Madang hook to app. Call it once, before app.Start.
func Register(app core.App) {
	registerUsers(app)
	registerBans(app)
	registerBoards(app)
	registerPosts(app)
}
