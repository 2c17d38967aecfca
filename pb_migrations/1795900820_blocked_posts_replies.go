package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The comments and likes rules read "whoever can read the post" as the
// post's board and visibility, not as its writer: a member who blocked
// someone no longer read that someone's post, yet still listed, viewed and
// heard live the comments and likes under it. Their read rules now also
// leave out the posts of writers the requester blocked, as the posts rules
// do (notBlocked); anonymous posts (no author) stay readable to all.
const postNotBlocked = ` && (@request.auth.id = "" || @request.auth.role = "admin" || post.author = "" || @request.auth.blocking !~ post.author)`

func init() {
	m.Register(func(app core.App) error {
		return eachPostChildReadRule(app, func(rule string) string { return andClause(rule, postNotBlocked, false) })
	}, func(app core.App) error {
		return eachPostChildReadRule(app, func(rule string) string { return withoutClause(rule, postNotBlocked, false) })
	})
}

// eachPostChildReadRule rewrites the list and view rules of comments and
// post_likes (a nil rule stays nil).
func eachPostChildReadRule(app core.App, rewrite func(rule string) string) error {
	for _, name := range []string{"comments", "post_likes"} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		for _, rule := range []**string{&c.ListRule, &c.ViewRule} {
			if *rule != nil {
				r := rewrite(**rule)
				*rule = &r
			}
		}
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
