package migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A notice about a chat message names the message (notifications.message):
// its quote follows that message's edits, hide and delete (community,
// registerNotifications). Until 2026-12-03 it named only its session, and
// the quote was found by its text: any member who wrote the same words and
// then edited or hid their own message rewrote or emptied the notices
// quoting someone else's, under that someone's name.
//
// The relation is not cascade-deleted: a "chat" notice stands for "new
// messages here" until read, and the first message going does not make
// the later ones read; a message's delete empties its notices' quote and
// this field in the delete's transaction (so PocketBase has no reference
// left to unset one record at a time).
//
// Notices written before name their message where one is certain: a
// message of their session, by their actor, whose text is their quote
// (clipped as notices clip it), the one written closest to the notice.
// Among several such messages the pick can be wrong, but only between the
// actor's own identical messages, and a later edit then changes their own
// words. A notice whose quote no message matches (emptied by a hide or a
// delete, or already rewritten through the old text match) names none and
// keeps its text: no one's edit reaches it any more.
func init() {
	m.Register(func(app core.App) error {
		notifications, err := app.FindCollectionByNameOrId("notifications")
		if err != nil {
			return err
		}
		chats, err := app.FindCollectionByNameOrId("chats")
		if err != nil {
			return err
		}
		// beside session, where the dashboard and the types show it
		at := slices.IndexFunc(notifications.Fields, func(f core.Field) bool { return f.GetName() == "session" }) + 1
		notifications.Fields.AddAt(at, &core.RelationField{Name: "message", CollectionId: chats.Id, MaxSelect: 1,
			Help: "The chat message a chat or mention notice is about (a chat notice: the first unread message); emptied when it is deleted."})
		notifications.AddIndex("idx_notifications_message", false, "message", "")
		if err := app.Save(notifications); err != nil {
			return err
		}
		_, err = app.DB().NewQuery(`UPDATE {{notifications}} SET [[message]] = COALESCE((
				SELECT [[c.id]] FROM {{chats}} [[c]]
				WHERE [[c.session]] = {{notifications}}.[[session]] AND [[c.author]] = {{notifications}}.[[actor]]
					AND (CASE WHEN length([[c.content]]) > 300 THEN substr([[c.content]], 1, 299) || '…' ELSE [[c.content]] END)
						= {{notifications}}.[[text]]
				ORDER BY abs(julianday([[c.created]]) - julianday({{notifications}}.[[created]])), [[c.id]]
				LIMIT 1), '')
			WHERE [[kind]] IN ('chat', 'mention') AND [[session]] != '' AND [[actor]] != '' AND [[text]] != ''`).Execute()
		return err
	}, func(app core.App) error {
		notifications, err := app.FindCollectionByNameOrId("notifications")
		if err != nil {
			return err
		}
		notifications.RemoveIndex("idx_notifications_message")
		notifications.Fields.RemoveByName("message")
		return app.Save(notifications)
	})
}
