package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A member who blocked a post's writer no longer comments under it
// (1795900871), yet still edited the comments they wrote there before the
// block, and so kept talking in the blocked member's thread. The comments
// update rule now leaves out the blocked writers' posts too (postNotBlocked,
// as the read and create rules); the refusal is the rule's 404, the same as
// for a missing comment (the blocker no longer reads it either). The delete
// rule stays as it was: a writer can always remove what they wrote (likes
// and bookmarks have no update, and their deletes, unlike and
// un-bookmark, stay too).
func init() {
	m.Register(func(app core.App) error {
		return rewriteCommentUpdateRule(app, func(rule string) string { return andClause(rule, postNotBlocked, true) })
	}, func(app core.App) error {
		return rewriteCommentUpdateRule(app, func(rule string) string { return withoutClause(rule, postNotBlocked, true) })
	})
}

// rewriteCommentUpdateRule rewrites the comments update rule (a nil rule
// stays nil).
func rewriteCommentUpdateRule(app core.App, rewrite func(rule string) string) error {
	comments, err := app.FindCollectionByNameOrId("comments")
	if err != nil {
		return err
	}
	if comments.UpdateRule != nil {
		r := rewrite(*comments.UpdateRule)
		comments.UpdateRule = &r
	}
	return app.Save(comments)
}
