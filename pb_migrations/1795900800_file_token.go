package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The attachments of posts and comments are protected: a download needs a
// file token (CONTRACT.md, Posts), and only signed-in users get one.
// PocketBase's download checks a protected file against the record's view
// rule with the token's user, and a guest passes the view rule of a post on
// a public board: without a token, its files downloaded. PocketBase runs
// that check with @request.context = "protectedFile", so the view rule
// itself now says that a download needs a user; lists, views, expands and
// realtime (other contexts) read the rule as before.
const fileNeedsUser = ` && (@request.context != "protectedFile" || @request.auth.id != "")`

func init() {
	m.Register(func(app core.App) error {
		return eachAttachmentsViewRule(app, func(rule string) string { return andClause(rule, fileNeedsUser, true) })
	}, func(app core.App) error {
		return eachAttachmentsViewRule(app, func(rule string) string { return withoutClause(rule, fileNeedsUser, true) })
	})
}

// eachAttachmentsViewRule rewrites the view rule of posts and comments (a
// nil rule, superusers only, stays nil).
func eachAttachmentsViewRule(app core.App, rewrite func(rule string) string) error {
	for _, name := range []string{"posts", "comments"} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		if c.ViewRule != nil {
			rule := rewrite(*c.ViewRule)
			c.ViewRule = &rule
		}
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
