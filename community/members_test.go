package community_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"madang/internal/testapp"
)

// TestBlocking: a member blocks another: the blocked one's posts, comments
// and chat messages leave the blocker's lists, views, search and realtime;
// the blocked member is not told (cannot see the block); nobody blocks an
// admin or themself; a block is the blocker's to list and remove.
func TestBlocking(t *testing.T) {
	app, base := server(t)
	bobPost := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), bob, "bob writes fixture")
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "pair", "kind": "group", "owner": alice, "members": []string{bob}})
	aliceChats := testapp.OpenSSE(t, base, token(testapp.Alice), "chats/*")

	b := mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob, "user": gina}, 200)
	if b.Body["user"] != alice {
		t.Fatalf("the block's owner was taken from the client: %s", b.Raw)
	}
	blockURL := "/api/collections/blocks/records/" + b.Body["id"].(string)
	snap := testapp.TakeSnapshot(t, app, "blocks")
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob}, 400) // twice
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": adam}, 400)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": alice}, 400)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", "", map[string]any{"blocked": bob}, 400)
	for _, who := range []string{testapp.Bob, testapp.Adam, ""} {
		if r := call(t, base, http.MethodGet, blockURL, who, nil); r.Status != 404 {
			t.Errorf("%q sees alice's block: %d", who, r.Status)
		}
		if r := call(t, base, http.MethodDelete, blockURL, who, nil); r.Status != 404 {
			t.Errorf("%q deletes alice's block: %d", who, r.Status)
		}
	}
	snap.AssertUnchanged(t, app)

	listed := func(who, path string, q url.Values) []string {
		return ids(items(mustCall(t, base, http.MethodGet, path+"?"+q.Encode(), who, nil, 200)))
	}
	q := url.Values{"filter": {`author = "` + bob + `"`}}
	if got := listed(testapp.Alice, "/api/collections/posts/records", q); len(got) != 0 {
		t.Errorf("alice still lists bob's posts: %v", got)
	}
	if got := listed(testapp.Gina, "/api/collections/posts/records", q); !slices.Contains(got, bobPost.Id) {
		t.Errorf("gina lost bob's posts: %v", got)
	}
	if got := listed(testapp.Alice, "/api/posts/search", url.Values{"q": {"bob writes"}}); len(got) != 0 {
		t.Errorf("alice still finds bob's posts: %v", got)
	}
	if got := listed(testapp.Adam, "/api/collections/posts/records", q); !slices.Contains(got, bobPost.Id) {
		t.Errorf("an admin lost bob's posts: %v", got)
	}
	mustCall(t, base, http.MethodGet, "/api/collections/posts/records/"+bobPost.Id, testapp.Alice, nil, 404)
	// what others write under bob's post goes with it: comments and likes
	// read "whoever can read the post" (migration 1795900820)
	ginaComment := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Gina,
		map[string]any{"post": bobPost.Id, "content": "gina under bob's post"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPost, "/api/collections/post_likes/records", testapp.Gina, map[string]any{"post": bobPost.Id, "user": gina}, 200)
	under := url.Values{"filter": {`post = "` + bobPost.Id + `"`}}
	for who, want := range map[string]int{testapp.Alice: 0, testapp.Gina: 1, testapp.Adam: 1, "": 1} {
		for _, path := range []string{"/api/collections/comments/records", "/api/collections/post_likes/records"} {
			if got := listed(who, path, under); len(got) != want {
				t.Errorf("%q lists %d of %s under bob's post, want %d", who, len(got), path, want)
			}
		}
	}
	mustCall(t, base, http.MethodGet, "/api/collections/comments/records/"+ginaComment, testapp.Alice, nil, 404)
	mustCall(t, base, http.MethodGet, "/api/collections/comments/records/"+ginaComment, testapp.Gina, nil, 200)
	// chat: bob's message does not reach alice; her own next message does (sentinel)
	mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Bob, map[string]any{"session": session.Id, "content": "hey"}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice, map[string]any{"session": session.Id, "content": "mine"}, 200)
	if rec := aliceChats.ExpectRecord(t, "chats/*"); rec["author"] != alice {
		t.Fatalf("alice received a blocked member's message: %v", rec)
	}
	if got := listed(testapp.Alice, "/api/collections/chats/records", url.Values{"filter": {`session = "` + session.Id + `"`}}); len(got) != 1 {
		t.Errorf("alice lists %d messages, want only her own", len(got))
	}

	mustCall(t, base, http.MethodDelete, blockURL, testapp.Alice, nil, 204)
	if got := listed(testapp.Alice, "/api/collections/posts/records", q); !slices.Contains(got, bobPost.Id) {
		t.Errorf("unblocked, alice still misses bob's posts: %v", got)
	}
	if got := listed(testapp.Alice, "/api/collections/comments/records", under); len(got) != 1 {
		t.Errorf("unblocked, alice lists %d comments under bob's post, want 1", len(got))
	}
}

