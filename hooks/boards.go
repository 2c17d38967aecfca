package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

func registerBoards(app core.App) {
	access.ServerKept(app, access.CollectionNameBoards, "posts_count")
	access.DefaultTrue(app, access.CollectionNameBoards, "is_visible") // boards are public by intent
	access.KeepOnNull(app, access.CollectionNameBoards, "anonymous")
	access.KeepOnNull(app, access.CollectionNameBoards, "category_required")
	// information too: until 2026-12-07 `boards create --info` stored an
	// escape sequence as sent, which cleared the screen of a CLI reader
	access.Trimmed(app, access.CollectionNameBoards, "name", "information")
	access.Names(app, access.CollectionNameBoards, "name")
	access.BindEnrich(app, access.CollectionNameBoards, func(e *core.RecordEnrichEvent) error {
		e.Record.WithCustomData(true)
		e.Record.Set("can_write", access.CanWriteBoard(e.Record, e.RequestInfo.Auth))
		return e.Next()
	})
}
