package migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Catch-up of 1795900002, edited after it landed (f74ad8d): its reset
// mail's link went from the dashboard's page to the web client's. A data
// dir made before that (2026-11-29) ran 1795900001 with the first text and,
// PocketBase running a migration file once, kept mailing the dashboard's
// link. The link changes in place, so a template an operator reworded keeps
// its words; one that links elsewhere, or already to the web client (every
// newer data dir), is left as it is. Nothing to undo on the way down:
// 1795900001's own revert puts PocketBase's template back.
const (
	resetLinkBefore = `href="{APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}"`
	resetLinkNow    = `href="{APP_URL}/#/reset-password/{TOKEN}"` // resetPasswordTemplate's
)

func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		body := users.ResetPasswordTemplate.Body
		if !strings.Contains(body, resetLinkBefore) {
			return nil
		}
		users.ResetPasswordTemplate.Body = strings.ReplaceAll(body, resetLinkBefore, resetLinkNow)
		return app.Save(users)
	}, nil)
}
