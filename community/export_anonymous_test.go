package community_test

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"madang/community"
	"madang/internal/testapp"
)

// TestExportShowsAnonymousWritingToItsWriter: a member's export shows their
// own posts and comments on an anonymous board as the list and view APIs
// show them to the writer — author (themself) and anonymous_label — and
// nobody else's export holds them, or anything that names the writer of
// someone else's anonymous post or comment: not the records, not a
// notice, not an expand. Until 2026-12-07 the export wrote its records
// without the enrich step, with author "" and no label.
func TestExportShowsAnonymousWritingToItsWriter(t *testing.T) {
	app := testapp.New(t) // no content: each export holds only what the test writes
	base := testapp.Serve(t, app)
	board := testapp.ID(testapp.BoardPublic)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"anonymous": true}, 200)

	post := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": board, "title": "익명 고민", "content": "익명으로 씁니다"}, 200).Body["id"].(string)
	aliceComment := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Alice,
		map[string]any{"post": post, "content": "글쓴이 댓글"}, 200).Body["id"].(string)
	bobComment := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
		map[string]any{"post": post, "content": "밥의 익명 댓글"}, 200).Body["id"].(string)
	bobPost := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Bob,
		map[string]any{"board": board, "title": "밥의 익명 글", "content": "본문"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPost, "/api/collections/post_likes/records", testapp.Gina, map[string]any{"post": post, "user": gina}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/bookmarks/records", testapp.Gina, map[string]any{"post": post}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/post_likes/records", testapp.Alice, map[string]any{"post": bobPost, "user": alice}, 200)
	for _, id := range []string{post, bobPost} {
		if r, err := app.FindRecordById("posts", id); err != nil || r.GetString("author") != "" {
			t.Fatalf("post %s on the anonymous board: %v %v", id, r, err)
		}
	}
	// alice's export holds the notice of bob's comment (checked below to name nobody)
	if n, _ := mustCall(t, base, http.MethodGet, "/api/users/me/export", testapp.Alice, nil, 200).Body["notifications"].([]any); len(n) == 0 {
		t.Fatalf("alice's export has no notice of bob's anonymous comment")
	}

	// what each member wrote, as their export shows it: id → label
	mine := map[string]map[string]map[string]string{
		testapp.Alice: {"posts": {post: community.LabelAnonymous}, "comments": {aliceComment: community.LabelWriter}},
		testapp.Bob:   {"posts": {bobPost: community.LabelAnonymous}, "comments": {bobComment: community.LabelAnonymous + "1"}},
		testapp.Gina:  {"posts": {}, "comments": {}},
	}
	for _, query := range []string{"", "?expand=author,post,post.author"} {
		for who, want := range mine {
			r := mustCall(t, base, http.MethodGet, "/api/users/me/export"+query, who, nil, 200)
			for collection, labels := range want {
				list, _ := r.Body[collection].([]any)
				var got []string
				for _, it := range list {
					rec := it.(map[string]any)
					got = append(got, rec["id"].(string))
					if rec["author"] != testapp.ID(who) || rec["anonymous_label"] != labels[rec["id"].(string)] {
						t.Errorf("%s's export%s shows %s %s with author %q, anonymous_label %v; want %q, %q",
							who, query, collection, rec["id"], rec["author"], rec["anonymous_label"], testapp.ID(who), labels[rec["id"].(string)])
					}
				}
				wantIDs := slices.Sorted(maps.Keys(labels))
				slices.Sort(got)
				if !slices.Equal(got, wantIDs) {
					t.Errorf("%s's export%s: %s %q, want %q", who, query, collection, got, wantIDs)
				}
			}
			// nothing names another writer: the anonymous writers stay
			// hidden, in records, notices and expands alike
			for other := range mine {
				if other != who && strings.Contains(r.Raw, testapp.ID(other)) {
					t.Errorf("%s's export%s names %s: %s", who, query, other, r.Raw)
				}
			}
			for _, hidden := range []string{"anonymous_author", "anonymous_commenters"} {
				if strings.Contains(r.Raw, hidden) {
					t.Errorf("%s's export%s shows %s: %s", who, query, hidden, r.Raw)
				}
			}
		}
	}
	// an expand goes through the same layer: gina sees the post she liked
	// as everyone but its writer does
	likes, _ := mustCall(t, base, http.MethodGet, "/api/users/me/export?expand=post", testapp.Gina, nil, 200).Body["post_likes"].([]any)
	var liked map[string]any
	if len(likes) == 1 {
		expand, _ := likes[0].(map[string]any)["expand"].(map[string]any)
		liked, _ = expand["post"].(map[string]any)
	}
	if liked == nil || liked["author"] != "" || liked["anonymous_label"] != community.LabelAnonymous {
		t.Errorf("gina's export?expand=post: the liked post is %v", liked)
	}
}
