package testapp

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// Content fixtures, written by WithContent on every fixture board, all by
// gina (who can read every board but the hidden one):
//
//	VisiblePost(b)      visible post, liked by gina (LikeOf(b))
//	  VisibleComment(b)   visible comment
//	    Reply(b)          visible reply to it
//	  HiddenComment(b)    hidden comment
//	HiddenPost(b)       hidden post
//	  CommentOnHidden(b)  visible comment
//
// So each board has posts_count 1, its visible post comments_count 2 and
// likes_count 1, its hidden post comments_count 1.
func VisiblePost(board string) string     { return ID("pv" + board) }
func HiddenPost(board string) string      { return ID("ph" + board) }
func VisibleComment(board string) string  { return ID("cv" + board) }
func Reply(board string) string           { return ID("cr" + board) }
func HiddenComment(board string) string   { return ID("ch" + board) }
func CommentOnHidden(board string) string { return ID("co" + board) }
func LikeOf(board string) string          { return ID("lk" + board) }

// Boards lists every fixture board.
var Boards = []string{BoardPublic, BoardMembers, BoardGranted, BoardAdmins, BoardGrantW, BoardHidden}

// ContentFactory fits tests.ApiScenario.TestAppFactory: Factory plus the
// content fixtures, which are written once per test binary (WithContent)
// and then copied, as the other fixtures are.
func ContentFactory(t testing.TB) *tests.TestApp {
	t.Helper()
	app, err := newContentApp()
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// NewWithContent is New plus the content fixtures.
func NewWithContent(t testing.TB) *tests.TestApp {
	t.Helper()
	app := ContentFactory(t)
	t.Cleanup(app.Cleanup)
	return app
}

var (
	contentOnce  sync.Once
	contentFiles map[string][]byte // data dir with content: relative path -> bytes
	contentErr   error
)

// newContentApp is newApp (same hooks) restarted on a copy of the content
// data dir. The copy is kept in memory rather than in a second template
// dir, which nothing would remove at the end of the test binary.
func newContentApp() (*tests.TestApp, error) {
	contentOnce.Do(func() { contentFiles, contentErr = buildContentFiles() })
	if contentErr != nil {
		return nil, contentErr
	}
	app, err := newApp()
	if err != nil {
		return nil, err
	}
	if err := swapData(app, contentFiles); err != nil {
		app.Cleanup()
		return nil, err
	}
	return app, nil
}

// swapData closes app's databases, replaces its data dir's files by files
// and opens them again.
func swapData(app *tests.TestApp, files map[string][]byte) error {
	if err := app.ResetBootstrapState(); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		stale, _ := filepath.Glob(filepath.Join(app.DataDir(), "*.db"+suffix))
		for _, f := range stale {
			os.Remove(f)
		}
	}
	for rel, b := range files {
		path := filepath.Join(app.DataDir(), rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return app.Bootstrap()
}

func buildContentFiles() (map[string][]byte, error) {
	app, err := newApp()
	if err != nil {
		return nil, err
	}
	defer app.Cleanup()
	if err := WithContent(app); err != nil {
		return nil, fmt.Errorf("writing the content fixtures: %w", err)
	}
	dir := app.DataDir()
	if err := app.ResetBootstrapState(); err != nil { // closes the databases
		return nil, err
	}
	files := map[string][]byte{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[rel], err = os.ReadFile(path)
		return err
	})
	return files, err
}

// WithContent writes the content fixtures through app.Save, so every
// model hook (counters, derived fields) runs as for real data.
func WithContent(app core.App) error {
	return app.RunInTransaction(func(tx core.App) error {
		for _, b := range Boards {
			steps := []struct {
				collection, id string
				fields         map[string]any
			}{
				{"posts", VisiblePost(b), map[string]any{"board": ID(b), "title": "visible on " + b, "is_visible": true}},
				{"posts", HiddenPost(b), map[string]any{"board": ID(b), "title": "hidden on " + b, "is_visible": false}},
				{"comments", VisibleComment(b), map[string]any{"post": VisiblePost(b), "is_visible": true}},
				{"comments", Reply(b), map[string]any{"post": VisiblePost(b), "parent": VisibleComment(b), "is_visible": true}},
				{"comments", HiddenComment(b), map[string]any{"post": VisiblePost(b), "is_visible": false}},
				{"comments", CommentOnHidden(b), map[string]any{"post": HiddenPost(b), "is_visible": true}},
				{"post_likes", LikeOf(b), map[string]any{"post": VisiblePost(b), "user": ID(Gina)}},
			}
			for _, s := range steps {
				if s.collection != "post_likes" {
					s.fields["author"] = ID(Gina)
					s.fields["content"] = "fixture " + s.id
				}
				if _, err := save(tx, s.collection, s.id, s.fields); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// CreatePost saves a visible post through the app (all model hooks run).
// author is a user id, or "" for none.
func CreatePost(t testing.TB, app core.App, boardID, author, title string) *core.Record {
	t.Helper()
	r, err := save(app, "posts", "", map[string]any{
		"board": boardID, "author": author, "title": title, "content": "content of " + title, "is_visible": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// CreateComment saves a visible comment through the app; parent may be "".
func CreateComment(t testing.TB, app core.App, postID, author, parent string) *core.Record {
	t.Helper()
	r, err := save(app, "comments", "", map[string]any{
		"post": postID, "author": author, "parent": parent, "content": "a comment", "is_visible": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// CreateLike saves a like of postID by userID through the app.
func CreateLike(t testing.TB, app core.App, postID, userID string) *core.Record {
	t.Helper()
	r, err := save(app, "post_likes", "", map[string]any{"post": postID, "user": userID})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// CreateMembers saves n members named prefix0..prefixN-1 (password
// Password) and returns their records and auth tokens.
func CreateMembers(t testing.TB, app core.App, prefix string, n int) ([]*core.Record, []string) {
	t.Helper()
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	// bcrypt is slow by design: reuse alice's hash (same password) rather
	// than hashing n times
	alice, err := app.FindRecordById(users, ID(Alice))
	if err != nil {
		t.Fatal(err)
	}
	hash := alice.GetRaw(core.FieldNamePassword).(*core.PasswordFieldValue).Hash
	records := make([]*core.Record, n)
	tokens := make([]string, n)
	err = app.RunInTransaction(func(tx core.App) error {
		for i := range n {
			u := core.NewRecord(users)
			name := fmt.Sprintf("%s%d", prefix, i)
			u.SetEmail(name + "@example.com")
			u.SetRaw(core.FieldNamePassword, &core.PasswordFieldValue{Hash: hash})
			u.SetVerified(true)
			u.Set("name", name)
			if err := tx.Save(u); err != nil {
				return fmt.Errorf("user %s: %w", name, err)
			}
			token, err := u.NewAuthToken()
			if err != nil {
				return err
			}
			records[i], tokens[i] = u, token
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return records, tokens
}

func save(app core.App, collection, id string, fields map[string]any) (*core.Record, error) {
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	r := core.NewRecord(c)
	if id != "" {
		r.Id = id
	}
	r.Load(fields)
	if err := app.Save(r); err != nil {
		return nil, fmt.Errorf("saving %s %s: %w", collection, id, err)
	}
	return r, nil
}

// AssertCounts checks every stored counter (boards.posts_count,
// posts.comments_count, posts.likes_count) against a recount of the rows,
// and returns how many counters it checked.
func AssertCounts(t testing.TB, app core.App) int {
	t.Helper()
	var rows []struct {
		Kind string `db:"kind"`
		ID   string `db:"id"`
		Got  int    `db:"got"`
		Want int    `db:"want"`
	}
	err := app.DB().NewQuery(`
		SELECT 'boards.posts_count' AS kind, b.id AS id, b.posts_count AS got,
			(SELECT COUNT(*) FROM posts p WHERE p.board = b.id AND p.is_visible) AS want FROM boards b
		UNION ALL
		SELECT 'posts.comments_count', p.id, p.comments_count,
			(SELECT COUNT(*) FROM comments c WHERE c.post = p.id AND c.is_visible) FROM posts p
		UNION ALL
		SELECT 'posts.likes_count', p.id, p.likes_count,
			(SELECT COUNT(*) FROM post_likes l WHERE l.post = p.id) FROM posts p`).All(&rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Got != r.Want {
			t.Errorf("%s of %s = %d, rows say %d", r.Kind, r.ID, r.Got, r.Want)
		}
	}
	return len(rows)
}

// SaveRecord saves a record of collection with fields (an "id" among them
// sets its id) through the app, so every model hook runs, and returns it.
func SaveRecord(t testing.TB, app core.App, collection string, fields map[string]any) *core.Record {
	t.Helper()
	id, _ := fields["id"].(string)
	r, err := save(app, collection, id, fields)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
