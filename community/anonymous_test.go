package community_test

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"madang/community"
	"madang/internal/testapp"
)

// TestAnonymousBoards: on a board with anonymous, a post's and its
// comments' writers never leave the server for members and guests — not
// as author, through expand, filters or sorts, search, realtime or
// notifications — while the records carry 익명 / 익명N / 익명(글쓴이);
// admins and the writer themself see the author.
func TestAnonymousBoards(t *testing.T) {
	app, base := server(t)
	board := testapp.ID(testapp.BoardPublic)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"anonymous": true}, 200)
	live := testapp.OpenSSE(t, base, token(testapp.Gina), "posts/*?options="+url.QueryEscape(`{"query":{"expand":"author"}}`))

	p := mustCall(t, base, http.MethodPost, "/api/collections/posts/records?expand=author", testapp.Alice,
		map[string]any{"board": board, "title": "고민 있어요 fixture", "content": "익명으로 씁니다"}, 200)
	post := p.Body["id"].(string)
	if p.Body["author"] != alice || p.Body["anonymous_label"] != community.LabelAnonymous {
		t.Fatalf("the writer's own answer: %s", p.Raw)
	}
	ev := live.ExpectRecord(t, "posts/*")
	if ev["author"] != "" || expanded(ev) || ev["anonymous_label"] != community.LabelAnonymous || strings.Contains(mapString(ev), alice) {
		t.Fatalf("gina's realtime event shows the writer: %v", ev)
	}

	// comments: bob, then gina, then alice (the post's writer), then bob again
	for _, who := range []string{testapp.Bob, testapp.Gina, testapp.Alice, testapp.Bob} {
		mustCall(t, base, http.MethodPost, "/api/collections/comments/records", who, map[string]any{"post": post, "content": "댓글 @" + who}, 200)
	}

	for _, who := range []string{"", testapp.Bob, testapp.Gina} {
		r := mustCall(t, base, http.MethodGet, "/api/collections/posts/records/"+post+"?expand=author", who, nil, 200)
		if r.Body["author"] != "" || expanded(r.Body) || strings.Contains(r.Raw, alice) {
			t.Errorf("%q viewing the post sees its writer: %s", who, r.Raw)
		}
		c := mustCall(t, base, http.MethodGet, "/api/collections/comments/records?sort=created,id&expand=author&filter="+url.QueryEscape(`post = "`+post+`"`), who, nil, 200)
		var labels []string
		for _, it := range items(c) {
			labels = append(labels, it.(map[string]any)["anonymous_label"].(string))
		}
		if want := []string{"익명1", "익명2", community.LabelWriter, "익명1"}; !slices.Equal(labels, want) {
			t.Errorf("%q: comment labels %v, want %v", who, labels, want)
		}
		if strings.Contains(c.Raw, alice) || (who != testapp.Bob && strings.Contains(c.Raw, bob)) {
			t.Errorf("%q: the comments show a writer: %s", who, c.Raw)
		}
		// filters and sorts by author select and order nothing of it
		for _, q := range []url.Values{
			{"filter": {`author = "` + alice + `"`}},
			{"filter": {`author.name = "alice"`}},
		} {
			if got := ids(items(mustCall(t, base, http.MethodGet, "/api/collections/posts/records?"+q.Encode(), who, nil, 200))); slices.Contains(got, post) {
				t.Errorf("%q: %v selects the anonymous post", who, q)
			}
		}
		s := mustCall(t, base, http.MethodGet, "/api/posts/search?q=fixture&expand=author", who, nil, 200)
		if strings.Contains(s.Raw, alice) {
			t.Errorf("%q: search shows the writer", who)
		}
		// the comments' search labels them as their list does, and shows
		// no writer, nor selects by one
		cs := mustCall(t, base, http.MethodGet, "/api/comments/search?sort=created,id&expand=author,post.author&q="+url.QueryEscape("댓글")+
			"&post="+post, who, nil, 200)
		var searched []string
		for _, it := range items(cs) {
			searched = append(searched, it.(map[string]any)["anonymous_label"].(string))
		}
		if !slices.Equal(searched, labels) || strings.Contains(cs.Raw, alice) || (who != testapp.Bob && strings.Contains(cs.Raw, bob)) {
			t.Errorf("%q: comments search %v (list %v): %s", who, searched, labels, cs.Raw)
		}
		if got := items(mustCall(t, base, http.MethodGet, "/api/comments/search?q="+url.QueryEscape("댓글")+"&filter="+
			url.QueryEscape(`author = "`+bob+`"`), who, nil, 200)); who != testapp.Bob && len(got) != 0 {
			t.Errorf("%q: a comments search by author selects anonymous comments: %v", who, got)
		}
		if r := call(t, base, http.MethodGet, "/api/collections/posts/records?fields=anonymous_author", who, nil); r.Status == 200 && strings.Contains(r.Raw, alice) {
			t.Errorf("%q reads anonymous_author with fields", who)
		}
		if r := call(t, base, http.MethodGet, "/api/collections/posts/records?filter="+url.QueryEscape(`anonymous_author = "`+alice+`"`), who, nil); r.Status != 400 {
			t.Errorf("%q filters by anonymous_author: %d", who, r.Status)
		}
	}
	for _, who := range []string{testapp.Adam, "root"} {
		r := mustCall(t, base, http.MethodGet, "/api/collections/posts/records/"+post+"?expand=author", who, nil, 200)
		if r.Body["author"] != alice || r.Body["anonymous_label"] != community.LabelAnonymous {
			t.Errorf("%s does not see the writer: %s", who, r.Raw)
		}
	}
	// notifications: alice hears of the comments, but not who wrote them
	for _, n := range notificationsOf(t, app, alice) {
		if n.GetString("actor") != "" {
			t.Errorf("alice's notification names an anonymous commenter: %v", n)
		}
	}
	if len(notificationsOf(t, app, alice)) != 3 {
		t.Errorf("alice has %d notifications, want one per other commenter's comment (3)", len(notificationsOf(t, app, alice)))
	}
	// a block does not reach into anonymity: alice hears of an anonymous
	// comment and mention by bob, whom she blocked, as of anyone's; a
	// missing notice would tell her who wrote them
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob}, 200)
	before := len(notificationsOf(t, app, alice))
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob, map[string]any{"post": post, "content": "차단된 사람의 익명 댓글"}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Bob,
		map[string]any{"board": board, "title": "익명 언급", "content": "@" + testapp.Alice + " 봐 주세요"}, 200)
	if got := len(notificationsOf(t, app, alice)) - before; got != 2 {
		t.Errorf("alice, who blocked bob, got %d notices of his anonymous comment and mention, want 2", got)
	}
	for _, n := range notificationsOf(t, app, alice) {
		if n.GetString("actor") != "" {
			t.Errorf("alice's notification names an anonymous writer: %v", n)
		}
	}

	// the writer still edits and deletes her post
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+post, testapp.Alice, map[string]any{"title": "고쳤어요"}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+post, testapp.Bob, map[string]any{"title": "남의 글"}, 404)
	mustCall(t, base, http.MethodDelete, "/api/collections/posts/records/"+post, testapp.Alice, nil, 204)
}

