package migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Hardening (issue 11):
//   - a chat author may hide their message but not bring back one a
//     moderator hid (posts and comments already refuse this);
//   - ai_logs.attempt counts the runs of a job, so clients can tell a re-run
//     after a restart (at-least-once) and clear the partial text they showed.

// noUnhideAuthor is the chats update rule's author branch before and after.
const (
	chatAuthorBranch         = `(author = @request.auth.id && `
	chatAuthorBranchNoUnhide = `(author = @request.auth.id && (@request.body.is_visible:changed = false || is_visible = true) && `
)

func init() {
	m.Register(func(app core.App) error {
		chats, err := app.FindCollectionByNameOrId("chats")
		if err != nil {
			return err
		}
		rule := newChatRules().chatUpdate
		if !strings.Contains(rule, chatAuthorBranch) {
			return fmt.Errorf("the chats update rule has no author branch to restrict: %s", rule)
		}
		chats.UpdateRule = types.Pointer(strings.Replace(rule, chatAuthorBranch, chatAuthorBranchNoUnhide, 1))
		if err := app.Save(chats); err != nil {
			return err
		}

		logs, err := app.FindCollectionByNameOrId("ai_logs")
		if err != nil {
			return err
		}
		logs.Fields.Add(&core.NumberField{Name: "attempt", OnlyInt: true, Min: types.Pointer(0.0),
			Help: "Server-set: how many times a worker has started the job. Jobs run at least once: a job interrupted by a restart runs again from the start, with attempt one higher."})
		return app.Save(logs)
	}, func(app core.App) error {
		chats, err := app.FindCollectionByNameOrId("chats")
		if err != nil {
			return err
		}
		chats.UpdateRule = types.Pointer(newChatRules().chatUpdate)
		if err := app.Save(chats); err != nil {
			return err
		}
		logs, err := app.FindCollectionByNameOrId("ai_logs")
		if err != nil {
			return err
		}
		logs.Fields.RemoveByName("attempt")
		return app.Save(logs)
	})
}