// TestBlockersDoNotWriteUnderBlockedPosts: who blocked a post's writer
// cannot read the post, so cannot comment on, like or bookmark it either:
// the same 400 as for a missing post, nothing stored. Others still may,
// the blocker still writes under other posts, and an admin's block hides
// nothing from them (admins read everything). Until 2026-12-03 the
// blocker's comment, like and bookmark were stored with 200.
func TestBlockersDoNotWriteUnderBlockedPosts(t *testing.T) {
	app, base := server(t)
	pub := testapp.ID(testapp.BoardPublic)
	bobPost := testapp.CreatePost(t, app, pub, bob, "bob writes").Id
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Adam, map[string]any{"blocked": bob}, 200)
	mustCall(t, base, http.MethodGet, "/api/collections/posts/records/"+bobPost, testapp.Alice, nil, 404)

	writes := []struct {
		collection string
		body       func(post, who string) map[string]any
	}{
		{"comments", func(post, _ string) map[string]any { return map[string]any{"post": post, "content": "댓글"} }},
		{"post_likes", func(post, who string) map[string]any { return map[string]any{"post": post, "user": who} }},
		{"bookmarks", func(post, _ string) map[string]any { return map[string]any{"post": post} }},
	}
	for _, w := range writes {
		path := "/api/collections/" + w.collection + "/records"
		missing := mustCall(t, base, http.MethodPost, path, testapp.Alice, w.body("nosuchpost00000", alice), 400)
		snap := testapp.TakeSnapshot(t, app, "comments", "post_likes", "bookmarks", "notifications", "posts")
		if r := call(t, base, http.MethodPost, path, testapp.Alice, w.body(bobPost, alice)); r.Status != 400 || r.Raw != missing.Raw {
			t.Errorf("alice's %s under the post of bob, whom she blocked: %d %s, want the missing post's %s", w.collection, r.Status, r.Raw, missing.Raw)
		}
		snap.AssertUnchanged(t, app)
		for who, id := range map[string]string{testapp.Gina: gina, testapp.Adam: adam, testapp.Bob: bob} {
			r := mustCall(t, base, http.MethodPost, path, who, w.body(bobPost, id), 200)
			if _, err := app.FindRecordById(w.collection, r.Body["id"].(string)); err != nil {
				t.Errorf("%s's %s under bob's post is not stored: %v", who, w.collection, err)
			}
		}
		// alice still writes under the posts of those she did not block
		mustCall(t, base, http.MethodPost, path, testapp.Alice, w.body(testapp.VisiblePost(testapp.BoardPublic), alice), 200)
	}
}

