package community_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/community"
	"madang/internal/testapp"
)

// named saves a member named name and returns their id.
func named(t *testing.T, app core.App, name string) string {
	t.Helper()
	email := fmt.Sprintf("m-%x@example.com", name)
	return testapp.SaveRecord(t, app, "users", map[string]any{"name": name, "email": email,
		"password": testapp.Password + "x", "passwordConfirm": testapp.Password + "x"}).Id
}

// mentionsOf counts user's mention notices about the post (comment "") or
// the comment, and returns the actor of the newest.
func mentionsOf(t *testing.T, app core.App, user, post, comment string) (n int, actor string) {
	t.Helper()
	for _, notice := range notificationsOf(t, app, user) {
		if notice.GetString("kind") == community.KindMention && notice.GetString("post") == post && notice.GetString("comment") == comment {
			if n == 0 {
				actor = notice.GetString("actor")
			}
			n++
		}
	}
	return n, actor
}

// TestMentionsFindEveryName: @name mentions whoever a name may be — any
// script's capitals in any case, combining marks, a leading or trailing .
// or - — as sign-in finds the name. A trailing . or - is the name's when a
// user has that name, else a sentence's end. A name only case (beyond
// ASCII) tells apart from another mentions neither unless written exactly.
// Until 2026-12-04 Иван, Élodie and नमस्ते were never mentioned, nor .x, and
// @dev- mentioned dev.
func TestMentionsFindEveryName(t *testing.T) {
	app, base := server(t)
	ivan, elodie, namaste := named(t, app, "Иван"), named(t, app, "Élodie"), named(t, app, "नमस्ते")
	dev, devDash, dot := named(t, app, "dev"), named(t, app, "dev-"), named(t, app, ".dot")
	board := testapp.ID(testapp.BoardPublic)
	post := func(content string) string {
		t.Helper()
		return mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
			map[string]any{"board": board, "title": "hi", "content": content}, 200).Body["id"].(string)
	}
	for _, c := range []struct {
		content string
		told    map[string]int // user → mentions of this post
	}{
		{"hello @иван !", map[string]int{ivan: 1}},
		{"hello @ÉLODIE and @élodie", map[string]int{elodie: 1}},
		{"hello @नमस्ते !", map[string]int{namaste: 1}},
		{"hello @dev- !", map[string]int{devDash: 1, dev: 0}},
		{"hello @.dot !", map[string]int{dot: 1}},
		{"see you, @dev.", map[string]int{dev: 1}},
		{"see you, @DEV-.", map[string]int{devDash: 1, dev: 0}},
	} {
		id := post(c.content)
		for user, want := range c.told {
			if got, _ := mentionsOf(t, app, user, id, ""); got != want {
				t.Errorf("%q: user %s has %d mentions, want %d", c.content, user, got, want)
			}
		}
	}
	// once "dev." exists, "@dev." is theirs: the name as written wins
	devDot := named(t, app, "dev.")
	id := post("see you, @dev.")
	if d, dd := func() (int, int) {
		a, _ := mentionsOf(t, app, dev, id, "")
		b, _ := mentionsOf(t, app, devDot, id, "")
		return a, b
	}(); d != 0 || dd != 1 {
		t.Errorf("@dev. with a user dev.: dev %d, dev. %d mentions; want 0 and 1", d, dd)
	}
	// Иван and иван both, a pair stored before sign-ups refused it
	// (hooks' users): each as written, ИВАН neither
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	small := core.NewRecord(users)
	small.Set("name", "иван")
	small.Set("email", "ivan-small@example.com")
	small.SetPassword(testapp.Password + "x")
	if err := app.SaveNoValidate(small); err != nil {
		t.Fatal(err)
	}
	ivanSmall := small.Id
	id = post("@иван @Иван @ИВАН")
	for user, want := range map[string]int{ivan: 1, ivanSmall: 1} {
		if got, _ := mentionsOf(t, app, user, id, ""); got != want {
			t.Errorf("@иван @Иван: user %s has %d mentions, want %d", user, got, want)
		}
	}
	id = post("@ИВАН")
	for _, user := range []string{ivan, ivanSmall} {
		if got, _ := mentionsOf(t, app, user, id, ""); got != 0 {
			t.Errorf("@ИВАН mentioned %s, one of two it could mean", user)
		}
	}
}