func mapString(m map[string]any) string {
	var b strings.Builder
	for k, v := range m {
		b.WriteString(k)
		if s, ok := v.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// expanded tells whether a record shows an expanded author.
func expanded(record map[string]any) bool {
	e, _ := record["expand"].(map[string]any)
	return e["author"] != nil
}

// TestAnonymousNumbersAreStable: a commenter keeps their number on the
// post when their comments are deleted — a new commenter takes the next
// number, never theirs — and takes it back when they comment again. Until
// 2026-12-03 the numbers were counted from the comments still there, so a
// delete renumbered the others and 익명1 named someone else.
func TestAnonymousNumbersAreStable(t *testing.T) {
	_, base := server(t)
	board := testapp.ID(testapp.BoardPublic)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"anonymous": true}, 200)
	post := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": board, "title": "번호", "content": "익명"}, 200).Body["id"].(string)
	comment := func(who string) string {
		return mustCall(t, base, http.MethodPost, "/api/collections/comments/records", who, map[string]any{"post": post, "content": "by " + who}, 200).Body["id"].(string)
	}
	labels := func() map[string]string {
		t.Helper()
		c := mustCall(t, base, http.MethodGet, "/api/collections/comments/records?perPage=100&filter="+url.QueryEscape(`post = "`+post+`"`), testapp.Adam, nil, 200)
		out := map[string]string{}
		for _, it := range items(c) {
			m := it.(map[string]any)
			out[m["content"].(string)] = m["anonymous_label"].(string)
		}
		return out
	}
	bobs := comment(testapp.Bob)
	comment(testapp.Gina)
	if got := labels(); got["by bob"] != "익명1" || got["by gina"] != "익명2" {
		t.Fatalf("first labels: %v", got)
	}
	mustCall(t, base, http.MethodDelete, "/api/collections/comments/records/"+bobs, testapp.Bob, nil, 204)
	if got := labels(); got["by gina"] != "익명2" {
		t.Errorf("after bob's comment went, gina is %q, want 익명2", got["by gina"])
	}
	comment(testapp.Adam)
	comment(testapp.Bob)
	if got := labels(); got["by adam"] != "익명3" || got["by bob"] != "익명1" || got["by gina"] != "익명2" {
		t.Errorf("after a new commenter and bob's return: %v, want adam 익명3, bob 익명1, gina 익명2", got)
	}
	comment(testapp.Alice)
	if got := labels(); got["by alice"] != community.LabelWriter {
		t.Errorf("the post's writer: %q", got["by alice"])
	}
}

