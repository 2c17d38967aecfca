package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The serving process looks every second for users saved since its last
// look (realtime.FollowUsersSavedElsewhere: the CLI's bans, sign-outs and
// grants reach its open connections); without this index each look read
// every user.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.AddIndex("idx_users_updated", false, "updated", "")
		return app.Save(users)
	}, func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.RemoveIndex("idx_users_updated")
		return app.Save(users)
	})
}
