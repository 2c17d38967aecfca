package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A member who blocked someone no longer reads that someone's posts (the
// posts rules, and 1795900820 for what is under them), yet the create
// rules of comments, likes and bookmarks still read "can read the post" as
// its board and visibility only: the blocker commented on, liked and
// bookmarked a post they got 404 for (the bookmark never showing in their
// own list). Those create rules now leave out the blocked writers' posts
// too (postNotBlocked, as the read rules); the refusal is the rule's 400,
// the same as for a missing or unreadable post.
func init() {
	m.Register(func(app core.App) error {
		return eachPostChildCreateRule(app, func(rule string) string { return andClause(rule, postNotBlocked, true) })
	}, func(app core.App) error {
		return eachPostChildCreateRule(app, func(rule string) string { return withoutClause(rule, postNotBlocked, true) })
	})
}

// eachPostChildCreateRule rewrites the create rules of comments, post_likes
// and bookmarks.
func eachPostChildCreateRule(app core.App, rewrite func(rule string) string) error {
	for _, name := range []string{"comments", "post_likes", "bookmarks"} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		if c.CreateRule != nil {
			r := rewrite(*c.CreateRule)
			c.CreateRule = &r
		}
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
