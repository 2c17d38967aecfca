package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// contentRules are the API rules of posts, comments and post_likes, built
// from the contract's "can read board" (the expression of boardReadRule,
// seen through a relation). Banned users never reach a rule: their requests
// answer 401 first (hooks/bans.go).
type contentRules struct {
	postRead, postCreate, postUpdate, postDelete string
	commentRead, commentCreate, commentWrite     string
	likeRead, likeCreate, likeDelete             string
}

func newContentRules() contentRules {
	const (
		signedIn = `@request.auth.collectionName = "users"`
		admin    = `@request.auth.role = "admin"`
		own      = `(@request.auth.id != "" && author = @request.auth.id)`
	)
	// boardReadable is "can read the board" (admins aside) for the board
	// reached through path ("board" from a post, "post.board" from a comment).
	boardReadable := func(path string) string {
		return `(` + path + `.is_visible = true && (` + path + `.read = "public" || ` +
			`(` + path + `.read = "members" && @request.auth.id != "") || ` +
			`(` + path + `.read = "granted" && @request.auth.boards.id ?= ` + path + `)))`
	}
	// the post a comment or like belongs to is readable: hidden posts only by their author
	postReadable := `(` + boardReadable("post.board") + ` && (post.is_visible = true || ` +
		`(@request.auth.id != "" && post.author = @request.auth.id)))`
	// noUnhide: the request does not make a hidden record visible again.
	const noUnhide = `(@request.body.is_visible:changed = false || is_visible = true)`
	return contentRules{
		postRead: admin + ` || (` + boardReadable("board") + ` && (is_visible = true || ` + own + `))`,
		// "can write on the board": admins everywhere (see README), members
		// where they can read and the board's write level lets them.
		postCreate: signedIn + ` && (` + admin + ` || (` + boardReadable("board") + ` && ` +
			`(board.write = "members" || (board.write = "granted" && @request.auth.boards.id ?= board)) && ` +
			`is_pinned = false))`,
		// The author keeps the post while they can still read its board;
		// only admins pin. Hiding is a soft delete: authors hide, only
		// admins bring back (else an author could undo a moderator's hide).
		postUpdate: admin + ` || (` + own + ` && ` + boardReadable("board") +
			` && @request.body.is_pinned:changed = false && ` + noUnhide + `)`,
		postDelete: admin + ` || (` + own + ` && ` + boardReadable("board") + `)`,

		commentRead:   admin + ` || (` + postReadable + ` && (is_visible = true || ` + own + `))`,
		commentCreate: signedIn + ` && (` + admin + ` || ` + postReadable + `)`,
		commentWrite:  admin + ` || (` + own + ` && ` + postReadable + ` && ` + noUnhide + `)`,

		likeRead:   admin + ` || ` + postReadable,
		likeCreate: signedIn + ` && user = @request.auth.id && (` + admin + ` || ` + postReadable + `)`,
		likeDelete: `@request.auth.id != "" && user = @request.auth.id`,
	}
}

// postsSearchSQL keeps a trigram full-text index of posts' title and content
// (any language, Korean included: it matches substrings, not words). The
// database maintains it with triggers, like a B-tree index, so every write
// path (API, dashboard, CLI, raw SQL) keeps it exact inside its own
// transaction. posts_search_rowid gives each post a stable integer rowid:
// the posts table's own rowid may change on VACUUM.
var postsSearchSQL = []string{
	`CREATE TABLE posts_search_rowid (rowid INTEGER PRIMARY KEY, post TEXT NOT NULL UNIQUE)`,
	`CREATE VIRTUAL TABLE posts_search USING fts5(title, content, content='', contentless_delete=1, tokenize='trigram')`,
	`CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
		INSERT INTO posts_search_rowid (post) VALUES (new.id);
		INSERT INTO posts_search (rowid, title, content) VALUES (last_insert_rowid(), new.title, new.content);
	END`,
	`CREATE TRIGGER posts_search_update AFTER UPDATE OF title, content ON posts BEGIN
		UPDATE posts_search SET title = new.title, content = new.content
			WHERE rowid = (SELECT rowid FROM posts_search_rowid WHERE post = new.id);
	END`,
	`CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
		DELETE FROM posts_search WHERE rowid = (SELECT rowid FROM posts_search_rowid WHERE post = old.id);
		DELETE FROM posts_search_rowid WHERE post = old.id;
	END`,
	`INSERT INTO posts_search_rowid (post) SELECT id FROM posts`,
	`INSERT INTO posts_search (rowid, title, content)
		SELECT s.rowid, p.title, p.content FROM posts p JOIN posts_search_rowid s ON s.post = p.id`,
}

