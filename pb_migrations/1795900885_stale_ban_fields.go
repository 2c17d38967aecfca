package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Users who are not banned keep no ban end nor reason (hooks/bans.go
// settleBanFields, from now on). Until 2026-12-03 an unban through the API
// or the dashboard left both, and a later permanent ban would inherit the
// old end: now refused as in the past, or silently temporary. The end and
// reason of a lifted ban are of no use, so the way down keeps them cleared.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`UPDATE users SET ban_reason = '', banned_until = ''
			WHERE banned = FALSE AND (ban_reason != '' OR banned_until != '')`).Execute()
		return err
	}, nil)
}
