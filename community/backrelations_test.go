package community_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madang/internal/testapp"
)

// viaKeys lists the keys of v, at any depth outside an "expand" object,
// that name a back-relation (x_via_y): the ids PocketBase's expansion keeps
// on a record, which no client may see (access.hideBackRelationIds).
func viaKeys(v any, at string) []string {
	var found []string
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if strings.Contains(strings.ToLower(k), "_via_") {
				found = append(found, at+"."+k)
			}
			if k == "expand" {
				// what the requester may see of a relation: its records'
				// own keys are walked, the relation names are not
				if m, ok := child.(map[string]any); ok {
					for name, rel := range m {
						found = append(found, viaKeys(rel, at+".expand."+name)...)
					}
				}
				continue
			}
			found = append(found, viaKeys(child, at+"."+k)...)
		}
	case []any:
		for i, child := range v {
			found = append(found, viaKeys(child, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return found
}

// TestBackRelationIdsNeverLeave: a back-relation's expansion shows the
// requester what they may see in expand, and the raw list of related ids
// nowhere — on the records Madang enriches with computed fields (an
// anonymous post and its comments, a board, an AI model), at every depth,
// on view, list, feed, search and realtime, for every role. Until
// 2026-12-07 posts/ID?expand=notifications_via_post listed others' notices
// on an anonymous post to every member: a mention's notice count told who
// wrote it. boards?expand=users_via_boards told guests who is granted a
// board, and ais?expand=ai_logs_via_ai listed others' jobs.
func TestBackRelationIdsNeverLeave(t *testing.T) {
	app, base := server(t)
	board := testapp.ID(testapp.BoardPublic)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"anonymous": true}, 200)
	post := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": board, "title": "익명 고민 fixture", "content": "익명으로 씁니다"}, 200).Body["id"].(string)
	comment := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
		map[string]any{"post": post, "content": "@gina 보세요"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Gina,
		map[string]any{"post": post, "parent": comment, "content": "@alice 답글"}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/post_likes/records", testapp.Bob, map[string]any{"post": post, "user": bob}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/bookmarks/records", testapp.Bob, map[string]any{"post": post}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+gina, testapp.Adam, map[string]any{"boards+": testapp.ID(testapp.BoardGranted)}, 200)
	model := testapp.SaveRecord(t, app, "ais", map[string]any{"name": "tone", "kind": "text_classifier", "status": "ready", "is_visible": true}).Id
	testapp.SaveRecord(t, app, "ai_logs", map[string]any{"user": bob, "ai": model, "description": "bob's job", "status": "queued"})

	postVia := "notifications_via_post,bookmarks_via_post,post_likes_via_post,reports_via_post,comments_via_post"
	requests := []struct{ path, expand string }{
		{"/api/collections/posts/records/" + post, postVia},
		{"/api/collections/posts/records?filter=" + url.QueryEscape(`id = "`+post+`"`), postVia},
		{"/api/feed/recent", postVia},
		{"/api/posts/search?q=fixture", postVia},
		{"/api/collections/comments/records/" + comment, "notifications_via_comment,comments_via_parent"},
		{"/api/comments/search?q=" + url.QueryEscape("보세요") + "&post=" + post, "notifications_via_comment,comments_via_parent.notifications_via_comment"},
		{"/api/collections/comments/records/" + comment, "post.notifications_via_post,post.bookmarks_via_post"},
		{"/api/collections/boards/records/" + testapp.ID(testapp.BoardGranted), "users_via_boards,posts_via_board"},
		{"/api/collections/boards/records", "users_via_boards,posts_via_board"},
		{"/api/collections/ais/records/" + model, "ai_logs_via_ai"},
	}
	for _, r := range requests {
		for _, who := range []string{"", testapp.Gina, testapp.Bob, testapp.Adam} {
			sep := map[bool]string{true: "&", false: "?"}[strings.Contains(r.path, "?")]
			got := call(t, base, http.MethodGet, r.path+sep+"expand="+url.QueryEscape(r.expand), who, nil)
			if got.Status == http.StatusNotFound || got.Status == http.StatusForbidden || got.Status == http.StatusUnauthorized {
				continue // who cannot read it at all
			}
			if got.Status != http.StatusOK {
				t.Fatalf("%s expand=%s as %q: %d %s", r.path, r.expand, who, got.Status, got.Raw)
			}
			if leaked := viaKeys(got.Body, ""); len(leaked) > 0 {
				t.Errorf("%s expand=%s as %q: back-relation ids at %v: %s", r.path, r.expand, who, leaked, got.Raw)
			}
		}
	}

	// realtime: an update of the post, to a member following it with the expansions
	live := testapp.OpenSSE(t, base, token(testapp.Gina), "posts/"+post+"?options="+url.QueryEscape(`{"query":{"expand":"`+postVia+`"}}`))
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+post, testapp.Alice, map[string]any{"content": "고쳤어요"}, 200)
	if leaked := viaKeys(live.ExpectRecord(t, "posts/"+post), ""); len(leaked) > 0 {
		t.Errorf("gina's realtime update of the anonymous post: back-relation ids at %v", leaked)
	}
}