// countersSQL keeps the counters exact the same way: each trigger is one
// atomic UPDATE … = n ± 1 inside the statement that inserts, deletes, hides
// or unhides the child row, so every write path (API, dashboard, CLI,
// cascades, raw SQL) counts, in its own transaction, and nothing is ever
// read and written back from Go. Counted: a post's visible comments and its
// likes, a board's visible posts.
var countersSQL = []string{
	`CREATE TRIGGER comments_count_insert AFTER INSERT ON comments WHEN new.is_visible BEGIN
		UPDATE posts SET comments_count = comments_count + 1 WHERE id = new.post;
	END`,
	`CREATE TRIGGER comments_count_delete AFTER DELETE ON comments WHEN old.is_visible BEGIN
		UPDATE posts SET comments_count = comments_count - 1 WHERE id = old.post;
	END`,
	`CREATE TRIGGER comments_count_update AFTER UPDATE OF is_visible, post ON comments
		WHEN old.is_visible != new.is_visible OR old.post != new.post BEGIN
		UPDATE posts SET comments_count = comments_count - 1 WHERE id = old.post AND old.is_visible;
		UPDATE posts SET comments_count = comments_count + 1 WHERE id = new.post AND new.is_visible;
	END`,
	`CREATE TRIGGER likes_count_insert AFTER INSERT ON post_likes BEGIN
		UPDATE posts SET likes_count = likes_count + 1 WHERE id = new.post;
	END`,
	`CREATE TRIGGER likes_count_delete AFTER DELETE ON post_likes BEGIN
		UPDATE posts SET likes_count = likes_count - 1 WHERE id = old.post;
	END`,
	`CREATE TRIGGER posts_count_insert AFTER INSERT ON posts WHEN new.is_visible BEGIN
		UPDATE boards SET posts_count = posts_count + 1 WHERE id = new.board;
	END`,
	`CREATE TRIGGER posts_count_delete AFTER DELETE ON posts WHEN old.is_visible BEGIN
		UPDATE boards SET posts_count = posts_count - 1 WHERE id = old.board;
	END`,
	`CREATE TRIGGER posts_count_update AFTER UPDATE OF is_visible, board ON posts
		WHEN old.is_visible != new.is_visible OR old.board != new.board BEGIN
		UPDATE boards SET posts_count = posts_count - 1 WHERE id = old.board AND old.is_visible;
		UPDATE boards SET posts_count = posts_count + 1 WHERE id = new.board AND new.is_visible;
	END`,
}

var countersDownSQL = []string{
	`DROP TRIGGER IF EXISTS comments_count_insert`,
	`DROP TRIGGER IF EXISTS comments_count_delete`,
	`DROP TRIGGER IF EXISTS comments_count_update`,
	`DROP TRIGGER IF EXISTS likes_count_insert`,
	`DROP TRIGGER IF EXISTS likes_count_delete`,
	`DROP TRIGGER IF EXISTS posts_count_insert`,
	`DROP TRIGGER IF EXISTS posts_count_delete`,
	`DROP TRIGGER IF EXISTS posts_count_update`,
}

var postsSearchDownSQL = []string{
	`DROP TRIGGER IF EXISTS posts_search_insert`,
	`DROP TRIGGER IF EXISTS posts_search_update`,
	`DROP TRIGGER IF EXISTS posts_search_delete`,
	`DROP TABLE IF EXISTS posts_search`,
	`DROP TABLE IF EXISTS posts_search_rowid`,
}

func init() {
	m.Register(func(app core.App) error {
		boards, err := app.FindCollectionByNameOrId("boards")
		if err != nil {
			return err
		}
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}

		rules := newContentRules()
		posts := newPostsCollection(rules, boards, users)
		if err := app.Save(posts); err != nil {
			return err
		}
		if err := saveCommentsCollection(app, rules, posts, users); err != nil {
			return err
		}
		if err := app.Save(newLikesCollection(rules, posts, users)); err != nil {
			return err
		}
		return execAll(app, append(postsSearchSQL, countersSQL...))
	}, func(app core.App) error {
		if err := execAll(app, append(postsSearchDownSQL, countersDownSQL...)); err != nil {
			return err
		}
		// dependents first: a collection cannot go while another refers to it
		for _, name := range []string{"post_likes", "comments", "posts"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		return nil
	})
}

