package ai

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/realtime"
)

// partialResult is a running job's result while its model streams: the
// whole text so far, so a client may simply show the latest one.
type partialResult struct {
	Text    string `json:"text"`
	Partial bool   `json:"partial"`
}

// publishPartial sends a streaming job's text so far to the realtime
// clients subscribed to it (ai_logs/{id}, or ai_logs/*) who may view it,
// as PocketBase's own update event of the record (enrich hooks, expand,
// fields applied) with result {"text": …, "partial": true} and updated =
// now (it is newer than any stored state, the running one included).
// Partials are not stored: the database sees the same writes per job
// however long the reply.
func (s *service) publishPartial(job *core.Record, text string) {
	partial := job.Fresh()
	partial.Set("result", partialResult{Text: text, Partial: true})
	partial.SetRaw("updated", types.NowDateTime()) // Set cannot change an autodate
	// access is checked against the stored job (by id); the event shows the partial
	// each partial holds the whole text so far: a subscriber who has not
	// been sent the last one yet gets this one instead (Latest)
	realtime.Deliver(s.app, realtime.Event{Action: "update", Record: partial, Latest: true})
}
