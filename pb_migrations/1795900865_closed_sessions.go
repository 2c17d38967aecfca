package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A closed session is read-only (contract, Chat): its owner no longer
// renames it, describes it or changes its members, and the owner of a
// support session does not reopen it — closing one is a moderator's
// decision too, and until 2026-12-03 a member undid an admin's close of
// their support chat by reopening it, and a closed group was still renamed
// and joined. What changes a closed session is reopening it, alone: by the
// admins for a support session (their rule is unchanged: open or close,
// nothing else), by its owner for a group (only its owner closes a group).
const (
	ownerEdits = `(owner = @request.auth.id && (kind = "group" || @request.body.members:isset = false))`

	ownerEditsOpen = `(owner = @request.auth.id && ((is_closed = false && (kind = "group" || @request.body.members:isset = false)) || ` +
		`(is_closed = true && kind = "group" && @request.body.is_closed:isset = true && @request.body.is_closed = false && ` +
		`@request.body.name:changed = false && @request.body.information:changed = false && @request.body.members:changed = false)))`
)

func init() {
	m.Register(func(app core.App) error {
		return replaceInRule(app, "chat_sessions", "update", ownerEdits, ownerEditsOpen)
	}, func(app core.App) error {
		return replaceInRule(app, "chat_sessions", "update", ownerEditsOpen, ownerEdits)
	})
}
