package hooks_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

// Deleting a post or a comment deletes, through PocketBase's cascade, the
// comments and likes that hang from it, and every deleted record's stored
// files with it; nothing else's files.

// filesDir is where a record's uploads live in the local storage.
func filesDir(t testing.TB, app core.App, collection, id string) string {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(app.DataDir(), "storage", c.Id, id)
}

// storedFiles counts the uploads under dir (0 when dir is gone), not the
// .attrs side-car the local storage writes next to each.
func storedFiles(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) != ".attrs" {
			n++
		}
		return nil
	})
	return n
}

// attached uploads a record with files through the API and checks that its
// files reached the storage.
type attached struct {
	collection, id string
	files          int
}

func uploadRecord(t *testing.T, app *tests.TestApp, base, collection, role string, fields map[string]string, files int) attached {
	t.Helper()
	res := upload(t, http.MethodPost, base+"/api/collections/"+collection+"/records", testapp.Token(role), fields, "attachments", files, 10)
	if res.Status != 200 || res.Body["is_file_attached"] != true {
		t.Fatalf("upload a %s as %s: %d %s", collection, role, res.Status, res.Raw)
	}
	a := attached{collection, res.Body["id"].(string), files}
	if got := storedFiles(filesDir(t, app, collection, a.id)); got != files {
		t.Fatalf("%s %s: %d files stored, want %d", collection, a.id, got, files)
	}
	return a
}

// expectFilesGone waits for PocketBase's background delete of the records'
// storage dirs, then checks that the survivors kept their files.
func expectFilesGone(t *testing.T, app core.App, gone []attached, kept []attached) {
	t.Helper()
	for _, a := range gone {
		dir := filesDir(t, app, a.collection, a.id)
		eventually(t, 5*time.Second, func() bool {
			_, err := os.Stat(dir)
			return os.IsNotExist(err)
		}, "%s %s: %d files left in %s", a.collection, a.id, storedFiles(dir), dir)
		if _, err := app.FindRecordById(a.collection, a.id); err == nil {
			t.Errorf("%s %s survived", a.collection, a.id)
		}
	}
	for _, a := range kept {
		if got := storedFiles(filesDir(t, app, a.collection, a.id)); got != a.files {
			t.Errorf("%s %s: %d files left, want %d: it was not deleted", a.collection, a.id, got, a.files)
		}
		if _, err := app.FindRecordById(a.collection, a.id); err != nil {
			t.Errorf("%s %s was deleted: %v", a.collection, a.id, err)
		}
	}
}

func TestFilesCascadePostDelete(t *testing.T) {
	app, base := served(t)
	members := testapp.ID(testapp.BoardMembers)

	post := uploadRecord(t, app, base, "posts", testapp.Gina,
		map[string]string{"board": members, "title": "첨부 글", "content": "파일 둘"}, 2)
	comment := uploadRecord(t, app, base, "comments", testapp.Alice,
		map[string]string{"post": post.id, "content": "사진 댓글"}, 1)
	reply := uploadRecord(t, app, base, "comments", testapp.Bob,
		map[string]string{"post": post.id, "parent": comment.id, "content": "답글 사진"}, 2)
	hidden := uploadRecord(t, app, base, "comments", testapp.Alice,
		map[string]string{"post": post.id, "content": "숨길 댓글", "is_visible": "false"}, 1)
	if r := testapp.Call(t, http.MethodPost, base+likesURL, testapp.Token(testapp.Alice),
		map[string]string{"post": post.id, "user": testapp.ID(testapp.Alice)}); r.Status != 200 {
		t.Fatalf("like: %d %s", r.Status, r.Raw)
	}
	// another post with a commented file: it must keep everything
	other := uploadRecord(t, app, base, "posts", testapp.Gina,
		map[string]string{"board": members, "title": "남는 글", "content": "c"}, 1)
	otherComment := uploadRecord(t, app, base, "comments", testapp.Alice,
		map[string]string{"post": other.id, "content": "남는 댓글"}, 1)
	testapp.AssertCounts(t, app)

	if r := testapp.Call(t, http.MethodDelete, base+postsURL+"/"+post.id, testapp.Token(testapp.Gina), nil); r.Status != 204 {
		t.Fatalf("delete the post: %d %s", r.Status, r.Raw)
	}
	for _, table := range []string{"comments", "post_likes"} {
		if n, err := app.CountRecords(table, dbx.HashExp{"post": post.id}); err != nil || n != 0 {
			t.Errorf("%d %s of the deleted post left (%v)", n, table, err)
		}
	}
	expectFilesGone(t, app, []attached{post, comment, reply, hidden}, []attached{other, otherComment})
	testapp.AssertCounts(t, app)
}

func TestFilesCascadeCommentDelete(t *testing.T) {
	app, base := served(t)
	post := uploadRecord(t, app, base, "posts", testapp.Gina,
		map[string]string{"board": testapp.ID(testapp.BoardPublic), "title": "글", "content": "c"}, 1)
	comment := uploadRecord(t, app, base, "comments", testapp.Alice,
		map[string]string{"post": post.id, "content": "댓글"}, 1)
	replies := []attached{
		uploadRecord(t, app, base, "comments", testapp.Bob,
			map[string]string{"post": post.id, "parent": comment.id, "content": "답글 1"}, 2),
		uploadRecord(t, app, base, "comments", testapp.Gina,
			map[string]string{"post": post.id, "parent": comment.id, "content": "답글 2"}, 1),
	}
	sibling := uploadRecord(t, app, base, "comments", testapp.Bob,
		map[string]string{"post": post.id, "content": "다른 댓글"}, 1)
	siblingReply := uploadRecord(t, app, base, "comments", testapp.Alice,
		map[string]string{"post": post.id, "parent": sibling.id, "content": "다른 답글"}, 1)

	// alice deletes her comment: bob's and gina's replies go with it
	if r := testapp.Call(t, http.MethodDelete, base+commentsURL+"/"+comment.id, testapp.Token(testapp.Alice), nil); r.Status != 204 {
		t.Fatalf("delete the comment: %d %s", r.Status, r.Raw)
	}
	if n, err := app.CountRecords("comments", dbx.HashExp{"parent": comment.id}); err != nil || n != 0 {
		t.Errorf("%d replies of the deleted comment left (%v)", n, err)
	}
	expectFilesGone(t, app, append([]attached{comment}, replies...), []attached{post, sibling, siblingReply})
	if got := countOf(t, app, "posts", post.id, "comments_count"); got != 2 {
		t.Errorf("comments_count = %d, want 2 (the sibling and its reply)", got)
	}
	testapp.AssertCounts(t, app)
}
