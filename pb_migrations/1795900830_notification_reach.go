package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// A notice is read while its owner still reaches what it is about. A
// notice quotes its post's title, comment or message (notifications.text);
// until 2026-12-03 it kept quoting after its owner lost the board (a
// revoked grant, a board made stricter or hidden) or the chat (removed,
// left), and kept showing what someone did after its owner blocked them,
// though the owner could no longer read any of it. The read rules now add
// the posts rules' board check (through post.board), the chats rules'
// session check (through session) and the posts rules' block check, on
// actor and on the post's writer, as the comments rules (a comment under
// a blocked member's post is not read either); anonymous writers are
// nobody's actor and no post's author, so a block never tells who wrote. A hidden post or comment still leaves its notices in place
// without their text (community, registerNotifications). /api/notifications/unread
// counts through the same rule.
const notificationReach = ` && (post = "" || @request.auth.role = "admin" || (post.board.is_visible = true && (` +
	`post.board.read = "public" || post.board.read = "members" || ` +
	`(post.board.read = "granted" && @request.auth.boards.id ?= post.board))))` +
	` && (session = "" || session.members.id ?= @request.auth.id || (session.kind = "support" && @request.auth.role = "admin"))` +
	` && (@request.auth.role = "admin" || ((actor = "" || @request.auth.blocking !~ actor) && ` +
	`(post = "" || post.author = "" || @request.auth.blocking !~ post.author)))`

func init() {
	m.Register(func(app core.App) error {
		return setNotificationReadRules(app, `@request.auth.id != "" && user = @request.auth.id`+notificationReach)
	}, func(app core.App) error {
		return setNotificationReadRules(app, `@request.auth.id != "" && user = @request.auth.id`)
	})
}

func setNotificationReadRules(app core.App, rule string) error {
	notifications, err := app.FindCollectionByNameOrId("notifications")
	if err != nil {
		return err
	}
	notifications.ListRule = types.Pointer(rule)
	notifications.ViewRule = types.Pointer(rule)
	return app.Save(notifications)
}