// TestBlockersDoNotEditUnderBlockedPosts: who blocked a post's writer
// cannot edit the comments they wrote under it before the block either
// (the same 404 as for a missing comment, nothing changed), but still
// deletes them, unlikes and un-bookmarks; unblocked, they edit again.
// Others, and an admin who blocked the writer, edit as before (the create
// refusal spares admins too). Until 2026-12-03 the blocker's edit was saved
// with 200, a way to keep talking in the blocked member's thread.
func TestBlockersDoNotEditUnderBlockedPosts(t *testing.T) {
	app, base := server(t)
	bobPost := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), bob, "bob writes").Id
	comment := func(who string) string {
		return mustCall(t, base, http.MethodPost, "/api/collections/comments/records", who,
			map[string]any{"post": bobPost, "content": who + " was here"}, 200).Body["id"].(string)
	}
	kept, removed, ginas, adams := comment(testapp.Alice), comment(testapp.Alice), comment(testapp.Gina), comment(testapp.Adam)
	like := mustCall(t, base, http.MethodPost, "/api/collections/post_likes/records", testapp.Alice, map[string]any{"post": bobPost, "user": alice}, 200).Body["id"].(string)
	bookmark := mustCall(t, base, http.MethodPost, "/api/collections/bookmarks/records", testapp.Alice, map[string]any{"post": bobPost}, 200).Body["id"].(string)
	block := mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Adam, map[string]any{"blocked": bob}, 200)

	edit := func(who, id, content string) testapp.Response {
		return call(t, base, http.MethodPatch, "/api/collections/comments/records/"+id, who, map[string]any{"content": content})
	}
	contentOf := func(id string) string {
		c, err := app.FindRecordById("comments", id)
		if err != nil {
			t.Fatalf("comment %s: %v", id, err)
		}
		return c.GetString("content")
	}
	missing := edit(testapp.Alice, "nosuchcomment00", "bob, listen")
	if missing.Status != 404 {
		t.Fatalf("editing a missing comment: %d %s", missing.Status, missing.Raw)
	}
	snap := testapp.TakeSnapshot(t, app, "comments", "posts", "notifications")
	for _, body := range []map[string]any{{"content": "bob, listen"}, {"is_visible": false}} {
		r := call(t, base, http.MethodPatch, "/api/collections/comments/records/"+kept, testapp.Alice, body)
		if r.Status != 404 || r.Raw != missing.Raw {
			t.Errorf("alice's edit %v of her comment under the post of bob, whom she blocked: %d %s, want the missing comment's %s", body, r.Status, r.Raw, missing.Raw)
		}
	}
	snap.AssertUnchanged(t, app)

	for who, id := range map[string]string{testapp.Gina: ginas, testapp.Adam: adams} {
		if r := edit(who, id, who+" edits"); r.Status != 200 || contentOf(id) != who+" edits" {
			t.Errorf("%s's edit under bob's post: %d %s, stored %q", who, r.Status, r.Raw, contentOf(id))
		}
	}
	// an admin still edits anyone's comment there, as before
	if r := edit(testapp.Adam, ginas, "adam edits gina's"); r.Status != 200 || contentOf(ginas) != "adam edits gina's" {
		t.Errorf("adam's edit of gina's comment: %d %s", r.Status, r.Raw)
	}

	// what alice wrote or did there, she can still take back
	for _, d := range []struct{ collection, id string }{{"comments", removed}, {"post_likes", like}, {"bookmarks", bookmark}} {
		mustCall(t, base, http.MethodDelete, "/api/collections/"+d.collection+"/records/"+d.id, testapp.Alice, nil, 204)
		if _, err := app.FindRecordById(d.collection, d.id); err == nil {
			t.Errorf("alice's deleted %s %s is still stored", d.collection, d.id)
		}
	}

	mustCall(t, base, http.MethodDelete, "/api/collections/blocks/records/"+block, testapp.Alice, nil, 204)
	if r := edit(testapp.Alice, kept, "alice edits again"); r.Status != 200 || contentOf(kept) != "alice edits again" {
		t.Errorf("unblocked, alice's edit: %d %s, stored %q", r.Status, r.Raw, contentOf(kept))
	}
}

