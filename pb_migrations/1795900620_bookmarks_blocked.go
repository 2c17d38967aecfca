package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// A bookmark shows only while its owner can read the post, and the posts
// read rule hides the posts of those the requester blocked (notBlocked):
// the bookmarks rules say the same, so a blocked author's post does not
// come back through "my bookmarks".
const bookmarkNotBlocked = ` && (@request.auth.role = "admin" || post.author = "" || @request.auth.blocking !~ post.author)`

func init() {
	m.Register(func(app core.App) error {
		bookmarks, err := app.FindCollectionByNameOrId("bookmarks")
		if err != nil {
			return err
		}
		rule := communityOwner + ` && ` + postReadableFrom("post") + bookmarkNotBlocked
		bookmarks.ListRule, bookmarks.ViewRule = types.Pointer(rule), types.Pointer(rule)
		return app.Save(bookmarks)
	}, func(app core.App) error {
		bookmarks, err := app.FindCollectionByNameOrId("bookmarks")
		if err != nil {
			return err
		}
		rule := communityOwner + ` && ` + postReadableFrom("post")
		bookmarks.ListRule, bookmarks.ViewRule = types.Pointer(rule), types.Pointer(rule)
		return app.Save(bookmarks)
	})
}
