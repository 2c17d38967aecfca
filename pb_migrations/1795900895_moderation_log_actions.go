package migrations

import (
	"fmt"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// moderationLogActions are the moderation log's actions this migration
// adds: a moderator's delete and edit of a member's post, comment or
// message, a board's creation and deletion, and a change of a user's role.
// Until 2026-12-04 none of these was logged.
var moderationLogActions = []string{"delete", "edit", "board_create", "board_delete", "role_change"}

// The way down takes the values out of the field; the entries using them
// stay (the log is never rewritten), and read as before.
func init() {
	m.Register(func(app core.App) error {
		return setModerationLogActions(app, func(values []string) []string {
			for _, v := range moderationLogActions {
				if !slices.Contains(values, v) {
					values = append(values, v)
				}
			}
			return values
		})
	}, func(app core.App) error {
		return setModerationLogActions(app, func(values []string) []string {
			return slices.DeleteFunc(values, func(v string) bool { return slices.Contains(moderationLogActions, v) })
		})
	})
}

func setModerationLogActions(app core.App, change func(values []string) []string) error {
	log, err := app.FindCollectionByNameOrId("moderation_log")
	if err != nil {
		return err
	}
	action, ok := log.Fields.GetByName("action").(*core.SelectField)
	if !ok {
		return fmt.Errorf("moderation_log has no select field action")
	}
	action.Values = change(slices.Clone(action.Values))
	return app.Save(log)
}