// TestBlockingIsQuiet: blocking and unblocking send no event of the
// blocker's users record (its public fields do not change; the event would
// tell its subscribers when they blocked someone), and still take effect
// on the blocker's realtime connection at once, both ways.
func TestBlockingIsQuiet(t *testing.T) {
	app, base := server(t)
	pub := testapp.ID(testapp.BoardPublic)
	watcher := testapp.OpenSSE(t, base, token(testapp.Gina), "users/"+alice, testapp.SentinelTopic)
	aliceLive := testapp.OpenSSE(t, base, token(testapp.Alice), "posts/*", testapp.SentinelTopic)
	before, _ := app.FindRecordById("users", alice)

	b := mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob}, 200)
	if u, _ := app.FindRecordById("users", alice); !slices.Equal(u.GetStringSlice("blocking"), []string{bob}) || u.GetString("updated") != before.GetString("updated") {
		t.Fatalf("alice after blocking: blocking %v, updated %q (was %q)", u.GetStringSlice("blocking"), u.GetString("updated"), before.GetString("updated"))
	}
	mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Bob, map[string]any{"board": pub, "title": "blocked", "content": "c"}, 200)
	// nothing but the public board's events (the sentinel, and its
	// posts_count announced after each post) until the sentinel
	onlyBoard := func(s *testapp.SSE, sentinel func(testapp.Event) bool) {
		t.Helper()
		for _, ev := range s.Before(t, sentinel) {
			if ev.Topic() != testapp.SentinelTopic {
				t.Fatalf("unexpected event before the sentinel: %s %v", ev.Name, ev.Data)
			}
		}
	}
	sentinel := testapp.Sentinel(t, app)
	onlyBoard(watcher, sentinel)
	onlyBoard(aliceLive, sentinel)

	mustCall(t, base, http.MethodDelete, "/api/collections/blocks/records/"+b.Body["id"].(string), testapp.Alice, nil, 204)
	if u, _ := app.FindRecordById("users", alice); len(u.GetStringSlice("blocking")) != 0 {
		t.Fatalf("alice after unblocking: blocking %v", u.GetStringSlice("blocking"))
	}
	post := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Bob, map[string]any{"board": pub, "title": "seen", "content": "c"}, 200)
	for {
		// the first event not on the public board (its posts_count may come first)
		ev, ok := aliceLive.Next(5 * time.Second)
		if !ok {
			t.Fatal("alice, unblocking, got nothing")
		}
		if ev.Topic() == testapp.SentinelTopic {
			continue
		}
		if ev.Topic() != "posts/*" || ev.Record()["id"] != post.Body["id"] {
			t.Fatalf("alice, unblocking, got %s %v", ev.Name, ev.Data)
		}
		break
	}
	onlyBoard(watcher, testapp.Sentinel(t, app))
}

// TestNewAdminsAreBlockedByNobody: when a member becomes an admin, the
// blocks of them go (admins cannot be blocked): the blocker reads the
// admin's posts again and hears of their moderation; the blocks stay gone
// if the admin steps down.
func TestNewAdminsAreBlockedByNobody(t *testing.T) {
	app, base := server(t)
	pub := testapp.ID(testapp.BoardPublic)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Gina, map[string]any{"blocked": bob}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": gina}, 200)
	post := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Bob, map[string]any{"board": pub, "title": "announcement", "content": "c"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodGet, "/api/collections/posts/records/"+post, testapp.Alice, nil, 404)

	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+bob, "root", map[string]any{"role": "admin"}, 200)
	if n, _ := app.CountRecords("blocks", dbx.HashExp{"blocked": bob}); n != 0 {
		t.Fatalf("%d blocks of the new admin left", n)
	}
	for who, want := range map[string][]string{alice: {gina}, gina: {}} {
		if u, _ := app.FindRecordById("users", who); !slices.Equal(u.GetStringSlice("blocking"), want) {
			t.Errorf("%s blocks %v, want %v", who, u.GetStringSlice("blocking"), want)
		}
	}
	mustCall(t, base, http.MethodGet, "/api/collections/posts/records/"+post, testapp.Alice, nil, 200)
	mine := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice, map[string]any{"board": pub, "title": "mine", "content": "c"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+mine, testapp.Bob, map[string]any{"is_visible": false}, 200)
	if n := notificationsOf(t, app, alice); len(n) == 0 || n[0].GetString("kind") != "moderation" || n[0].GetString("actor") != bob {
		t.Fatalf("alice's notices after the new admin hid her post: %v", n)
	}

	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+bob, "root", map[string]any{"role": "member"}, 200)
	if n, _ := app.CountRecords("blocks", dbx.HashExp{"blocked": bob}); n != 0 {
		t.Fatalf("%d blocks came back", n)
	}
	// a save outside the API (the CLI, Go code) does the same
	g, _ := app.FindRecordById("users", gina)
	g.Set("role", "admin")
	if err := app.Save(g); err != nil {
		t.Fatal(err)
	}
	if u, _ := app.FindRecordById("users", alice); len(u.GetStringSlice("blocking")) != 0 {
		t.Fatalf("alice still blocks the new admin gina: %v", u.GetStringSlice("blocking"))
	}
}

