package migrations

import (
	"fmt"
	"strings"

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
		return rewriteSessionRule(app, "update", ownerEdits, ownerEditsOpen)
	}, func(app core.App) error {
		return rewriteSessionRule(app, "update", ownerEditsOpen, ownerEdits)
	})
}

// rewriteSessionRule replaces old with new in the chat_sessions rule of
// action ("update" or "delete"); a rule without old (an operator rewrote
// it) is an error, not a rule left as it was.
func rewriteSessionRule(app core.App, action, old, new string) error {
	sessions, err := app.FindCollectionByNameOrId("chat_sessions")
	if err != nil {
		return err
	}
	rules := map[string]**string{"update": &sessions.UpdateRule, "delete": &sessions.DeleteRule}
	target, ok := rules[action]
	if !ok {
		return fmt.Errorf("no chat_sessions rule for action %q", action)
	}
	if *target == nil || !strings.Contains(**target, old) {
		return fmt.Errorf("the chat_sessions %s rule does not have the owner's part %q: rewrite it by hand", action, old)
	}
	rule := strings.Replace(**target, old, new, 1)
	*target = &rule
	return app.Save(sessions)
}
