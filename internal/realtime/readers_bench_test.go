package realtime_test

import (
	"net/http"
	"testing"

	"madang/internal/testapp"
)

// BenchmarkCommentWithPostReaders is a member's comment (the web client's
// POST /api/collections/comments/records) while 300 members read posts,
// each page following what the web client's post page follows: the post,
// its comments (comments/* with filter post = ID), its board and the
// reader's own account. spread: the readers are on 30 posts of one board,
// 10 each, and the comments go round those posts; hot: all 300 read the
// post commented on. A comment's create event and its post's new counters
// are decided for every reader it may reach before the request answers.
// Measured 2026-12-04 (2 cores, p50 of 150 requests): spread 57–110 ms
// when PocketBase's broadcast ran every reader's rule, 5.8–7.3 ms since
// the filter is asked first; hot 82 against 87 ms.
func BenchmarkCommentWithPostReaders(b *testing.B) {
	app := testapp.NewWithContent(b)
	base := testapp.Serve(b, app)
	board := testapp.ID(testapp.BoardPublic)
	var posts []string
	for range 30 {
		posts = append(posts, testapp.CreatePost(b, app, board, testapp.ID(testapp.Gina), "읽히는 글").Id)
	}
	members, tokens := testapp.CreateMembers(b, app, "reader", 300)
	readers := make([]*testapp.SSE, len(tokens))
	page := func(i int, post string) []string {
		return []string{"posts/" + post,
			withOptions("comments/*", map[string]string{"filter": `post = "` + post + `"`}),
			"boards/" + board, "users/" + members[i].Id}
	}
	for i, token := range tokens {
		readers[i] = testapp.OpenSSE(b, base, token, page(i, posts[i%len(posts)])...)
		go func() {
			for range readers[i].Events { // a reader that keeps reading
			}
		}()
	}
	comment := func(b *testing.B, post string) {
		r := testapp.Call(b, http.MethodPost, base+"/api/collections/comments/records", testapp.Token(testapp.Alice),
			map[string]any{"post": post, "content": "좋은 글 감사합니다"})
		if r.Status != http.StatusOK {
			b.Fatalf("comment: %d %s", r.Status, r.Raw)
		}
	}
	b.Run("spread", func(b *testing.B) {
		n := 0
		for b.Loop() {
			comment(b, posts[n%len(posts)])
			n++
		}
	})
	b.Run("hot", func(b *testing.B) {
		for i, r := range readers {
			r.Subscribe(b, page(i, posts[0])...)
		}
		for b.Loop() {
			comment(b, posts[0])
		}
	})
}

// BenchmarkCommentWithBellFollowers is a member's comment on another's
// post (the web client's POST /api/collections/comments/records) while 300
// members are online elsewhere: each page's header bell follows
// notifications/* and the page its member's own record. The comment
// notifies the post's author; its event is decided for every follower
// before the request answers. Measured 2026-12-05 (2 cores): 86 ms a comment
// when each follower's check ran the notifications rule (300 queries), 3.0
// ms since access.Refused answers the other 299 from the rule's owner field.
func BenchmarkCommentWithBellFollowers(b *testing.B) {
	app := testapp.NewWithContent(b)
	base := testapp.Serve(b, app)
	members, tokens := testapp.CreateMembers(b, app, "bell", 300)
	for i, token := range tokens {
		r := testapp.OpenSSE(b, base, token, "notifications/*", "users/"+members[i].Id)
		go func() {
			for range r.Events { // a reader that keeps reading
			}
		}()
	}
	post := testapp.CreatePost(b, app, testapp.ID(testapp.BoardPublic), testapp.ID(testapp.Gina), "알림이 가는 글").Id
	for b.Loop() {
		r := testapp.Call(b, http.MethodPost, base+"/api/collections/comments/records", testapp.Token(testapp.Alice),
			map[string]any{"post": post, "content": "알림 가나요"})
		if r.Status != http.StatusOK {
			b.Fatalf("comment: %d %s", r.Status, r.Raw)
		}
	}
}