// TestAnonymousNumbersAreTheServers: posts.anonymous_commenters is
// written by the numbering SQL alone: a superuser's create or edit of it is
// ignored (the edit's other fields are saved), and a value that is no map
// of whole numbers from 1 (the database edited by hand) labels its writers
// 익명, never 익명(글쓴이) or a made-up number. Until 2026-12-03 a superuser's
// {"<bob>":"abc"} made bob's comment 익명(글쓴이).
func TestAnonymousNumbersAreTheServers(t *testing.T) {
	app, base := server(t)
	board := testapp.ID(testapp.BoardPublic)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"anonymous": true}, 200)
	post := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": board, "title": "번호", "content": "익명"}, 200).Body["id"].(string)
	stored := func(id string) string {
		t.Helper()
		var v struct {
			Commenters *string `db:"c"`
		}
		if err := app.DB().NewQuery("SELECT anonymous_commenters AS c FROM posts WHERE id = {:id}").
			Bind(map[string]any{"id": id}).One(&v); err != nil {
			t.Fatal(err)
		}
		if v.Commenters == nil {
			return "null"
		}
		return *v.Commenters
	}
	label := func(who string) string {
		t.Helper()
		c := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", who, map[string]any{"post": post, "content": "by " + who}, 200)
		return c.Body["anonymous_label"].(string)
	}

	gina := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", "root",
		map[string]any{"board": board, "title": "dashboard", "content": "c", "author": testapp.ID(testapp.Gina),
			"anonymous_commenters": map[string]any{bob: 0}}, 200).Body["id"].(string)
	if got := stored(gina); got != "null" {
		t.Errorf("a superuser's create stored anonymous_commenters %s", got)
	}
	for _, v := range []any{map[string]any{bob: "abc"}, map[string]any{bob: -5}, true} {
		r := mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+post, "root",
			map[string]any{"anonymous_commenters": v, "title": "번호 고침"}, 200)
		if got := stored(post); got != "null" || r.Body["title"] != "번호 고침" {
			t.Errorf("a superuser's edit of anonymous_commenters to %v: stored %s, title %v", v, got, r.Body["title"])
		}
	}
	if got := label(testapp.Bob); got != "익명1" {
		t.Errorf("bob's comment after the superuser's edits: %q, want 익명1", got)
	}
	if got := stored(post); got != `{"`+bob+`":1}` {
		t.Errorf("stored numbers %s", got)
	}

	// a value written by hand: only whole numbers from 1 are read
	if _, err := app.DB().NewQuery(`UPDATE posts SET anonymous_commenters = {:v} WHERE id = {:id}`).Bind(map[string]any{
		"id": post, "v": `{"` + bob + `":"abc","` + testapp.ID(testapp.Gina) + `":-5,"` + adam + `":1.5}`,
	}).Execute(); err != nil {
		t.Fatal(err)
	}
	if got := label(testapp.Gina); got != community.LabelAnonymous { // a comment also ends the labels' cache
		t.Errorf("gina's comment under a malformed value: %q, want 익명", got)
	}
	c := mustCall(t, base, http.MethodGet, "/api/collections/comments/records?filter="+url.QueryEscape(`post = "`+post+`"`), testapp.Adam, nil, 200)
	for _, it := range items(c) {
		if m := it.(map[string]any); m["anonymous_label"] != community.LabelAnonymous {
			t.Errorf("%s under a malformed value: %q, want 익명", m["content"], m["anonymous_label"])
		}
	}
}