// TestBookmarks: a member bookmarks posts they can read, lists them newest
// first, and stops seeing one whose post they can no longer read.
func TestBookmarks(t *testing.T) {
	app, base := server(t)
	first := testapp.VisiblePost(testapp.BoardPublic)
	second := testapp.VisiblePost(testapp.BoardGranted)
	mustCall(t, base, http.MethodPost, "/api/collections/bookmarks/records", testapp.Gina, map[string]any{"post": first}, 200)
	b2 := mustCall(t, base, http.MethodPost, "/api/collections/bookmarks/records", testapp.Gina, map[string]any{"post": second, "user": alice}, 200)
	if b2.Body["user"] != gina {
		t.Fatalf("bookmark owner from the client: %s", b2.Raw)
	}
	mustCall(t, base, http.MethodPost, "/api/collections/bookmarks/records", testapp.Gina, map[string]any{"post": first}, 400)
	mustCall(t, base, http.MethodPost, "/api/collections/bookmarks/records", testapp.Alice, map[string]any{"post": second}, 400) // not granted
	mustCall(t, base, http.MethodPost, "/api/collections/bookmarks/records", "", map[string]any{"post": first}, 400)
	got := ids(items(mustCall(t, base, http.MethodGet, "/api/collections/bookmarks/records?sort=-created,-id&expand=post", testapp.Gina, nil, 200)))
	if len(got) != 2 || got[0] != b2.Body["id"] {
		t.Fatalf("gina's bookmarks: %v", got)
	}
	if got := items(mustCall(t, base, http.MethodGet, "/api/collections/bookmarks/records", testapp.Alice, nil, 200)); len(got) != 0 {
		t.Fatalf("alice sees gina's bookmarks: %v", got)
	}
	// the grant goes: the bookmark of the granted board's post no longer shows
	if err := func() error {
		u, _ := app.FindRecordById("users", gina)
		u.Set("boards", []string{})
		return app.Save(u)
	}(); err != nil {
		t.Fatal(err)
	}
	got = ids(items(mustCall(t, base, http.MethodGet, "/api/collections/bookmarks/records", testapp.Gina, nil, 200)))
	if len(got) != 1 {
		t.Fatalf("gina's bookmarks after losing the grant: %v", got)
	}
}

// TestCategories: admins define a board's categories; readers of the board
// read them; a post carries one of its own board's, required where the
// board says so; the list filters by it.
func TestCategories(t *testing.T) {
	_, base := server(t)
	board := testapp.ID(testapp.BoardPublic)
	mustCall(t, base, http.MethodPost, "/api/collections/board_categories/records", testapp.Alice, map[string]any{"board": board, "name": "질문"}, 400)
	q := mustCall(t, base, http.MethodPost, "/api/collections/board_categories/records", testapp.Adam, map[string]any{"board": board, "name": "질문", "sort": 1}, 200)
	other := mustCall(t, base, http.MethodPost, "/api/collections/board_categories/records", testapp.Adam,
		map[string]any{"board": testapp.ID(testapp.BoardGranted), "name": "비밀"}, 200)
	if got := items(mustCall(t, base, http.MethodGet, "/api/collections/board_categories/records", "", nil, 200)); len(got) != 1 {
		t.Fatalf("a guest lists %d categories, want the public board's one", len(got))
	}
	post := map[string]any{"board": board, "title": "how?", "content": "?", "category": other.Body["id"]}
	mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice, post, 400)
	post["category"] = q.Body["id"]
	p := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice, post, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"category_required": true}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice, map[string]any{"board": board, "title": "t", "content": "c"}, 400)
	got := ids(items(mustCall(t, base, http.MethodGet, "/api/collections/posts/records?filter="+url.QueryEscape(`category = "`+q.Body["id"].(string)+`"`), "", nil, 200)))
	if !slices.Equal(got, []string{p.Body["id"].(string)}) {
		t.Fatalf("filter by category: %v", got)
	}
	got = ids(items(mustCall(t, base, http.MethodGet, "/api/posts/search?"+url.Values{"q": {"how?"}, "category": {q.Body["id"].(string)}}.Encode(), "", nil, 200)))
	if !slices.Equal(got, []string{p.Body["id"].(string)}) {
		t.Fatalf("search by category: %v", got)
	}
}