// TestMentionsWithKoreanParticles: a Korean name is written with its
// particle or honorific attached (@영희님, @영희야, @철수는, @운영자님께):
// such a mention tells the member when no member has the name as written,
// and only them; a name as written still wins. Until 2026-12-04 they told
// nobody.
func TestMentionsWithKoreanParticles(t *testing.T) {
	app, base := server(t)
	younghee, chulsoo, mod := named(t, app, "영희"), named(t, app, "철수"), named(t, app, "운영자")
	minsui := named(t, app, "민수이") // a name that ends as a particle does
	minsu := named(t, app, "민수")
	board := testapp.ID(testapp.BoardPublic)
	everyone := []string{younghee, chulsoo, mod, minsui, minsu}
	for _, c := range []struct {
		content string
		told    []string
	}{
		{"@영희님 안녕하세요", []string{younghee}},
		{"@영희야 밥 먹자", []string{younghee}},
		{"@영희씨, @철수는 어디?", []string{younghee, chulsoo}},
		{"@운영자님께 문의드립니다", []string{mod}},
		{"@운영자님은 답이 없네요", []string{mod}},
		{"@철수에게서 들었어요", []string{chulsoo}},
		{"@민수이 왔어요", []string{minsui}}, // as written first
		{"@민수가 왔어요", []string{minsu}},
		{"@영님 @희야", nil}, // what is left must be a member's name
	} {
		id := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
			map[string]any{"board": board, "title": "hi", "content": c.content}, 200).Body["id"].(string)
		for _, user := range everyone {
			want := 0
			if slices.Contains(c.told, user) {
				want = 1
			}
			if got, _ := mentionsOf(t, app, user, id, ""); got != want {
				t.Errorf("%q: user %s has %d mentions, want %d", c.content, user, got, want)
			}
		}
	}
}

// TestNameTwinsAreRefused: a name that is a member's with an honorific
// added or taken off (운영자님 beside 운영자, 철수 beside 철수씨) is
// refused at sign-up and on a rename, 400 naming the member, and nothing
// is stored; so is a member's name in another case of any script (жора
// beside Жора, as BOB beside bob); names that only start alike are not.
// Until 2026-12-04 운영자님 could sign up and take the mentions meant for
// 운영자, and жора pass for Жора.
func TestNameTwinsAreRefused(t *testing.T) {
	app, base := server(t)
	named(t, app, "운영자")
	named(t, app, "철수씨")
	signUp := func(name string) testapp.Response {
		return testapp.Call(t, http.MethodPost, base+"/api/collections/users/records", "", map[string]any{
			"name": name, "email": fmt.Sprintf("s-%x@example.com", name), "password": testapp.Password + "x",
			"passwordConfirm": testapp.Password + "x"})
	}
	// another case of any script is the same name, as BOB is bob's
	named(t, app, "Жора")
	named(t, app, "ÉLISE")
	for _, c := range []struct{ name, code string }{
		{"운영자님", "validation_name_honorific_twin"}, {"운영자선생님", "validation_name_honorific_twin"},
		{"철수", "validation_name_honorific_twin"}, {"철수님", "validation_name_honorific_twin"},
		{"жора", "validation_not_unique"}, {"élise", "validation_not_unique"},
	} {
		snap := testapp.TakeSnapshot(t, app, "users")
		r := signUp(c.name)
		data, _ := r.Body["data"].(map[string]any)
		field, _ := data["name"].(map[string]any)
		if r.Status != 400 || field["code"] != c.code {
			t.Errorf("sign-up as %s: %d %s, want 400 %s", c.name, r.Status, r.Raw, c.code)
		}
		snap.AssertUnchanged(t, app)
	}
	for _, name := range []string{"운영자들", "님운영자", "철수씨네", "Жорик"} {
		named(t, app, name) // saved through the same validation (sign-ups are rate-limited)
	}
	// a rename too; keeping one's own name is no twin of oneself
	snap := testapp.TakeSnapshot(t, app, "users")
	r := testapp.Call(t, http.MethodPatch, base+"/api/collections/users/records/"+testapp.ID(testapp.Alice),
		testapp.Token(testapp.Alice), map[string]any{"name": "운영자님"})
	if r.Status != 400 {
		t.Errorf("rename to 운영자님: %d %s", r.Status, r.Raw)
	}
	snap.AssertUnchanged(t, app)
	if r := testapp.Call(t, http.MethodPatch, base+"/api/collections/users/records/"+testapp.ID(testapp.Alice),
		testapp.Token(testapp.Alice), map[string]any{"name": "앨리스님"}); r.Status != 200 {
		t.Errorf("rename to 앨리스님: %d %s", r.Status, r.Raw)
	}
	if r := testapp.Call(t, http.MethodPatch, base+"/api/collections/users/records/"+testapp.ID(testapp.Alice),
		testapp.Token(testapp.Alice), map[string]any{"name": "앨리스님"}); r.Status != 200 {
		t.Errorf("saving 앨리스님 again: %d %s", r.Status, r.Raw)
	}
}

