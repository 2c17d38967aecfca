package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// A category's board is fixed for every writer by a record hook
// (access.Fixed in community/boards.go: 400 fixed_field, superusers too),
// as posts.board and comments.post are. The update rule's own
// `@request.body.board:changed = false` held for admins only, with a bare
// 404, while a superuser moved a category, and the posts that carried it,
// to another board; it goes, so an admin is told why too.
const categoryBoardUnchanged = ` && @request.body.board:changed = false`

func init() {
	m.Register(func(app core.App) error {
		return setCategoryUpdateRule(app, communityAdmin)
	}, func(app core.App) error {
		return setCategoryUpdateRule(app, communityAdmin+categoryBoardUnchanged)
	})
}

func setCategoryUpdateRule(app core.App, rule string) error {
	categories, err := app.FindCollectionByNameOrId("board_categories")
	if err != nil {
		return err
	}
	categories.UpdateRule = types.Pointer(rule)
	return app.Save(categories)
}
