package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Likes of an anonymous post are anonymous too: their readers are the
// liker and admins, as the post's writer is hidden from everyone else
// (anonymous_author). Until 2026-12-03 anyone who read the post could list
// who liked it. likes_count counts them all, as before.
const anonymousLikes = ` && (post.anonymous_author = "" || user = @request.auth.id || @request.auth.role = "admin")`

func init() {
	m.Register(func(app core.App) error {
		return rewriteLikesReadRules(app, func(rule string) string { return andClause(rule, anonymousLikes, true) })
	}, func(app core.App) error {
		return rewriteLikesReadRules(app, func(rule string) string { return withoutClause(rule, anonymousLikes, true) })
	})
}

// rewriteLikesReadRules rewrites post_likes' list and view rules (a nil
// rule stays nil).
func rewriteLikesReadRules(app core.App, rewrite func(rule string) string) error {
	likes, err := app.FindCollectionByNameOrId("post_likes")
	if err != nil {
		return err
	}
	for _, rule := range []**string{&likes.ListRule, &likes.ViewRule} {
		if *rule != nil {
			r := rewrite(**rule)
			*rule = &r
		}
	}
	return app.Save(likes)
}