// TestCategoryRequiredLeavesExistingPostsAlone: a category_required board
// asks for a category when a post is written or its category changes, not
// on every save: posts without one (written before the board required it,
// or whose category was deleted — allowed, the delete empties
// posts.category) are still edited, hidden, pinned, reported, auto-hidden
// and resolved.
func TestCategoryRequiredLeavesExistingPostsAlone(t *testing.T) {
	app, base := server(t)
	board := testapp.ID(testapp.BoardPublic)
	gone := mustCall(t, base, http.MethodPost, "/api/collections/board_categories/records", testapp.Adam, map[string]any{"board": board, "name": "잡담"}, 200).Body["id"].(string)
	kept := mustCall(t, base, http.MethodPost, "/api/collections/board_categories/records", testapp.Adam, map[string]any{"board": board, "name": "정보"}, 200).Body["id"].(string)
	posts := "/api/collections/posts/records"
	withGone := mustCall(t, base, http.MethodPost, posts, testapp.Alice, map[string]any{"board": board, "title": "cat", "content": "c", "category": gone}, 200).Body["id"].(string)
	withKept := mustCall(t, base, http.MethodPost, posts, testapp.Alice, map[string]any{"board": board, "title": "kept", "content": "c", "category": kept}, 200).Body["id"].(string)
	older := mustCall(t, base, http.MethodPost, posts, testapp.Gina, map[string]any{"board": board, "title": "before", "content": "c"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"category_required": true}, 200)
	mustCall(t, base, http.MethodDelete, "/api/collections/board_categories/records/"+gone, testapp.Adam, nil, 204)
	if p, _ := app.FindRecordById("posts", withGone); p.GetString("category") != "" {
		t.Fatalf("the deleted category stays on the post: %q", p.GetString("category"))
	}

	// what changes the category is still checked, nothing else changed
	snap := testapp.TakeSnapshot(t, app, "posts")
	r := mustCall(t, base, http.MethodPatch, posts+"/"+withKept, testapp.Alice, map[string]any{"category": ""}, 400)
	if code, _ := r.Body["data"].(map[string]any)["category"].(map[string]any)["code"].(string); code != "validation_required" {
		t.Fatalf("emptying the category: %s", r.Raw)
	}
	mustCall(t, base, http.MethodPatch, posts+"/"+older, testapp.Gina, map[string]any{"category": "nosuchcategory1"}, 400)
	mustCall(t, base, http.MethodPost, posts, testapp.Alice, map[string]any{"board": board, "title": "t", "content": "c"}, 400)
	snap.AssertUnchanged(t, app)

	mustCall(t, base, http.MethodPatch, posts+"/"+withGone, testapp.Alice, map[string]any{"content": "edited"}, 200)
	mustCall(t, base, http.MethodPatch, posts+"/"+withGone, testapp.Adam, map[string]any{"is_pinned": true}, 200)
	rep := mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Bob, map[string]any{"target_kind": "post", "post": older, "reason": "spam"}, 200)
	mustCall(t, base, http.MethodPost, "/api/reports/"+rep.Body["id"].(string)+"/resolve", testapp.Adam, map[string]any{"action": "hide"}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"auto_hide_reports": 1}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Bob, map[string]any{"target_kind": "post", "post": withGone, "reason": "spam"}, 200)
	for _, id := range []string{older, withGone} {
		if p, _ := app.FindRecordById("posts", id); p.GetBool("is_visible") {
			t.Errorf("post %s is still visible", id)
		}
	}
	mustCall(t, base, http.MethodPatch, posts+"/"+withGone, testapp.Adam, map[string]any{"is_visible": true}, 200)
	mustCall(t, base, http.MethodPatch, posts+"/"+withGone, testapp.Alice, map[string]any{"is_visible": false}, 200)
}