func newPostsCollection(rules contentRules, boards, users *core.Collection) *core.Collection {
	posts := core.NewBaseCollection("posts")
	posts.ListRule = types.Pointer(rules.postRead)
	posts.ViewRule = types.Pointer(rules.postRead)
	posts.CreateRule = types.Pointer(rules.postCreate)
	posts.UpdateRule = types.Pointer(rules.postUpdate)
	posts.DeleteRule = types.Pointer(rules.postDelete)
	posts.Fields.Add(
		&core.RelationField{Name: "board", CollectionId: boards.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
			Help: "The board the post is on; fixed after create. Deleting the board deletes its posts."},
		&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1,
			Help: "Set by the server to the requester; a superuser may pick it. Emptied if the user is deleted."},
		&core.TextField{Name: "title", Required: true, Min: 1, Max: 200, Presentable: true,
			Help: "1–200 characters."},
		&core.TextField{Name: "content", Required: true, Min: 1, Max: 20000,
			Help: "Plain text or markdown, 1–20,000 characters."},
		&core.FileField{Name: "attachments", MaxSelect: 10, MaxSize: 20 << 20, Protected: true,
			Help: "Up to 10 files of 20 MB each; downloads need a file token of someone who can read the post."},
		&core.BoolField{Name: "is_file_attached", Help: "Derived from attachments by the server; edits are ignored."},
		&core.NumberField{Name: "views_count", OnlyInt: true, Min: types.Pointer(0.0),
			Help: "Server-maintained: one view per viewer per 24 h; edits are ignored."},
		&core.NumberField{Name: "comments_count", OnlyInt: true, Min: types.Pointer(0.0),
			Help: "Server-maintained count of visible comments; edits are ignored."},
		&core.NumberField{Name: "likes_count", OnlyInt: true, Min: types.Pointer(0.0),
			Help: "Server-maintained count of likes; edits are ignored."},
		&core.BoolField{Name: "is_visible",
			Help: "Unchecked = hidden (soft delete): only the author and admins see it; it leaves the board's count."},
		&core.BoolField{Name: "is_pinned", Help: "Pinned posts are listed first (sort=-is_pinned,-created). Admins only."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	// Every list is one board's, newest (or most liked...) first; each sort
	// the contract offers has an index that serves it without a temp B-tree.
	posts.AddIndex("idx_posts_board_created", false, "board, created", "")
	posts.AddIndex("idx_posts_board_pinned_created", false, "board, is_pinned, created", "")
	posts.AddIndex("idx_posts_board_likes", false, "board, likes_count", "")
	posts.AddIndex("idx_posts_board_views", false, "board, views_count", "")
	posts.AddIndex("idx_posts_board_comments", false, "board, comments_count", "")
	posts.AddIndex("idx_posts_created", false, "created", "")
	posts.AddIndex("idx_posts_author_created", false, "author, created", "")
	posts.AddIndex("idx_posts_board_visible_author", false, "board, is_visible, author", "")
	return posts
}

func saveCommentsCollection(app core.App, rules contentRules, posts, users *core.Collection) error {
	comments := core.NewBaseCollection("comments")
	comments.ListRule = types.Pointer(rules.commentRead)
	comments.ViewRule = types.Pointer(rules.commentRead)
	comments.CreateRule = types.Pointer(rules.commentCreate)
	comments.UpdateRule = types.Pointer(rules.commentWrite)
	comments.DeleteRule = types.Pointer(rules.commentWrite)
	comments.Fields.Add(
		&core.RelationField{Name: "post", CollectionId: posts.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
			Help: "The post commented on; fixed after create. Deleting the post deletes its comments."},
		&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1,
			Help: "Set by the server to the requester; a superuser may pick it. Emptied if the user is deleted."},
		&core.TextField{Name: "content", Required: true, Min: 1, Max: 2000, Presentable: true,
			Help: "1–2,000 characters."},
		&core.FileField{Name: "attachments", MaxSelect: 5, MaxSize: 10 << 20, Protected: true,
			Help: "Up to 5 files of 10 MB each; downloads need a file token of someone who can read the comment."},
		&core.BoolField{Name: "is_file_attached", Help: "Derived from attachments by the server; edits are ignored."},
		&core.BoolField{Name: "is_visible",
			Help: "Unchecked = hidden: only the author and admins see it; it leaves the post's comments_count."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	comments.AddIndex("idx_comments_post_created", false, "post, created", "")
	comments.AddIndex("idx_comments_author", false, "author", "")
	if err := app.Save(comments); err != nil {
		return err
	}
	// A relation to its own collection needs the collection saved first.
	comments.Fields.Add(&core.RelationField{Name: "parent", CollectionId: comments.Id, MaxSelect: 1, CascadeDelete: true,
		Help: "The comment replied to: a top-level comment of the same post (one level). Deleting it deletes its replies."})
	comments.AddIndex("idx_comments_parent", false, "parent", "")
	return app.Save(comments)
}

func newLikesCollection(rules contentRules, posts, users *core.Collection) *core.Collection {
	likes := core.NewBaseCollection("post_likes")
	likes.ListRule = types.Pointer(rules.likeRead)
	likes.ViewRule = types.Pointer(rules.likeRead)
	likes.CreateRule = types.Pointer(rules.likeCreate)
	likes.DeleteRule = types.Pointer(rules.likeDelete)
	likes.Fields.Add(
		&core.RelationField{Name: "post", CollectionId: posts.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
			Help: "The liked post. Deleting the post deletes its likes."},
		&core.RelationField{Name: "user", CollectionId: users.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
			Help: "Who likes it: always the requester. Deleting the user deletes their likes."},
		&core.AutodateField{Name: "created", OnCreate: true},
	)
	likes.AddIndex("idx_post_likes_post_user", true, "post, user", "")
	likes.AddIndex("idx_post_likes_user", false, "user", "")
	return likes
}
