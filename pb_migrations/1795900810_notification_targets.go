package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Notices are found by what they are about: deleting a post or comment
// deletes its notices (cascade), and hiding one empties their text
// (community, registerNotifications). Without these indexes each of those
// read every notification.
func init() {
	m.Register(func(app core.App) error {
		notifications, err := app.FindCollectionByNameOrId("notifications")
		if err != nil {
			return err
		}
		notifications.AddIndex("idx_notifications_post", false, "post", "")
		notifications.AddIndex("idx_notifications_comment", false, "comment", "")
		return app.Save(notifications)
	}, func(app core.App) error {
		notifications, err := app.FindCollectionByNameOrId("notifications")
		if err != nil {
			return err
		}
		notifications.RemoveIndex("idx_notifications_post")
		notifications.RemoveIndex("idx_notifications_comment")
		return app.Save(notifications)
	})
}