// TestFeeds: the recent feed lists the posts of every board the requester
// can read, newest first; the popular one ranks the last week's by likes,
// comments and views; both page without a count.
func TestFeeds(t *testing.T) {
	app, base := server(t)
	liked := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), alice, "liked")
	newest := testapp.CreatePost(t, app, testapp.ID(testapp.BoardMembers), alice, "newest")
	for _, u := range []string{alice, bob, gina} {
		testapp.CreateLike(t, app, liked.Id, u)
	}
	r := mustCall(t, base, http.MethodGet, "/api/feed/recent?perPage=2", testapp.Bob, nil, 200)
	if got := ids(items(r)); len(got) != 2 || got[0] != newest.Id || got[1] != liked.Id || r.Body["totalItems"] != -1.0 {
		t.Fatalf("bob's recent feed: %s", r.Raw)
	}
	guest := ids(items(mustCall(t, base, http.MethodGet, "/api/feed/recent?perPage=50", "", nil, 200)))
	if slices.Contains(guest, newest.Id) || !slices.Contains(guest, liked.Id) {
		t.Fatalf("a guest's recent feed shows a members-board post or misses a public one: %v", guest)
	}
	for _, id := range guest {
		if id == testapp.VisiblePost(testapp.BoardGranted) || id == testapp.HiddenPost(testapp.BoardPublic) {
			t.Fatalf("a guest's feed shows %s", id)
		}
	}
	pop := ids(items(mustCall(t, base, http.MethodGet, "/api/feed/popular?perPage=1", testapp.Bob, nil, 200)))
	if len(pop) != 1 || pop[0] != liked.Id {
		t.Fatalf("bob's popular feed: %v", pop)
	}
	mustCall(t, base, http.MethodGet, "/api/feed/recent?page=0", "", nil, 400)
	mustCall(t, base, http.MethodGet, "/api/feed/recent?sort=author.tokenKey", "", nil, 400)

	// a filter narrows either feed, under the list API's checks
	public := testapp.ID(testapp.BoardPublic)
	onPublic := "&filter=" + url.QueryEscape(`board = "`+public+`"`)
	for _, path := range []string{"/api/feed/recent?perPage=50", "/api/feed/popular?perPage=50"} {
		narrowed := items(mustCall(t, base, http.MethodGet, path+onPublic, testapp.Bob, nil, 200))
		if got := ids(narrowed); !slices.Contains(got, liked.Id) || slices.Contains(got, newest.Id) {
			t.Fatalf("%s filtered to the public board: %v", path, got)
		}
		for _, it := range narrowed {
			if b := it.(map[string]any)["board"]; b != public {
				t.Fatalf("%s filtered to the public board lists a post of %v", path, b)
			}
		}
	}
	r = mustCall(t, base, http.MethodGet, "/api/feed/recent?filter="+url.QueryEscape(`anonymous_author != ""`), testapp.Bob, nil, 400)
	if !strings.Contains(r.Raw, "anonymous_author is not visible") {
		t.Fatalf("a feed filtered by a hidden field: %s", r.Raw)
	}
	// a sort is refused, naming why: the feed is an order
	for _, path := range []string{"/api/feed/recent?sort=-created", "/api/feed/popular?sort=title"} {
		if r := mustCall(t, base, http.MethodGet, path, testapp.Bob, nil, 400); !strings.Contains(r.Raw, "keeps its own order") {
			t.Fatalf("%s: %s", path, r.Raw)
		}
	}
}

// TestExportAndDeleteAccount: a member downloads everything they own as
// JSON; deleting the account keeps their posts (authorless) unless they
// ask to remove them too.
func TestExportAndDeleteAccount(t *testing.T) {
	app, base := server(t)
	mine := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), alice, "mine")
	testapp.CreateComment(t, app, mine.Id, alice, "")
	mustCall(t, base, http.MethodPost, "/api/collections/bookmarks/records", testapp.Alice, map[string]any{"post": mine.Id}, 200)
	req, _ := http.NewRequest(http.MethodGet, base+"/api/users/me/export", nil)
	req.Header.Set("Authorization", token(testapp.Alice))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var export map[string]json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&export); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Disposition") == "" {
		t.Fatalf("export: %d %v", res.StatusCode, res.Header)
	}
	var posts, bookmarks []map[string]any
	var profile map[string]any
	json.Unmarshal(export["posts"], &posts)
	json.Unmarshal(export["bookmarks"], &bookmarks)
	json.Unmarshal(export["profile"], &profile)
	if len(posts) != 1 || len(bookmarks) != 1 || profile["email"] != "alice@example.com" || profile["tokenKey"] != nil || profile["password"] != nil {
		t.Fatalf("export: %d posts, %d bookmarks, profile %v", len(posts), len(bookmarks), profile)
	}
	mustCall(t, base, http.MethodGet, "/api/users/me/export", "", nil, 401)

	mustCall(t, base, http.MethodDelete, "/api/collections/users/records/"+alice, testapp.Bob, nil, 404)
	mustCall(t, base, http.MethodDelete, "/api/collections/users/records/"+alice, testapp.Alice, nil, 204)
	kept, err := app.FindRecordById("posts", mine.Id)
	if err != nil || kept.GetString("author") != "" {
		t.Fatalf("alice's post after she left: %v %v", kept, err)
	}
	bobPost := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), bob, "bob's")
	mustCall(t, base, http.MethodDelete, "/api/collections/users/records/"+bob+"?content=remove", testapp.Bob, nil, 204)
	if _, err := app.FindRecordById("posts", bobPost.Id); err == nil {
		t.Fatal("bob asked to remove his posts with his account; one is still there")
	}
}

