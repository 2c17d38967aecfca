package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// commentsSearchSQL gives comments the trigram index posts have had from
// the start (1795900100, postsSearchSQL), for GET /api/comments/search:
// the words a member remembers are as often in a comment as in a post, and
// a Korean board's search offers 댓글 beside 제목+내용. The same shape:
// triggers keep it inside every write's transaction, whatever the write
// path; comments_search_rowid gives each comment a stable integer rowid.
// Existing comments are indexed in the migration's transaction (measured:
// 0.9 s for 100,000 comments of about 35 characters on this 2-core
// machine).
var commentsSearchSQL = []string{
	`CREATE TABLE comments_search_rowid (rowid INTEGER PRIMARY KEY, comment TEXT NOT NULL UNIQUE)`,
	`CREATE VIRTUAL TABLE comments_search USING fts5(content, content='', contentless_delete=1, tokenize='trigram')`,
	`CREATE TRIGGER comments_search_insert AFTER INSERT ON comments BEGIN
		INSERT INTO comments_search_rowid (comment) VALUES (new.id);
		INSERT INTO comments_search (rowid, content) VALUES (last_insert_rowid(), new.content);
	END`,
	`CREATE TRIGGER comments_search_update AFTER UPDATE OF content ON comments BEGIN
		UPDATE comments_search SET content = new.content
			WHERE rowid = (SELECT rowid FROM comments_search_rowid WHERE comment = new.id);
	END`,
	`CREATE TRIGGER comments_search_delete AFTER DELETE ON comments BEGIN
		DELETE FROM comments_search WHERE rowid = (SELECT rowid FROM comments_search_rowid WHERE comment = old.id);
		DELETE FROM comments_search_rowid WHERE comment = old.id;
	END`,
	// oldest first, so the index's order is the comments' (newest first
	// without sorting every match)
	`INSERT INTO comments_search_rowid (comment) SELECT id FROM comments ORDER BY created, id`,
	`INSERT INTO comments_search (rowid, content)
		SELECT s.rowid, c.content FROM comments c JOIN comments_search_rowid s ON s.comment = c.id`,
}

var commentsSearchDownSQL = []string{
	`DROP TRIGGER IF EXISTS comments_search_insert`,
	`DROP TRIGGER IF EXISTS comments_search_update`,
	`DROP TRIGGER IF EXISTS comments_search_delete`,
	`DROP TABLE IF EXISTS comments_search`,
	`DROP TABLE IF EXISTS comments_search_rowid`,
}

func init() {
	m.Register(func(app core.App) error {
		return execAll(app, commentsSearchSQL)
	}, func(app core.App) error {
		return execAll(app, commentsSearchDownSQL)
	})
}