// TestLikesOfAnonymousPostsAreAnonymous: who liked an anonymous post is
// read by the liker and admins only (list, view, filter); a named post's
// likes stay readable to its readers, and likes_count counts them all.
func TestLikesOfAnonymousPostsAreAnonymous(t *testing.T) {
	app, base := server(t)
	board := testapp.ID(testapp.BoardPublic)
	named := testapp.CreatePost(t, app, board, alice, "이름 있는 글")
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"anonymous": true}, 200)
	anon := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": board, "title": "익명 글", "content": "c"}, 200).Body["id"].(string)
	likeOf := map[string]string{}
	for _, post := range []string{named.Id, anon} {
		likeOf[post] = mustCall(t, base, http.MethodPost, "/api/collections/post_likes/records", testapp.Bob,
			map[string]any{"post": post, "user": bob}, 200).Body["id"].(string)
	}
	listed := func(who, post string) int {
		r := mustCall(t, base, http.MethodGet, "/api/collections/post_likes/records?filter="+url.QueryEscape(`post = "`+post+`"`), who, nil, 200)
		return len(items(r))
	}
	for who, want := range map[string]int{"": 0, testapp.Gina: 0, testapp.Alice: 0, testapp.Bob: 1, testapp.Adam: 1} {
		if got := listed(who, anon); got != want {
			t.Errorf("%q lists %d likes of the anonymous post, want %d", who, got, want)
		}
		if got := listed(who, named.Id); got != 1 {
			t.Errorf("%q lists %d likes of the named post, want 1", who, got)
		}
	}
	mustCall(t, base, http.MethodGet, "/api/collections/post_likes/records/"+likeOf[anon], testapp.Gina, nil, 404)
	mustCall(t, base, http.MethodGet, "/api/collections/post_likes/records/"+likeOf[anon], testapp.Bob, nil, 200)
	if r := mustCall(t, base, http.MethodGet, "/api/collections/posts/records/"+anon, testapp.Gina, nil, 200); r.Body["likes_count"] != 1.0 {
		t.Errorf("likes_count of the anonymous post: %v", r.Body["likes_count"])
	}
}