// TestExportShowsWhatIsStillMine: the export holds what a member wrote
// wherever it is — a post on a board they lost, a message in a chat they
// were removed from — and what others wrote only as their lists show it:
// no notice of a chat they were removed from (quoting a message edited
// after), of a board they lost, or from someone they blocked, and no
// session they left. Until 2026-12-03 the notices came out with
// "user = me" alone (p8 finding 2).
func TestExportShowsWhatIsStillMine(t *testing.T) {
	app, base := server(t)
	exported := func(who, collection, field string) []string {
		t.Helper()
		r := mustCall(t, base, http.MethodGet, "/api/users/me/export", who, nil, 200)
		list, ok := r.Body[collection].([]any)
		if !ok {
			t.Fatalf("%s's export has no %s: %s", who, collection, r.Raw)
		}
		var out []string
		for _, it := range list {
			out = append(out, fmt.Sprint(it.(map[string]any)[field]))
		}
		slices.Sort(out)
		return out
	}
	expect := func(who, collection, field string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := exported(who, collection, field); !slices.Equal(got, want) {
			t.Errorf("%s's export, %s.%s: %q, want %q", who, collection, field, got, want)
		}
	}

	// a chat: bob gets a notice of alice's message, writes one of his own
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "둘", "kind": "group", "owner": alice, "members": []string{bob}})
	msg := mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice,
		map[string]any{"session": session.Id, "content": "see you at 6"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Bob,
		map[string]any{"session": session.Id, "content": "ok"}, 200)
	// a granted board: gina's post, an admin's comment on it
	granted := testapp.ID(testapp.BoardGranted)
	post := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Gina,
		map[string]any{"board": granted, "title": "허가 게시판 글", "content": "본문"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Adam,
		map[string]any{"post": post, "content": "비밀 답변"}, 200)
	// a comment by bob on alice's post
	mine := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), alice, "앨리스 글")
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
		map[string]any{"post": mine.Id, "content": "밥의 댓글"}, 200)

	expect(testapp.Bob, "notifications", "text", "see you at 6")
	expect(testapp.Bob, "chat_sessions", "id", session.Id)
	expect(testapp.Gina, "notifications", "text", "비밀 답변")
	expect(testapp.Alice, "notifications", "text", "ok", "밥의 댓글")

	mustCall(t, base, http.MethodPatch, "/api/collections/chat_sessions/records/"+session.Id, testapp.Alice, map[string]any{"members-": bob}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/chats/records/"+msg, testapp.Alice, map[string]any{"content": "without bob: door code 4321"}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+gina, testapp.Adam, map[string]any{"boards-": granted}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob}, 200)

	r := mustCall(t, base, http.MethodGet, "/api/users/me/export", testapp.Bob, nil, 200)
	if strings.Contains(r.Raw, "4321") {
		t.Errorf("bob's export quotes the message edited after he was removed: %s", r.Raw)
	}
	expect(testapp.Bob, "notifications", "text")
	expect(testapp.Bob, "chat_sessions", "id")
	expect(testapp.Bob, "chats", "content", "ok") // his own words stay his
	expect(testapp.Gina, "notifications", "text")
	if got := exported(testapp.Gina, "posts", "id"); !slices.Contains(got, post) {
		t.Errorf("gina's export leaves out her post on the board she lost: %q", got)
	}
	expect(testapp.Alice, "notifications", "text")
	expect(testapp.Alice, "chat_sessions", "id", session.Id)
	expect(testapp.Alice, "chats", "content", "without bob: door code 4321")
	// the notices are still there, for when their owners reach them again
	for who, want := range map[string]int{bob: 1, gina: 1, alice: 2} {
		if n := len(notificationsOf(t, app, who)); n != want {
			t.Errorf("%s has %d notices, want %d", who, n, want)
		}
	}
}