// TestMentionNoticesOncePerRecord: a reader holds at most one mention
// notice of a post, a comment or a chat message, however often an edit
// removes and re-adds them, and however many edits add them at once.
// Until 2026-12-04 each re-adding notified again.
func TestMentionNoticesOncePerRecord(t *testing.T) {
	app, base := server(t)
	p, c := postWithComment(t, base, testapp.Alice, "hi @gina")
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "trio", "kind": "group", "owner": alice, "members": []string{bob, gina}})
	m := mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice,
		map[string]any{"session": session.Id, "content": "hi @gina"}, 200).Body["id"].(string)
	for _, u := range []string{"posts/records/" + p, "comments/records/" + c, "chats/records/" + m} {
		for range 3 {
			mustCall(t, base, http.MethodPatch, "/api/collections/"+u, testapp.Alice, map[string]any{"content": "bye"}, 200)
			mustCall(t, base, http.MethodPatch, "/api/collections/"+u, testapp.Alice, map[string]any{"content": "hi again @Gina"}, 200)
		}
	}
	if n, _ := mentionsOf(t, app, gina, p, ""); n != 1 {
		t.Errorf("gina's mentions of the post: %d, want 1", n)
	}
	if n, _ := mentionsOf(t, app, gina, p, c); n != 1 {
		t.Errorf("gina's mentions of the comment: %d, want 1", n)
	}
	chatMentions := 0
	for _, n := range notificationsOf(t, app, gina) {
		if n.GetString("kind") == community.KindMention && n.GetString("message") == m {
			chatMentions++
		}
	}
	if chatMentions != 1 {
		t.Errorf("gina's mentions of the chat message: %d, want 1", chatMentions)
	}

	// edits at once, each adding bob to a comment: one notice
	c2 := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Alice,
		map[string]any{"post": p, "content": "nobody yet"}, 200).Body["id"].(string)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			call(t, base, http.MethodPatch, "/api/collections/comments/records/"+c2, testapp.Alice, map[string]any{"content": fmt.Sprintf("@bob %d", i)})
		})
	}
	wg.Wait()
	if n, _ := mentionsOf(t, app, bob, p, c2); n != 1 {
		t.Errorf("bob's mentions after 6 edits at once: %d, want 1", n)
	}
}