// TestAnonymousWritingOutlivesItsWriter: when a member who wrote on an
// anonymous board deletes their account, their anonymous posts and
// comments stay as readers saw them — the same labels (익명, 익명N,
// 익명(글쓴이)) and updated times, and no realtime event — so nothing links
// them to each other or to the deleted account. Admins no longer see the
// writer (the id is replaced by a mark), and moderation still works on
// them. Until 2026-12-04 PocketBase re-saved each one with an empty
// anonymous_author: labels gone, one updated time, a live update each
// (probe p19).
func TestAnonymousWritingOutlivesItsWriter(t *testing.T) {
	app, base := server(t)
	board := testapp.ID(testapp.BoardPublic)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam, map[string]any{"anonymous": true}, 200)
	post := func(who, title string) string {
		return mustCall(t, base, http.MethodPost, "/api/collections/posts/records", who,
			map[string]any{"board": board, "title": title, "content": "익명 글"}, 200).Body["id"].(string)
	}
	comment := func(who, postID, content string) string {
		return mustCall(t, base, http.MethodPost, "/api/collections/comments/records", who,
			map[string]any{"post": postID, "content": content}, 200).Body["id"].(string)
	}
	bobs, ginas := post(testapp.Bob, "bob writes"), post(testapp.Gina, "gina writes")
	comment(testapp.Alice, bobs, "alice on bob's")
	comment(testapp.Bob, bobs, "bob on his own")
	comment(testapp.Bob, ginas, "bob on gina's")
	comment(testapp.Alice, ginas, "alice on gina's")
	// every post and comment of the board as who reads it: id → label, updated, author
	seen := func(who string) map[string]string {
		out := map[string]string{}
		for _, list := range []string{
			"/api/collections/posts/records?perPage=200&filter=" + url.QueryEscape(`board = "`+board+`"`),
			"/api/collections/comments/records?perPage=200&filter=" + url.QueryEscape(`post.board = "`+board+`"`),
		} {
			for _, it := range items(mustCall(t, base, http.MethodGet, list, who, nil, 200)) {
				r := it.(map[string]any)
				label, _ := r["anonymous_label"].(string)
				out[r["id"].(string)] = label + " | " + r["updated"].(string) + " | " + r["author"].(string)
			}
		}
		return out
	}
	guestBefore, adminBefore := seen(""), seen(testapp.Adam)
	if got := guestBefore[bobs]; !strings.HasPrefix(got, community.LabelAnonymous+" | ") {
		t.Fatalf("bob's post before: %q", got)
	}
	live := testapp.OpenSSE(t, base, "", "posts/*", "comments/*", testapp.SentinelTopic)

	mustCall(t, base, http.MethodDelete, "/api/collections/users/records/"+bob, testapp.Bob, nil, 204)
	// no event shows the writing changed. Counter updates are announced
	// apart from their writes (within 50 ms), so the comments' own, from
	// before the stream opened, and the public board's (bob's seeded post
	// went with him) may still come, each showing what was there before
	for _, ev := range live.Before(t, testapp.Sentinel(t, app)) {
		if ev.Name == testapp.SentinelTopic {
			continue
		}
		r := ev.Record()
		label, _ := r["anonymous_label"].(string)
		updated, _ := r["updated"].(string)
		author, _ := r["author"].(string)
		if id, _ := r["id"].(string); label+" | "+updated+" | "+author != guestBefore[id] {
			t.Errorf("an event about the deleted writer's writing: %s %v", ev.Name, ev.Data)
		}
	}
	if guestAfter := seen(""); !maps.Equal(guestAfter, guestBefore) {
		t.Errorf("a guest sees the deleted writer's anonymous writing change:\nbefore %v\nafter  %v", guestBefore, guestAfter)
	}
	adminAfter := seen(testapp.Adam)
	for id, before := range adminBefore {
		want := before
		if strings.HasSuffix(before, " | "+bob) {
			want = strings.TrimSuffix(before, bob) // the deleted account is no one's to show
		}
		if adminAfter[id] != want {
			t.Errorf("an admin sees %s as %q, want %q", id, adminAfter[id], want)
		}
	}
	// no record holds the deleted id; bob's four hold one mark, a user id of no one
	var marks []string
	err := app.DB().NewQuery(`SELECT DISTINCT anonymous_author FROM posts WHERE anonymous_author NOT IN ('', {:alice}, {:gina})
		UNION SELECT DISTINCT anonymous_author FROM comments WHERE anonymous_author NOT IN ('', {:alice}, {:gina})`).
		Bind(map[string]any{"alice": alice, "gina": testapp.ID(testapp.Gina)}).Column(&marks)
	if err != nil || len(marks) != 1 || !strings.HasPrefix(marks[0], "gone-") {
		t.Errorf("the writers left besides alice and gina: %v (%v), want one gone- mark", marks, err)
	}
	var commenters string
	if err := app.DB().NewQuery("SELECT anonymous_commenters FROM posts WHERE id = {:id}").Bind(map[string]any{"id": ginas}).Row(&commenters); err != nil ||
		strings.Contains(commenters, bob) || !strings.Contains(commenters, marks[0]) {
		t.Errorf("gina's post's numbered commenters: %s (%v)", commenters, err)
	}
	// moderation still works on it (a relation to no user could not be saved)
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+bobs, testapp.Adam, map[string]any{"is_visible": false}, 200)
}
