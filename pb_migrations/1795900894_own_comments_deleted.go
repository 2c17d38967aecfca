package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A writer can always remove what they wrote: the comments delete rule no
// longer asks that the writer can still read the post. Until 2026-12-03 a
// member whose grant to a board was revoked, or whose post's board was
// hidden, could not delete their own comments there (the export lists
// them), and kept them only by deleting their account.
const commentDeleteReadsPost = ` && ((post.board.is_visible = true && (post.board.read = "public" || ` +
	`(post.board.read = "members" && @request.auth.id != "") || (post.board.read = "granted" && @request.auth.boards.id ?= post.board))) && ` +
	`(post.is_visible = true || (@request.auth.id != "" && (post.author = @request.auth.id || post.anonymous_author = @request.auth.id))))`

// commentWriter is the part of the rule before it, which says who wrote
// the comment.
const commentWriter = `(author = @request.auth.id || anonymous_author = @request.auth.id))`

func init() {
	m.Register(func(app core.App) error {
		return replaceInRule(app, "comments", "delete", commentWriter+commentDeleteReadsPost, commentWriter)
	}, func(app core.App) error {
		return replaceInRule(app, "comments", "delete", commentWriter, commentWriter+commentDeleteReadsPost)
	})
}
