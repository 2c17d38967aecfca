package hooks_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madang/internal/testapp"
)

// TestBadFieldsChangeNothing: a fields parameter PocketBase cannot parse
// is refused before the route runs, 400 naming fields and the problem,
// with nothing written; until 2026-12-03 PocketBase parsed it while
// writing the answer, after the write had committed, and answered "Something
// went wrong". A good fields value still picks the answer's fields.
func TestBadFieldsChangeNothing(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	board := testapp.ID(testapp.BoardPublic)
	post := testapp.VisiblePost(testapp.BoardPublic)
	alice := testapp.Token(testapp.Alice)
	own := testapp.CreatePost(t, app, board, testapp.ID(testapp.Alice), "alice's").Id
	bad := "?fields=" + url.QueryEscape("*:excerpt(abc)")

	snap := testapp.TakeSnapshot(t, app)
	for _, c := range []struct {
		method, url string
		body        any
	}{
		{http.MethodPost, postsURL + bad, map[string]any{"board": board, "title": "t", "content": "c"}},
		{http.MethodPatch, postsURL + "/" + own + bad, map[string]any{"title": "renamed"}},
		{http.MethodPost, "/api/collections/post_likes/records" + bad, map[string]any{"post": post}},
		{http.MethodPost, "/api/notifications/read" + bad, map[string]any{"all": true}},
		{http.MethodGet, postsURL + bad, nil},
		{http.MethodGet, postsURL + "?fields=" + url.QueryEscape("id,title:nosuch"), nil},
	} {
		r := testapp.Call(t, c.method, base+c.url, alice, c.body)
		if msg, _ := r.Body["message"].(string); r.Status != 400 || !strings.HasPrefix(msg, "Invalid fields") {
			t.Errorf("%s %s: %d %s, want 400 naming fields", c.method, c.url, r.Status, r.Raw)
		}
	}
	snap.AssertUnchanged(t, app)

	r := testapp.Call(t, http.MethodPost, base+postsURL+"?fields="+url.QueryEscape("id,title:excerpt(3,true)"), alice,
		map[string]any{"board": board, "title": "a long title", "content": "c"})
	if r.Status != 200 || r.Body["title"] != "a l..." || len(r.Body) != 2 {
		t.Fatalf("a good fields value: %d %s, want the id and the excerpt of the title", r.Status, r.Raw)
	}
	if _, err := app.FindRecordById("posts", r.Body["id"].(string)); err != nil {
		t.Errorf("the post of a good fields value was not stored: %v", err)
	}
}
