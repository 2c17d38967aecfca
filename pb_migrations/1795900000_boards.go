package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Board access levels. The read rule below is the single source of truth for
// "can read board"; hooks.CanWriteBoard mirrors it for the computed can_write.
const boardReadRule = `@request.auth.role = "admin" || (is_visible = true && (` +
	`read = "public" || ` +
	`(read = "members" && @request.auth.id != "") || ` +
	`(read = "granted" && @request.auth.boards.id ?= id)))`

func init() {
	m.Register(func(app core.App) error {
		boards := core.NewBaseCollection("boards")
		boards.ListRule = types.Pointer(boardReadRule)
		boards.ViewRule = types.Pointer(boardReadRule)
		adminOnly := `@request.auth.role = "admin"`
		boards.CreateRule = types.Pointer(adminOnly)
		boards.UpdateRule = types.Pointer(adminOnly)
		boards.DeleteRule = types.Pointer(adminOnly)

		boards.Fields.Add(
			&core.TextField{Name: "name", Required: true, Min: 1, Max: 128, Presentable: true,
				Help: "Shown to users; unique."},
			&core.TextField{Name: "information", Max: 512, Help: "A short description of the board."},
			&core.BoolField{Name: "is_visible",
				Help: "Unchecked = hidden: invisible and closed to everyone but admins."},
			&core.SelectField{Name: "read", Required: true, MaxSelect: 1,
				Values: []string{"public", "members", "granted"},
				Help:   "Who can read: everyone, signed-in users, or users granted this board."},
			&core.SelectField{Name: "write", Required: true, MaxSelect: 1,
				Values: []string{"members", "granted", "admins"},
				Help:   "Who can post: signed-in readers, granted users, or admins only."},
			&core.NumberField{Name: "posts_count", OnlyInt: true, Min: types.Pointer(0.0),
				Help: "Server-maintained count of visible posts; edits are ignored."},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		boards.AddIndex("idx_boards_name", true, "name COLLATE NOCASE", "")
		return app.Save(boards)
	}, func(app core.App) error {
		boards, err := app.FindCollectionByNameOrId("boards")
		if err != nil {
			return err
		}
		return app.Delete(boards)
	})
}
