package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A support session is a moderator's record of what was said: only a
// superuser (the dashboard) deletes it, with its messages. Until
// 2026-12-03 the member who opened one deleted it, and with it every
// message an admin might have needed as evidence. Its owner and the admins
// close it instead; a group is still deleted by its owner.
const (
	ownerDeletes      = `owner = @request.auth.id`
	ownerDeletesGroup = `owner = @request.auth.id && kind = "group"`
)

func init() {
	m.Register(func(app core.App) error {
		return replaceInRule(app, "chat_sessions", "delete", ownerDeletes, ownerDeletesGroup)
	}, func(app core.App) error {
		return replaceInRule(app, "chat_sessions", "delete", ownerDeletesGroup, ownerDeletes)
	})
}
