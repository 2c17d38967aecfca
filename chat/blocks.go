package chat

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// bindBlocks drops a blocker's cached access answers at each block and
// unblock, once it committed: the rules hide the sessions owned by whom a
// member blocked (pb_migrations/1795900866_blocked_owners_groups.go), so a
// block changes what they may read, though no session and no users
// record is saved (community keeps users.blocking with SQL). Their
// WebSockets joined to such a session close, as for a removed member.
func (h *hub) bindBlocks(app core.App) {
	changed := func(e *core.RecordEvent) error {
		// the blocker, and the one before when a superuser moved the block
		for _, id := range slices.Compact([]string{e.Record.GetString("user"), e.Record.Original().GetString("user")}) {
			if id == "" {
				continue // a create's blank original
			}
			if user, err := e.App.FindRecordById(access.CollectionNameUsers, id); err == nil {
				h.userChanged(user)
			}
		}
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess(access.CollectionNameBlocks).BindFunc(changed)
	app.OnRecordAfterUpdateSuccess(access.CollectionNameBlocks).BindFunc(changed)
	app.OnRecordAfterDeleteSuccess(access.CollectionNameBlocks).BindFunc(changed)
}