// TestMentionsAddedByAnEditAreTheEditors: a mention an admin's edit adds to
// a member's post or comment is shown as the admin's, a superuser's as
// nobody's; the author's own edit stays theirs. Until 2026-12-04 it was
// shown as the author's.
func TestMentionsAddedByAnEditAreTheEditors(t *testing.T) {
	app, base := server(t)
	p, c := postWithComment(t, base, testapp.Bob, "plain")
	for _, target := range []struct{ url, comment string }{{"posts/records/" + p, ""}, {"comments/records/" + c, c}} {
		for _, edit := range []struct{ who, mentioned, wantActor string }{
			{testapp.Adam, "gina", adam},
			{"root", "alice", ""},
			{testapp.Bob, "adam", bob},
		} {
			mustCall(t, base, http.MethodPatch, "/api/collections/"+target.url, edit.who, map[string]any{"content": "@" + edit.mentioned}, 200)
			user := testapp.ID(edit.mentioned)
			if n, actor := mentionsOf(t, app, user, p, target.comment); n != 1 || actor != edit.wantActor {
				t.Errorf("%s's edit of %s mentioning %s: %d notices by %q, want 1 by %q", edit.who, target.url, edit.mentioned, n, actor, edit.wantActor)
			}
		}
	}
}

// TestMutedKindsLeaveMentions: one who muted comment and reply notices
// still hears of a comment on their post, or a reply to their comment, that
// mentions them — as a mention, the kind they did not mute; muting reply
// alone leaves the comment notice of a reply on their post. Until
// 2026-12-04 the muted kind took the mention with it.
func TestMutedKindsLeaveMentions(t *testing.T) {
	app, base := server(t)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), alice, "alice asks")
	mine := testapp.CreateComment(t, app, post.Id, alice, "")
	kindsOf := func(comment string) []string {
		var kinds []string
		for _, n := range notificationsOf(t, app, alice) {
			if n.GetString("comment") == comment {
				kinds = append(kinds, n.GetString("kind"))
			}
		}
		return kinds
	}
	comment := func(parent, content string) string {
		t.Helper()
		return mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
			map[string]any{"post": post.Id, "parent": parent, "content": content}, 200).Body["id"].(string)
	}
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+alice, testapp.Alice,
		map[string]any{"notify_mute": []string{"comment", "reply"}}, 200)
	for _, c := range []struct {
		parent, content string
		want            string // the kind alice gets, "" none
	}{
		{"", "hey @alice", community.KindMention},
		{mine.Id, "@alice see", community.KindMention},
		{"", "no mention", ""},
		{mine.Id, "no mention", ""},
	} {
		id := comment(c.parent, c.content)
		if got := kindsOf(id); (c.want == "" && len(got) != 0) || (c.want != "" && (len(got) != 1 || got[0] != c.want)) {
			t.Errorf("%q (parent %q), comment and reply muted: alice got %v, want %q", c.content, c.parent, got, c.want)
		}
	}
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+alice, testapp.Alice,
		map[string]any{"notify_mute": []string{"reply"}}, 200)
	if got := kindsOf(comment(mine.Id, "@alice see")); len(got) != 1 || got[0] != community.KindComment {
		t.Errorf("a reply on her post mentioning her, reply muted: alice got %v, want [comment]", got)
	}
}

// postWithComment has who write a post on the public board and a comment
// under it, both saying content; it returns their ids.
func postWithComment(t *testing.T, base, who, content string) (post, comment string) {
	t.Helper()
	post = mustCall(t, base, http.MethodPost, "/api/collections/posts/records", who,
		map[string]any{"board": testapp.ID(testapp.BoardPublic), "title": "t", "content": content}, 200).Body["id"].(string)
	comment = mustCall(t, base, http.MethodPost, "/api/collections/comments/records", who,
		map[string]any{"post": post, "content": content}, 200).Body["id"].(string)
	return post, comment
}
