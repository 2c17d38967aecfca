package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"madang/chat"
)

// Every group chat has an owner while it has members (chat/members.go, the
// leave's handover). Until 2026-12-03 a group whose owner deleted their
// account kept owner "" — nobody could rename, close or delete it — and
// was repaired only at its next leave; this repairs the ones there once,
// with the same handover: the member there longest becomes the owner, and
// a group with no members left is deleted with its messages. Support chats
// without owner stay, for the admins. There is nothing to undo on the way
// down: an owner is what the group would have had at its next leave.
func init() {
	m.Register(func(app core.App) error {
		return chat.HandOverOwnerless(app)
	}, nil)
}
