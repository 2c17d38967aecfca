package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// An anonymous commenter's number (익명1, 익명2 …) is kept on the post,
// given once, at their first comment: posts.anonymous_commenters maps
// writer → number. Until 2026-12-03 the numbers were counted from the
// comments still there, so deleting a comment renumbered the others and
// 익명1 could become someone else (the contract: "stable per author within
// one post"). The numbers of existing posts are counted once here, as they
// were shown.
func init() {
	m.Register(func(app core.App) error {
		posts, err := app.FindCollectionByNameOrId("posts")
		if err != nil {
			return err
		}
		posts.Fields.Add(&core.JSONField{Name: "anonymous_commenters", Hidden: true, MaxSize: 1 << 20,
			Help: "Server-set: on an anonymous board, each commenter's number (writer id → n, shown as 익명n), given at their first comment."})
		if err := app.Save(posts); err != nil {
			return err
		}
		_, err = app.DB().NewQuery(`UPDATE {{posts}} SET [[anonymous_commenters]] = (
				SELECT json_group_object([[w]], [[n]]) FROM (
					SELECT [[anonymous_author]] AS [[w]], ROW_NUMBER() OVER (ORDER BY MIN([[created]]), MIN([[id]])) AS [[n]]
					FROM {{comments}} WHERE [[post]] = {{posts}}.[[id]] AND [[anonymous_author]] != ''
						AND [[anonymous_author]] != {{posts}}.[[anonymous_author]]
					GROUP BY [[anonymous_author]]))
			WHERE EXISTS (SELECT 1 FROM {{comments}} WHERE [[post]] = {{posts}}.[[id]] AND [[anonymous_author]] != ''
				AND [[anonymous_author]] != {{posts}}.[[anonymous_author]])`).Execute()
		return err
	}, func(app core.App) error {
		posts, err := app.FindCollectionByNameOrId("posts")
		if err != nil {
			return err
		}
		posts.Fields.RemoveByName("anonymous_commenters")
		return app.Save(posts)
	})
}
