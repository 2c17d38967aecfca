package migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Catch-up of 1795900830, edited after it landed (e07f286): its block
// check went from the notice's actor alone to the actor and the writer of
// the notice's post. A data dir that ran the first text (95e0d32 to
// 2bf6daa, 2026-12-03) kept it, PocketBase running a migration file once:
// its members still read the notices under a post by someone they blocked
// (a reply to their comment there), which the comments rules hide. The
// check changes in place in the notifications read rules, so what later
// migrations added around it (1795900866) stays; a data dir that ran the
// present text has nothing to change. Nothing to undo on the way down:
// 1795900830's own revert sets the rules without either check.
const (
	reachBlockBefore = ` && (actor = "" || @request.auth.role = "admin" || @request.auth.blocking !~ actor)`
	reachBlockNow    = ` && (@request.auth.role = "admin" || ((actor = "" || @request.auth.blocking !~ actor) && ` +
		`(post = "" || post.author = "" || @request.auth.blocking !~ post.author)))` // notificationReach's end
)

func init() {
	m.Register(func(app core.App) error {
		notifications, err := app.FindCollectionByNameOrId("notifications")
		if err != nil {
			return err
		}
		changed := false
		for _, rule := range []**string{&notifications.ListRule, &notifications.ViewRule} {
			if *rule != nil && strings.Contains(**rule, reachBlockBefore) {
				r := strings.ReplaceAll(**rule, reachBlockBefore, reachBlockNow)
				*rule, changed = &r, true
			}
		}
		if !changed {
			return nil
		}
		return app.Save(notifications)
	}, nil)
}
