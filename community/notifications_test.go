package community_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/community"
	"madang/internal/testapp"
)

// TestCommentsNotifyThePostAndCommentAuthors: a comment notifies the post's
// author (comment); a reply notifies the author of the comment it answers
// (reply) and the post's author; nobody is notified of their own action.
func TestCommentsNotifyThePostAndCommentAuthors(t *testing.T) {
	app, base := server(t)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), alice, "alice asks")
	c := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob, map[string]any{"post": post.Id, "content": "bob answers"}, 200)
	got := notificationsOf(t, app, alice)
	if len(got) != 1 || got[0].GetString("kind") != community.KindComment || got[0].GetString("actor") != bob ||
		got[0].GetString("comment") != c.Body["id"] || got[0].GetString("post") != post.Id {
		t.Fatalf("alice's notifications after bob's comment: %v", got)
	}
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Gina,
		map[string]any{"post": post.Id, "parent": c.Body["id"], "content": "gina replies"}, 200)
	if got := notificationsOf(t, app, bob); len(got) != 1 || got[0].GetString("kind") != community.KindReply {
		t.Fatalf("bob's notifications after gina's reply: %v", got)
	}
	if got := notificationsOf(t, app, alice); len(got) != 2 || got[0].GetString("kind") != community.KindComment {
		t.Fatalf("alice's notifications after gina's reply: %v", got)
	}
	// her own comment on her own post notifies nobody
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Alice, map[string]any{"post": post.Id, "content": "thanks"}, 200)
	if n := len(notificationsOf(t, app, alice)); n != 2 {
		t.Fatalf("alice was notified of her own comment: %d notifications", n)
	}
}

// TestMentions: @name in posts and comments notifies the named user,
// case-insensitively and in any script — once per edit that adds it — but
// never one who cannot read the content, the author themself, one who
// muted mentions, or one who blocked the author. Chat messages:
// TestChatMentions.
func TestMentions(t *testing.T) {
	app, base := server(t)
	korean := testapp.SaveRecord(t, app, "users", map[string]any{"name": "김민수", "email": "minsu@example.com", "password": testapp.Password + "x", "passwordConfirm": testapp.Password + "x"})

	p := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": testapp.ID(testapp.BoardPublic), "title": "hello", "content": "@BOB and @김민수, see this. mail me at x@alice.example"}, 200)
	if got := notificationsOf(t, app, bob); len(got) != 1 || got[0].GetString("kind") != community.KindMention || got[0].GetString("post") != p.Body["id"] {
		t.Fatalf("bob after a mention: %v", got)
	}
	if got := notificationsOf(t, app, korean.Id); len(got) != 1 {
		t.Fatalf("김민수 after a mention: %v", got)
	}
	// an edit that keeps the mention notifies nobody again; one that adds gina does
	postURL := "/api/collections/posts/records/" + p.Body["id"].(string)
	mustCall(t, base, http.MethodPatch, postURL, testapp.Alice, map[string]any{"content": "@bob and @김민수 again"}, 200)
	if n := len(notificationsOf(t, app, bob)); n != 1 {
		t.Fatalf("bob notified again by an edit: %d", n)
	}
	mustCall(t, base, http.MethodPatch, postURL, testapp.Alice, map[string]any{"content": "@bob @gina"}, 200)
	if n := len(notificationsOf(t, app, gina)); n != 1 {
		t.Fatalf("gina after an edit added her: %d", n)
	}

	// a granted board: bob (not granted) is not told of a post he cannot read
	mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Gina,
		map[string]any{"board": testapp.ID(testapp.BoardGranted), "title": "secret", "content": "@bob @alice psst"}, 200)
	if n := len(notificationsOf(t, app, bob)); n != 1 {
		t.Fatalf("bob was notified of a post on a board he cannot read: %d", n)
	}
	// self-mention, muted, blocked
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+bob, testapp.Bob, map[string]any{"notify_mute": []string{"mention"}}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Gina, map[string]any{"blocked": alice}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": testapp.ID(testapp.BoardPublic), "title": "again", "content": "@alice @bob @gina"}, 200)
	if a, b, g := len(notificationsOf(t, app, alice)), len(notificationsOf(t, app, bob)), len(notificationsOf(t, app, gina)); a != 0 || b != 1 || g != 1 {
		t.Fatalf("self %d (want 0), muted bob %d (want 1), blocking gina %d (want 1)", a, b, g)
	}
}

// TestMentionsOfHiddenContent: hidden posts, comments and chat messages notify nobody,
// not even of the mentions their author adds while they are hidden; when
// an admin shows one again, who it mentions is told then, once: who was
// told before the hide is not told again.
func TestMentionsOfHiddenContent(t *testing.T) {
	app, base := server(t)
	p := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": testapp.ID(testapp.BoardPublic), "title": "hello", "content": "@bob look"}, 200)
	postURL := "/api/collections/posts/records/" + p.Body["id"].(string)
	c := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Alice,
		map[string]any{"post": p.Body["id"], "content": "@bob here too"}, 200)
	commentURL := "/api/collections/comments/records/" + c.Body["id"].(string)
	mentions := func(user string) (post, comment int) {
		for _, n := range notificationsOf(t, app, user) {
			switch {
			case n.GetString("kind") != community.KindMention:
			case n.GetString("comment") == c.Body["id"]:
				comment++
			case n.GetString("post") == p.Body["id"]:
				post++
			}
		}
		return post, comment
	}
	if gp, gc := mentions(bob); gp != 1 || gc != 1 {
		t.Fatalf("bob's mentions after the post and comment: %d and %d, want 1 and 1", gp, gc)
	}

	for _, u := range []string{postURL, commentURL} {
		mustCall(t, base, http.MethodPatch, u, testapp.Adam, map[string]any{"is_visible": false}, 200)
		mustCall(t, base, http.MethodPatch, u, testapp.Alice, map[string]any{"content": "@bob and @gina, hidden"}, 200)
	}
	if gp, gc := mentions(gina); gp != 0 || gc != 0 {
		t.Fatalf("gina was told of hidden content: %d and %d mentions", gp, gc)
	}
	for _, u := range []string{postURL, commentURL} {
		mustCall(t, base, http.MethodPatch, u, testapp.Adam, map[string]any{"is_visible": true}, 200)
	}
	if gp, gc := mentions(gina); gp != 1 || gc != 1 {
		t.Errorf("gina's mentions once shown again: %d and %d, want 1 and 1", gp, gc)
	}
	if gp, gc := mentions(bob); gp != 1 || gc != 1 {
		t.Errorf("bob's mentions once shown again: %d and %d, want 1 and 1 (told before the hide)", gp, gc)
	}
	// an edit after it compares with the text again
	mustCall(t, base, http.MethodPatch, postURL, testapp.Alice, map[string]any{"content": "@bob and @gina, shown"}, 200)
	if gp, _ := mentions(gina); gp != 1 {
		t.Errorf("gina's post mentions after an edit that keeps her: %d, want 1", gp)
	}

	// a chat message: its notices name it (notifications.message)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "trio", "kind": "group", "owner": alice, "members": []string{bob, gina}})
	msg := mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice,
		map[string]any{"session": session.Id, "content": "@bob look"}, 200)
	msgURL := "/api/collections/chats/records/" + msg.Body["id"].(string)
	chatMentions := func(user string) (n int) {
		for _, notice := range notificationsOf(t, app, user) {
			if notice.GetString("kind") == community.KindMention && notice.GetString("message") == msg.Body["id"] {
				n++
			}
		}
		return n
	}
	// a group chat is its members' own: the dashboard's superuser moderates it
	mustCall(t, base, http.MethodPatch, msgURL, "root", map[string]any{"is_visible": false}, 200)
	mustCall(t, base, http.MethodPatch, msgURL, testapp.Alice, map[string]any{"content": "@bob and @gina, hidden"}, 200)
	if n := chatMentions(gina); n != 0 {
		t.Fatalf("gina was told of a hidden chat message: %d mentions", n)
	}
	mustCall(t, base, http.MethodPatch, msgURL, "root", map[string]any{"is_visible": true}, 200)
	if b, g := chatMentions(bob), chatMentions(gina); b != 1 || g != 1 {
		t.Errorf("chat mentions once shown again: bob %d, gina %d; want 1 and 1", b, g)
	}
}

// TestChatMentions: @name in a chat message notifies a mentioned member
// (a mention, naming the session), and an edit that adds one notifies
// them; a mentioned user who is not a member of a group chat is not told.
// The member not mentioned and not watching gets the chat notice.
func TestChatMentions(t *testing.T) {
	app, base := server(t)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "trio", "kind": "group", "owner": alice, "members": []string{bob, gina}})
	msg := mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice,
		map[string]any{"session": session.Id, "content": "@bob @adam look"}, 200)
	kinds := func(user string) []string {
		var k []string
		for _, n := range notificationsOf(t, app, user) {
			k = append(k, n.GetString("kind")+"/"+n.GetString("session"))
		}
		slices.Sort(k)
		return k
	}
	mention, chatNotice := community.KindMention+"/"+session.Id, community.KindChat+"/"+session.Id
	if got := kinds(bob); !slices.Equal(got, []string{chatNotice, mention}) {
		t.Fatalf("bob, mentioned: %v; want a chat notice and a mention of the session", got)
	}
	if got := kinds(gina); !slices.Equal(got, []string{chatNotice}) {
		t.Fatalf("gina, not mentioned: %v", got)
	}
	if got := kinds(adam); len(got) != 0 {
		t.Fatalf("adam, mentioned but not a member: %v", got)
	}
	mustCall(t, base, http.MethodPatch, "/api/collections/chats/records/"+msg.Body["id"].(string), testapp.Alice,
		map[string]any{"content": "@bob @adam @gina look"}, 200)
	if got := kinds(gina); !slices.Equal(got, []string{chatNotice, mention}) {
		t.Fatalf("gina after an edit added her: %v", got)
	}
	if got := kinds(bob); len(got) != 2 {
		t.Fatalf("bob notified again by the edit: %v", got)
	}
}

// TestChatNotificationsFold: messages in a chat a member does not have open
// become one unread notification per session (the first message's), until
// read; a member watching the chat — its typing topic open over SSE, or
// joined over the WebSocket bridge — is not notified.
func TestChatNotificationsFold(t *testing.T) {
	app, base := server(t)
	adam := testapp.ID(testapp.Adam)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "trio", "kind": "group", "owner": alice, "members": []string{bob, gina, adam}})
	watcher := testapp.OpenSSE(t, base, token(testapp.Gina), "chat_typing/"+session.Id)
	_ = watcher
	joinChatWS(t, base, testapp.Adam, session.Id)
	for i := range 3 {
		mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice, map[string]any{"session": session.Id, "content": fmt.Sprint("hi ", i)}, 200)
	}
	got := notificationsOf(t, app, bob)
	if len(got) != 1 || got[0].GetInt("count") != 1 || got[0].GetString("kind") != community.KindChat || got[0].GetString("text") != "hi 0" {
		t.Fatalf("bob's chat notifications: %v", got)
	}
	if n := len(notificationsOf(t, app, gina)); n != 0 {
		t.Fatalf("gina, watching the chat over SSE, got %d notifications", n)
	}
	if n := len(notificationsOf(t, app, adam)); n != 0 {
		t.Fatalf("adam, in the chat over the WebSocket bridge, got %d notifications", n)
	}
	if n := len(notificationsOf(t, app, alice)); n != 0 {
		t.Fatalf("alice got %d notifications of her own messages", n)
	}
	// read: the next message starts a new one
	mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Bob, map[string]any{"all": true}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice, map[string]any{"session": session.Id, "content": "more"}, 200)
	if got := notificationsOf(t, app, bob); len(got) != 2 || got[0].GetString("read_at") != "" || got[0].GetInt("count") != 1 {
		t.Fatalf("bob after reading and one more message: %v", got)
	}
}

// TestChatNoticesFollowJoinsAndLeaves: who has the chat open over the
// WebSocket bridge is asked for each message, though the set of joined
// users is built once and kept until a join or leave: a member who joins
// after it was built is not notified, one who leaves is again.
func TestChatNoticesFollowJoinsAndLeaves(t *testing.T) {
	app, base := server(t)
	adam := testapp.ID(testapp.Adam)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "trio", "kind": "group", "owner": alice, "members": []string{bob, adam}})
	unread := func(user string) int {
		n := 0
		for _, r := range notificationsOf(t, app, user) {
			if r.GetString("read_at") == "" {
				n++
			}
		}
		return n
	}
	adamWS := joinChatWS(t, base, testapp.Adam, session.Id)
	mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice, map[string]any{"session": session.Id, "content": "one"}, 200)
	if unread(bob) != 1 || unread(adam) != 0 {
		t.Fatalf("after one: bob %d unread, adam (joined) %d", unread(bob), unread(adam))
	}

	mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Bob, map[string]any{"all": true}, 200)
	joinChatWS(t, base, testapp.Bob, session.Id)
	mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice, map[string]any{"session": session.Id, "content": "two"}, 200)
	if unread(bob) != 0 {
		t.Fatalf("bob, who joined after the first message, has %d unread", unread(bob))
	}

	leaveChatWS(t, adamWS, session.Id)
	mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice, map[string]any{"session": session.Id, "content": "three"}, 200)
	if got := notificationsOf(t, app, adam); len(got) != 1 || got[0].GetString("text") != "three" {
		t.Fatalf("adam, who left, has %v", got)
	}
	if unread(bob) != 0 {
		t.Fatalf("bob, still joined, has %d unread", unread(bob))
	}
}

// TestChatNoticesAreDecidedBeforeTheTransaction: a chat message's notices
// read the session's members on the read connections, before the
// message's transaction; inside it the read would hold SQLite's one write
// connection. The logs dbx calls tell the two databases apart.
func TestChatNoticesAreDecidedBeforeTheTransaction(t *testing.T) {
	app, base := server(t)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "pair", "kind": "group", "owner": alice, "members": []string{bob}})

	const membersRead = "SELECT kind, CASE WHEN members = ?2" // chat.SessionMembers
	var mu sync.Mutex
	seen := map[string]int{} // "read pool" or "write connection" → member reads
	watch := func(db dbx.Builder, name string) {
		t.Cleanup(testapp.OnQuery(db, func(_ context.Context, _ time.Duration, text string, _ *sql.Rows, _ error) {
			if strings.HasPrefix(text, membersRead) {
				mu.Lock()
				seen[name]++
				mu.Unlock()
			}
		}))
	}
	watch(app.ConcurrentDB(), "read pool")
	watch(app.NonconcurrentDB(), "write connection")

	mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice, map[string]any{"session": session.Id, "content": "hello"}, 200)
	mu.Lock()
	defer mu.Unlock()
	if seen["read pool"] != 1 || seen["write connection"] != 0 {
		t.Errorf("the message's notices read the members %v; want once on the read pool, never on the write connection", seen)
	}
	if got := notificationsOf(t, app, bob); len(got) != 1 || got[0].GetString("kind") != community.KindChat {
		t.Errorf("bob's notifications: %v", got)
	}
}

// TestChatNotificationsFoldUnderConcurrency: 40 messages at once from two
// members still leave exactly one unread notification for the third.
func TestChatNotificationsFoldUnderConcurrency(t *testing.T) {
	app, base := server(t)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "busy", "kind": "group", "owner": alice, "members": []string{bob, gina}})
	var wg sync.WaitGroup
	for i := range 40 {
		who := []string{testapp.Alice, testapp.Bob}[i%2]
		wg.Go(func() {
			testapp.Call(t, http.MethodPost, base+"/api/collections/chats/records", token(who), map[string]any{"session": session.Id, "content": "x"})
		})
	}
	wg.Wait()
	got := notificationsOf(t, app, gina)
	if len(got) != 1 || got[0].GetString("read_at") != "" {
		t.Fatalf("gina's notifications after 40 concurrent messages: %d, count %v", len(got), got)
	}
}

// TestNotificationRoutesAndRules: only the owner reads, marks read and
// deletes their notifications; the unread route counts by kind; marking
// someone else's ids changes nothing; realtime reaches the owner only.
func TestNotificationRoutesAndRules(t *testing.T) {
	app, base := server(t)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), alice, "mine")
	aliceLive := testapp.OpenSSE(t, base, token(testapp.Alice), "notifications/*")
	bobLive := testapp.OpenSSE(t, base, token(testapp.Bob), "notifications/*")
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob, map[string]any{"post": post.Id, "content": "hi @alice"}, 200)
	rec := aliceLive.ExpectRecord(t, "notifications/*")
	if row := notificationsOf(t, app, alice)[0]; rec["user"] != alice || rec["kind"] != community.KindComment ||
		rec["id"] != row.Id || rec["created"] == "" || rec["created"] != row.GetString("created") {
		t.Fatalf("alice's live notification: %v; the row: %v", rec, row)
	}
	id := rec["id"].(string)
	// bob's stream: the next event he gets is his own (gina comments on his... sentinel: alice mentions bob)
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Alice, map[string]any{"post": post.Id, "content": "@bob thanks"}, 200)
	if ev := bobLive.ExpectRecord(t, "notifications/*"); ev["user"] != bob {
		t.Fatalf("bob received someone else's notification: %v", ev)
	}

	for _, who := range []string{"", testapp.Bob, testapp.Adam} {
		if r := call(t, base, http.MethodGet, "/api/collections/notifications/records/"+id, who, nil); r.Status != 404 && r.Status != 403 {
			t.Errorf("%q viewing alice's notification: %d", who, r.Status)
		}
		if r := call(t, base, http.MethodGet, "/api/collections/notifications/records", who, nil); r.Status == 200 && slices.Contains(ids(items(r)), id) {
			t.Errorf("%q lists alice's notification", who)
		}
	}
	snap := testapp.TakeSnapshot(t, app, "notifications")
	for _, who := range []string{testapp.Alice, testapp.Adam} {
		if r := call(t, base, http.MethodPost, "/api/collections/notifications/records", who, map[string]any{"user": alice, "kind": "mention"}); r.Status != 403 && r.Status != 400 {
			t.Errorf("%s creating a notification: %d", who, r.Status)
		}
		if r := call(t, base, http.MethodPatch, "/api/collections/notifications/records/"+id, who, map[string]any{"text": "x"}); r.Status != 403 && r.Status != 404 {
			t.Errorf("%s editing a notification: %d", who, r.Status)
		}
	}
	if r := call(t, base, http.MethodDelete, "/api/collections/notifications/records/"+id, testapp.Bob, nil); r.Status != 404 {
		t.Errorf("bob deleting alice's notification: %d", r.Status)
	}
	mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Bob, map[string]any{"ids": []string{id}}, 200)
	snap.AssertUnchanged(t, app)

	u := mustCall(t, base, http.MethodGet, "/api/notifications/unread", testapp.Alice, nil, 200)
	if u.Body["total"] != 1.0 || u.Body["kinds"].(map[string]any)[community.KindComment] != 1.0 {
		t.Fatalf("alice's unread: %s", u.Raw)
	}
	mustCall(t, base, http.MethodGet, "/api/notifications/unread", "", nil, 401)
	mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Alice, map[string]any{}, 400)
	// one or the other: both marked everything until 2026-12-04
	snap = testapp.TakeSnapshot(t, app, "notifications")
	mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Alice, map[string]any{"ids": []string{"nosuchnotice123"}, "all": true}, 400)
	snap.AssertUnchanged(t, app)
	r := mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Alice, map[string]any{"ids": []string{id}}, 200)
	if r.Body["marked"] != 1.0 {
		t.Fatalf("marking one read: %s", r.Raw)
	}
	if u := mustCall(t, base, http.MethodGet, "/api/notifications/unread", testapp.Alice, nil, 200); u.Body["total"] != 0.0 {
		t.Fatalf("alice's unread after marking: %s", u.Raw)
	}
	mustCall(t, base, http.MethodDelete, "/api/collections/notifications/records/"+id, testapp.Alice, nil, 204)
}

// TestUnreadNotificationsAreBounded: past community.MaxUnread, the oldest
// unread notifications fold (are marked read) a batch at a time, down to
// MaxUnread-FoldBatch; the newest stay unread and nothing is deleted.
func TestUnreadNotificationsAreBounded(t *testing.T) {
	app, base := server(t)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), alice, "busy")
	unread := func() float64 {
		t.Helper()
		u := mustCall(t, base, http.MethodGet, "/api/notifications/unread", testapp.Alice, nil, 200)
		return u.Body["total"].(float64)
	}
	for range community.MaxUnread {
		testapp.CreateComment(t, app, post.Id, bob, "")
	}
	if n := unread(); n != community.MaxUnread {
		t.Fatalf("unread after %d comments: %v, want all", community.MaxUnread, n)
	}
	last := testapp.CreateComment(t, app, post.Id, bob, "") // one past the bound: a batch folds
	if n := unread(); n != community.MaxUnread-community.FoldBatch {
		t.Fatalf("unread after %d comments: %v, want %d", community.MaxUnread+1, n, community.MaxUnread-community.FoldBatch)
	}
	for range 5 {
		testapp.CreateComment(t, app, post.Id, bob, "")
	}
	if n := unread(); n != community.MaxUnread-community.FoldBatch+5 {
		t.Fatalf("unread after %d comments: %v", community.MaxUnread+6, n)
	}
	all := notificationsOf(t, app, alice) // newest first
	if len(all) != community.MaxUnread+6 {
		t.Fatalf("%d notifications stored, want all %d", len(all), community.MaxUnread+6)
	}
	// the folded are the oldest: none is newer than an unread one
	var folded int
	var newestFolded, oldestUnread string
	for _, n := range all {
		created := n.GetDateTime("created").String()
		if n.GetString("read_at") != "" {
			folded++
			newestFolded = max(newestFolded, created)
		} else if oldestUnread == "" || created < oldestUnread {
			oldestUnread = created
		}
		if n.GetString("comment") == last.Id && n.GetString("read_at") != "" {
			t.Fatal("the notice that made the fold was folded itself")
		}
	}
	if folded != community.FoldBatch+1 || newestFolded > oldestUnread {
		t.Fatalf("%d folded (newest %s), oldest unread %s; want %d folded, all older", folded, newestFolded, oldestUnread, community.FoldBatch+1)
	}
}

// TestUnreadBoundHoldsAcrossRollbacks: foldUnread keeps a per-user upper
// bound so that most notices cost no count. A fold whose transaction rolls
// back must leave no bound behind (the next notice is counted and folds),
// and notices written one by one never leave more than MaxUnread unread.
func TestUnreadBoundHoldsAcrossRollbacks(t *testing.T) {
	app := testapp.New(t)
	notifications, err := app.FindCollectionByNameOrId(community.Notifications)
	if err != nil {
		t.Fatal(err)
	}
	insert := func(n int) {
		t.Helper()
		for range n {
			r := core.NewRecord(notifications)
			r.Set("user", alice)
			r.Set("kind", community.KindComment)
			r.Set("count", 1)
			if err := app.SaveNoValidate(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	unreadIn := func(db core.App) int {
		t.Helper()
		var n int
		err := db.DB().NewQuery("SELECT COUNT(*) FROM notifications WHERE user = {:u} AND read_at = ''").
			Bind(map[string]any{"u": alice}).Row(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	insert(community.MaxUnread + 1)
	err = app.RunInTransaction(func(tx core.App) error {
		if err := community.FoldUnread(tx, alice); err != nil {
			return err
		}
		if n := unreadIn(tx); n != community.MaxUnread-community.FoldBatch {
			t.Errorf("unread in the transaction after its fold: %d, want %d", n, community.MaxUnread-community.FoldBatch)
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("the transaction did not fail")
	}
	if n := unreadIn(app); n != community.MaxUnread+1 {
		t.Fatalf("unread after the rollback: %d, want %d", n, community.MaxUnread+1)
	}
	if err := community.FoldUnread(app, alice); err != nil {
		t.Fatal(err)
	}
	if n := unreadIn(app); n != community.MaxUnread-community.FoldBatch {
		t.Fatalf("the notice after a rolled-back fold was not counted: %d unread, want %d",
			n, community.MaxUnread-community.FoldBatch)
	}
	for i := range 3 * community.FoldBatch {
		insert(1)
		if err := community.FoldUnread(app, alice); err != nil {
			t.Fatal(err)
		}
		if n := unreadIn(app); n > community.MaxUnread {
			t.Fatalf("notice %d left %d unread, more than %d", i, n, community.MaxUnread)
		}
	}
}

// joinChatWS joins who to session over the chat WebSocket bridge, for the
// rest of the test.
func joinChatWS(t *testing.T, base, who, session string) *websocket.Conn {
	t.Helper()
	c := testapp.DialChat(t, base, token(who))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := wsjson.Write(ctx, c, map[string]string{"type": "join", "session": session}); err != nil {
		t.Fatal(err)
	}
	for {
		var f struct{ Type, Message string }
		if err := wsjson.Read(ctx, c, &f); err != nil {
			t.Fatal(err)
		}
		if f.Type == "joined" {
			return c
		}
		if f.Type == "error" {
			t.Fatalf("joining chat %s as %s: %s", session, who, f.Message)
		}
	}
}

// leaveChatWS leaves session on c and returns once the server handled it:
// a leave has no answer, but frames are handled in order, so the refusal
// of a message to the session left shows it.
func leaveChatWS(t *testing.T, c *websocket.Conn, session string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, f := range []map[string]string{{"type": "leave", "session": session}, {"type": "message", "session": session, "content": "x"}} {
		if err := wsjson.Write(ctx, c, f); err != nil {
			t.Fatal(err)
		}
	}
	for {
		var f struct{ Type, Message string }
		if err := wsjson.Read(ctx, c, &f); err != nil {
			t.Fatal(err)
		}
		if f.Type == "error" && strings.HasPrefix(f.Message, "Join chat "+session) {
			return
		}
	}
}

// TestOneCommentNotifiesSeveral: a reply that also comments on a post and
// mentions two members writes its notices in one statement; each reaches
// its owner live, and the statement still skips who muted the kind and
// who blocked the writer (checked before the transaction).
func TestOneCommentNotifiesSeveral(t *testing.T) {
	app, base := server(t)
	ada := testapp.ID(testapp.Ada)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), alice, "alice asks")
	first := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Gina,
		map[string]any{"post": post.Id, "content": "gina answers"}, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+ada, testapp.Ada, map[string]any{"notify_mute": []string{"mention"}}, 200)
	before := map[string]int{}
	for _, u := range []string{alice, gina, adam, ada} {
		before[u] = len(notificationsOf(t, app, u))
	}
	ginaLive := testapp.OpenSSE(t, base, token(testapp.Gina), "notifications/*")
	adamLive := testapp.OpenSSE(t, base, token(testapp.Adam), "notifications/*")
	adaLive := testapp.OpenSSE(t, base, token(testapp.Ada), "notifications/*")

	reply := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
		map[string]any{"post": post.Id, "parent": first.Body["id"], "content": "@adam @ada look"}, 200)
	want := map[string]string{gina: community.KindReply, adam: community.KindMention}
	for _, u := range []string{alice, gina, adam, ada} {
		got := notificationsOf(t, app, u)
		added := len(got) - before[u]
		switch kind, ok := want[u]; {
		case ok && (added != 1 || got[0].GetString("kind") != kind || got[0].GetString("comment") != reply.Body["id"] ||
			got[0].GetString("actor") != bob || got[0].GetInt("count") != 1 || got[0].GetString("read_at") != ""):
			t.Errorf("%s after bob's reply: %d new, newest %v; want one %s", u, added, got[0], kind)
		case !ok && added != 0:
			t.Errorf("%s after bob's reply (blocked him or muted mentions): %d new notifications, want none", u, added)
		}
	}
	row := notificationsOf(t, app, gina)[0]
	if ev := ginaLive.ExpectRecord(t, "notifications/*"); ev["user"] != gina || ev["kind"] != community.KindReply ||
		ev["id"] != row.Id || ev["created"] != row.GetString("created") || ev["created"] == "" || ev["updated"] != row.GetString("updated") {
		t.Errorf("gina's live notification: %v; the row: %v", ev, row)
	}
	if ev := adamLive.ExpectRecord(t, "notifications/*"); ev["user"] != adam || ev["kind"] != community.KindMention {
		t.Errorf("adam's live notification: %v", ev)
	}
	// ada's first event must be a later one she did not mute: the muted
	// mention never reached her
	mine := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), ada, "ada's own")
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob, map[string]any{"post": mine.Id, "content": "hello"}, 200)
	if ev := adaLive.ExpectRecord(t, "notifications/*"); ev["user"] != ada || ev["kind"] != community.KindComment || ev["post"] != mine.Id {
		t.Errorf("ada's first live notification: %v, want the comment on her post", ev)
	}
}

// TestMuteListIsChecked: users.notify_mute takes null or a list of
// notification kinds; anything else is refused with 400 naming the field,
// and nothing is stored. A value stored before the check does not hold up
// a later save that leaves it alone (an admin's ban).
func TestMuteListIsChecked(t *testing.T) {
	app, base := server(t)
	path := "/api/collections/users/records/" + bob
	stored := func() string {
		u, err := app.FindRecordById("users", bob)
		if err != nil {
			t.Fatal(err)
		}
		return u.GetString("notify_mute")
	}
	mustCall(t, base, http.MethodPatch, path, testapp.Bob, map[string]any{"notify_mute": []string{"chat", "mention"}}, 200)
	for _, bad := range []any{"notalist", 123, map[string]any{"chat": true}, []any{"chat", "bogus"}, []any{"chat", map[string]any{"a": 1}}, []any{nil}} {
		r := call(t, base, http.MethodPatch, path, testapp.Bob, map[string]any{"notify_mute": bad})
		data, _ := r.Body["data"].(map[string]any)
		field, _ := data["notify_mute"].(map[string]any)
		if field["code"] != "validation_invalid_mute_list" || r.Status != 400 {
			t.Errorf("notify_mute %v: %d %s", bad, r.Status, r.Raw)
		}
		if got := stored(); got != `["chat","mention"]` {
			t.Fatalf("after the refused %v: stored %s", bad, got)
		}
	}
	mustCall(t, base, http.MethodPatch, path, testapp.Bob, map[string]any{"notify_mute": nil}, 200)
	mustCall(t, base, http.MethodPatch, path, testapp.Bob, map[string]any{"notify_mute": []string{}}, 200)

	// a value from before the check: the user's other saves still work
	if _, err := app.DB().NewQuery(`UPDATE users SET notify_mute = '"notalist"' WHERE id = {:id}`).Bind(map[string]any{"id": bob}).Execute(); err != nil {
		t.Fatal(err)
	}
	mustCall(t, base, http.MethodPatch, path, testapp.Adam, map[string]any{"banned": true, "ban_reason": "테스트"}, 200)
	mustCall(t, base, http.MethodPatch, path, testapp.Adam, map[string]any{"banned": false}, 200)
}

// TestHiddenContentLeavesTheNotices: a notice quotes its post, comment or
// chat message; once that is hidden (by an admin, or by its writer: the post and the chat message here), the
// notices quoting it keep their place but no longer its text, and other
// notices keep theirs.
func TestHiddenContentLeavesTheNotices(t *testing.T) {
	app, base := server(t)
	gina := testapp.ID(testapp.Gina)
	textOf := func(user, about string) []string {
		var texts []string
		for _, n := range notificationsOf(t, app, user) {
			if n.GetString("post") == about || n.GetString("comment") == about || n.GetString("session") == about {
				texts = append(texts, n.GetString("text"))
			}
		}
		return texts
	}
	board := testapp.ID(testapp.BoardPublic)
	p := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": board, "title": "알리스의 글", "content": "본문"}, 200).Body["id"].(string)
	hidden := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
		map[string]any{"post": p, "content": "숨겨질 댓글"}, 200).Body["id"].(string)
	kept := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Gina,
		map[string]any{"post": p, "content": "남을 댓글"}, 200).Body["id"].(string)
	mention := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Bob,
		map[string]any{"board": board, "title": "지나 보세요", "content": "@" + testapp.Gina}, 200).Body["id"].(string)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "pair", "kind": "group", "owner": alice, "members": []string{bob}})
	msg := mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice,
		map[string]any{"session": session.Id, "content": "지울 메시지"}, 200).Body["id"].(string)
	if !slices.Equal(textOf(alice, hidden), []string{"숨겨질 댓글"}) || !slices.Equal(textOf(alice, kept), []string{"남을 댓글"}) ||
		!slices.Equal(textOf(gina, mention), []string{"지나 보세요"}) || !slices.Equal(textOf(bob, session.Id), []string{"지울 메시지"}) {
		t.Fatalf("before: %v %v %v %v", textOf(alice, hidden), textOf(alice, kept), textOf(gina, mention), textOf(bob, session.Id))
	}

	mustCall(t, base, http.MethodPatch, "/api/collections/comments/records/"+hidden, testapp.Adam, map[string]any{"is_visible": false}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+mention, testapp.Bob, map[string]any{"is_visible": false}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/chats/records/"+msg, testapp.Alice, map[string]any{"is_visible": false}, 200)
	if got := textOf(alice, hidden); !slices.Equal(got, []string{""}) {
		t.Errorf("alice's notice of the hidden comment: %q", got)
	}
	if got := textOf(gina, mention); !slices.Equal(got, []string{""}) {
		t.Errorf("gina's mention in the post its writer hid: %q", got)
	}
	if got := textOf(bob, session.Id); !slices.Equal(got, []string{""}) {
		t.Errorf("bob's notice of the hidden chat message: %q", got)
	}
	if got := textOf(alice, kept); !slices.Equal(got, []string{"남을 댓글"}) {
		t.Errorf("alice's notice of the comment still shown: %q", got)
	}
	r := mustCall(t, base, http.MethodGet, "/api/collections/notifications/records?perPage=100", testapp.Alice, nil, 200)
	if strings.Contains(r.Raw, "숨겨질 댓글") {
		t.Errorf("alice's notifications still quote the hidden comment: %s", r.Raw)
	}
}

// TestNoticesFollowWhatTheOwnerReaches: a notice is listed, viewed,
// matched by a filter and counted unread only while its owner still
// reaches what it is about — the board of its post (a revoked grant, a
// board hidden), the chat of its message (removed from it) — and while
// its actor is not someone the owner blocked; a restored grant or a lifted
// block brings it back. Until 2026-12-03 the notices kept quoting all of
// it.
func TestNoticesFollowWhatTheOwnerReaches(t *testing.T) {
	app, base := server(t)
	listed := func(who, filter string) []string {
		t.Helper()
		r := mustCall(t, base, http.MethodGet, "/api/collections/notifications/records?perPage=100&filter="+url.QueryEscape(filter), who, nil, 200)
		return ids(items(r))
	}
	unread := func(who string) float64 {
		t.Helper()
		return mustCall(t, base, http.MethodGet, "/api/notifications/unread", who, nil, 200).Body["total"].(float64)
	}
	noticeOf := func(user, kind, about string) string {
		t.Helper()
		for _, n := range notificationsOf(t, app, user) {
			if n.GetString("kind") == kind && (n.GetString("post") == about || n.GetString("session") == about) {
				return n.Id
			}
		}
		t.Fatalf("no %s notice of %s about %s", kind, user, about)
		return ""
	}
	// reached: listed, viewed, found by its quote, counted; or none of it
	reaches := func(who, id, quote string, want bool, unreadWant float64) {
		t.Helper()
		if got := slices.Contains(listed(who, ""), id); got != want {
			t.Errorf("%s lists notice %s: %v, want %v", who, id, got, want)
		}
		if got := slices.Contains(listed(who, `text ~ "`+quote+`"`), id); got != want {
			t.Errorf("%s finds notice %s by its quote: %v, want %v", who, id, got, want)
		}
		status := map[bool]int{true: 200, false: 404}[want]
		mustCall(t, base, http.MethodGet, "/api/collections/notifications/records/"+id, who, nil, status)
		if got := unread(who); got != unreadWant {
			t.Errorf("%s's unread: %v, want %v", who, got, unreadWant)
		}
	}

	// a granted board: gina's post, an admin's comment on it
	granted := testapp.ID(testapp.BoardGranted)
	post := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Gina,
		map[string]any{"board": granted, "title": "허가 게시판 글", "content": "본문"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Adam,
		map[string]any{"post": post, "content": "비밀 답변 보드"}, 200)
	onGranted := noticeOf(gina, community.KindComment, post)
	reaches(testapp.Gina, onGranted, "비밀 답변", true, 1)
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+gina, testapp.Adam, map[string]any{"boards-": granted}, 200)
	reaches(testapp.Gina, onGranted, "비밀 답변", false, 0)
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+gina, testapp.Adam, map[string]any{"boards+": granted}, 200)
	reaches(testapp.Gina, onGranted, "비밀 답변", true, 1)
	mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Gina, map[string]any{"all": true}, 200)

	// a chat: alice mentions bob, then removes him
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "둘", "kind": "group", "owner": alice, "members": []string{bob}})
	mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice,
		map[string]any{"session": session.Id, "content": "@bob 비밀번호는 hunter2"}, 200)
	mention := noticeOf(bob, community.KindMention, session.Id)
	reaches(testapp.Bob, mention, "hunter2", true, 2) // the mention and the chat's "new messages"
	mustCall(t, base, http.MethodPatch, "/api/collections/chat_sessions/records/"+session.Id, testapp.Alice, map[string]any{"members-": bob}, 200)
	reaches(testapp.Bob, mention, "hunter2", false, 0)

	// a block: gina comments on alice's post; alice blocks gina, then lifts it
	mine := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), alice, "앨리스 글")
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Gina,
		map[string]any{"post": mine.Id, "content": "지나의 댓글"}, 200)
	fromGina := noticeOf(alice, community.KindComment, mine.Id)
	reaches(testapp.Alice, fromGina, "지나의", true, 1)
	block := mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": gina}, 200).Body["id"].(string)
	reaches(testapp.Alice, fromGina, "지나의", false, 0)
	mustCall(t, base, http.MethodDelete, "/api/collections/blocks/records/"+block, testapp.Alice, nil, 204)
	reaches(testapp.Alice, fromGina, "지나의", true, 1)

	// a board hidden by an admin: alice no longer reads its posts, nor their notices
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+testapp.ID(testapp.BoardPublic), testapp.Adam, map[string]any{"is_visible": false}, 200)
	reaches(testapp.Alice, fromGina, "지나의", false, 0)
}

// TestQuotesFollowEdits: a notice's quote follows what it quotes — an edit
// replaces it (a moderator's redaction reaches the notices already sent),
// a hide after an edit empties it, a chat message's delete empties the
// notices quoting it — in the database and live, on the owner's open bell
// (notifications/*) and no one else's. Until 2026-12-03 the first quote
// stayed; until 2026-12-05 the change reached no open bell.
func TestQuotesFollowEdits(t *testing.T) {
	app, base := server(t)
	live := map[string]*testapp.SSE{}
	for _, who := range []string{testapp.Alice, testapp.Gina, testapp.Bob} {
		live[who] = testapp.OpenSSE(t, base, testapp.Token(who), "notifications/*", testapp.SentinelTopic)
	}
	// heard is the texts of the notice updates that reached each bell
	// since the last call, in order of text
	heard := func() map[string][]string {
		t.Helper()
		sentinel := testapp.Sentinel(t, app)
		got := map[string][]string{}
		for who, sse := range live {
			for _, ev := range sse.Before(t, sentinel) {
				if rec := ev.Record(); ev.Topic() == "notifications/*" && ev.Data["action"] == "update" && rec != nil {
					got[who] = append(got[who], fmt.Sprint(rec["text"]))
				}
			}
			slices.Sort(got[who])
		}
		return got
	}
	expectHeard := func(want map[string][]string) {
		t.Helper()
		if got := heard(); !reflect.DeepEqual(got, want) {
			t.Errorf("heard live %q, want %q", got, want)
		}
	}
	textsOf := func(user, about string) []string {
		t.Helper()
		var texts []string
		for _, n := range notificationsOf(t, app, user) {
			if n.GetString("comment") == about || (n.GetString("post") == about && n.GetString("comment") == "") || n.GetString("session") == about {
				texts = append(texts, n.GetString("text"))
			}
		}
		slices.Sort(texts)
		return texts
	}
	expect := func(user, about string, want ...string) {
		t.Helper()
		if got := textsOf(user, about); !slices.Equal(got, want) {
			t.Errorf("%s's notices about %s quote %q, want %q", user, about, got, want)
		}
	}
	board := testapp.ID(testapp.BoardPublic)
	mine := testapp.CreatePost(t, app, board, alice, "앨리스 글")
	comment := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
		map[string]any{"post": mine.Id, "content": "연락처 010-1234-5678"}, 200).Body["id"].(string)
	expect(alice, comment, "연락처 010-1234-5678")
	heard()
	mustCall(t, base, http.MethodPatch, "/api/collections/comments/records/"+comment, testapp.Adam, map[string]any{"content": "연락처 (관리자 삭제)"}, 200)
	expect(alice, comment, "연락처 (관리자 삭제)")
	expectHeard(map[string][]string{testapp.Alice: {"연락처 (관리자 삭제)"}})

	mention := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Bob,
		map[string]any{"board": board, "title": "지나 010-9999", "content": "@" + testapp.Gina}, 200).Body["id"].(string)
	expect(gina, mention, "지나 010-9999")
	heard()
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+mention, testapp.Bob, map[string]any{"title": "지나 보세요"}, 200)
	expect(gina, mention, "지나 보세요")
	expectHeard(map[string][]string{testapp.Gina: {"지나 보세요"}})

	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "둘", "kind": "group", "owner": alice, "members": []string{bob}})
	msg := mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice,
		map[string]any{"session": session.Id, "content": "@bob pw hunter2"}, 200).Body["id"].(string)
	expect(bob, session.Id, "@bob pw hunter2", "@bob pw hunter2") // the mention and the chat's "new messages"
	heard()
	mustCall(t, base, http.MethodPatch, "/api/collections/chats/records/"+msg, testapp.Alice, map[string]any{"content": "@bob pw ***"}, 200)
	expect(bob, session.Id, "@bob pw ***", "@bob pw ***")
	expectHeard(map[string][]string{testapp.Bob: {"@bob pw ***", "@bob pw ***"}})
	mustCall(t, base, http.MethodPatch, "/api/collections/chats/records/"+msg, testapp.Alice, map[string]any{"is_visible": false}, 200)
	expect(bob, session.Id, "", "")
	expectHeard(map[string][]string{testapp.Bob: {"", ""}})

	mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Bob, map[string]any{"all": true}, 200)
	other := mustCall(t, base, http.MethodPost, "/api/collections/chats/records", testapp.Alice,
		map[string]any{"session": session.Id, "content": "@bob 지울 말"}, 200).Body["id"].(string)
	if got := textsOf(bob, session.Id); !slices.Contains(got, "@bob 지울 말") {
		t.Fatalf("bob's notices before the delete: %q", got)
	}
	heard()
	mustCall(t, base, http.MethodDelete, "/api/collections/chats/records/"+other, testapp.Alice, nil, 204)
	if got := textsOf(bob, session.Id); slices.Contains(got, "@bob 지울 말") {
		t.Errorf("bob's notices still quote the deleted message: %q", got)
	}
	expectHeard(map[string][]string{testapp.Bob: {"", ""}})
}

// TestNoticesUnderABlockedWritersPost: a notice about a comment under the
// post of someone the owner blocked is not read, as the comment is not
// (the mention or reply comes from someone else).
func TestNoticesUnderABlockedWritersPost(t *testing.T) {
	app, base := server(t)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), bob, "밥의 글")
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Alice,
		map[string]any{"post": post.Id, "content": "@" + testapp.Gina + " 이거 봐"}, 200)
	var notice string
	for _, n := range notificationsOf(t, app, gina) {
		if n.GetString("post") == post.Id {
			notice = n.Id
		}
	}
	if notice == "" {
		t.Fatal("gina was not mentioned")
	}
	mustCall(t, base, http.MethodGet, "/api/collections/notifications/records/"+notice, testapp.Gina, nil, 200)
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Gina, map[string]any{"blocked": bob}, 200)
	mustCall(t, base, http.MethodGet, "/api/collections/notifications/records/"+notice, testapp.Gina, nil, 404)
	if r := mustCall(t, base, http.MethodGet, "/api/collections/notifications/records", testapp.Gina, nil, 200); slices.Contains(ids(items(r)), notice) {
		t.Error("gina lists the notice under the post of someone she blocked")
	}
}

// TestChatQuotesFollowTheirMessage: a chat or mention notice names the
// message it is about, and only that message's edit, hide or delete
// reaches its quote. Until 2026-12-03 the quote was found by session and
// text: bob, writing gina's words and then editing or hiding his own
// message, rewrote or emptied alice's notices of gina's message, under
// gina's name — even after alice blocked him (p8 finding 1).
func TestChatQuotesFollowTheirMessage(t *testing.T) {
	app, base := server(t)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "셋", "kind": "group", "owner": alice, "members": []string{bob, gina}})
	send := func(who, content string) string {
		t.Helper()
		return mustCall(t, base, http.MethodPost, "/api/collections/chats/records", who,
			map[string]any{"session": session.Id, "content": content}, 200).Body["id"].(string)
	}
	edit := func(who, id string, body map[string]any) {
		t.Helper()
		mustCall(t, base, http.MethodPatch, "/api/collections/chats/records/"+id, who, body, 200)
	}
	// alice's notices as kind/actor/text, sorted
	notices := func() []string {
		t.Helper()
		var out []string
		for _, n := range notificationsOf(t, app, alice) {
			out = append(out, strings.Join([]string{n.GetString("kind"), n.GetString("actor"), n.GetString("text")}, "/"))
		}
		slices.Sort(out)
		return out
	}
	expect := func(when string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := notices(); !slices.Equal(got, want) {
			t.Fatalf("%s: alice's notices\n%q\nwant\n%q", when, got, want)
		}
	}

	hello := send(testapp.Gina, "hello")
	lunch := send(testapp.Gina, "@alice lunch?")
	chatNotice, mention := "chat/"+gina+"/hello", "mention/"+gina+"/@alice lunch?"
	expect("gina's messages", chatNotice, mention)
	for _, n := range notificationsOf(t, app, alice) {
		if want := map[string]string{"chat": hello, "mention": lunch}[n.GetString("kind")]; n.GetString("message") != want {
			t.Fatalf("alice's %s notice names message %q, want %q", n.GetString("kind"), n.GetString("message"), want)
		}
	}

	// bob writes the same words, then edits and hides his own
	bobHello := send(testapp.Bob, "hello")
	edit(testapp.Bob, bobHello, map[string]any{"content": "gina says: I stole the money"})
	edit(testapp.Bob, bobHello, map[string]any{"is_visible": false})
	mustCall(t, base, http.MethodPost, "/api/collections/blocks/records", testapp.Alice, map[string]any{"blocked": bob}, 200)
	bobLunch := send(testapp.Bob, "@alice lunch?") // blocked: no mention of alice
	edit(testapp.Bob, bobLunch, map[string]any{"content": "gina: you are fired"})
	mustCall(t, base, http.MethodDelete, "/api/collections/chats/records/"+bobLunch, testapp.Bob, nil, 204)
	expect("bob's messages", chatNotice, mention)
	if r := mustCall(t, base, http.MethodGet, "/api/collections/chats/records/"+hello, testapp.Gina, nil, 200); r.Body["content"] != "hello" {
		t.Fatalf("gina's message: %v", r.Body)
	}

	// the message is read through it only as the chats rules allow:
	// expanded while alice reads it, not once gina hid it (below); a
	// filter may not follow it
	expanded := func() string {
		t.Helper()
		r := mustCall(t, base, http.MethodGet, "/api/collections/notifications/records?expand=message&filter="+
			url.QueryEscape(`kind = "mention"`), testapp.Alice, nil, 200)
		list := items(r)
		if len(list) != 1 || list[0].(map[string]any)["message"] != lunch {
			t.Fatalf("alice's mention: %s", r.Raw)
		}
		expand, _ := list[0].(map[string]any)["expand"].(map[string]any)
		message, _ := expand["message"].(map[string]any)
		content, _ := message["content"].(string)
		return content
	}
	mustCall(t, base, http.MethodGet, "/api/collections/notifications/records?filter="+
		url.QueryEscape(`message.content ~ "lunch"`), testapp.Alice, nil, 400)

	// gina's own edit, hide and delete reach the notices of her messages
	edit(testapp.Gina, lunch, map[string]any{"content": "@alice lunch at 1?"})
	expect("gina's edit", chatNotice, "mention/"+gina+"/@alice lunch at 1?")
	if got := expanded(); got != "@alice lunch at 1?" {
		t.Fatalf("alice's mention expands to %q", got)
	}
	edit(testapp.Gina, lunch, map[string]any{"is_visible": false})
	if got := expanded(); got != "" {
		t.Fatalf("alice's mention expands to gina's hidden message: %q", got)
	}
	expect("gina's hide", chatNotice, "mention/"+gina+"/")
	mustCall(t, base, http.MethodDelete, "/api/collections/chats/records/"+hello, testapp.Gina, nil, 204)
	expect("gina's delete", "chat/"+gina+"/", "mention/"+gina+"/")
	for _, n := range notificationsOf(t, app, alice) {
		if want := map[string]string{"chat": "", "mention": lunch}[n.GetString("kind")]; n.GetString("message") != want {
			t.Fatalf("after the delete, alice's %s notice names message %q, want %q", n.GetString("kind"), n.GetString("message"), want)
		}
	}
}

// TestReadingAChatReadsItsNotice: marking a chat read (POST
// /api/chat/sessions/{id}/read) marks the reader's unread "new messages
// here" notice of it read, in the same transaction, and tells them live;
// the next message starts a new notice. Another member's mark, a mention
// and another chat's notice stay unread. Until 2026-12-03 the bell kept
// the notice after the chat was read, and no later message was notified
// (p8 finding 8).
func TestReadingAChatReadsItsNotice(t *testing.T) {
	app, base := server(t)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "셋", "kind": "group", "owner": alice, "members": []string{bob, gina}})
	other := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "둘", "kind": "group", "owner": gina, "members": []string{bob}})
	send := func(who, session, content string) {
		t.Helper()
		mustCall(t, base, http.MethodPost, "/api/collections/chats/records", who, map[string]any{"session": session, "content": content}, 200)
	}
	// bob's notices as kind/session/text/read (r) or unread (u), sorted
	notices := func() []string {
		t.Helper()
		var out []string
		for _, n := range notificationsOf(t, app, bob) {
			state := map[bool]string{true: "u", false: "r"}[n.GetString("read_at") == ""]
			out = append(out, strings.Join([]string{n.GetString("kind"), n.GetString("session"), n.GetString("text"), state}, "/"))
		}
		slices.Sort(out)
		return out
	}
	expect := func(when string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := notices(); !slices.Equal(got, want) {
			t.Fatalf("%s: bob's notices\n%q\nwant\n%q", when, got, want)
		}
	}
	unread := func() float64 {
		t.Helper()
		return mustCall(t, base, http.MethodGet, "/api/notifications/unread", testapp.Bob, nil, 200).Body["total"].(float64)
	}
	send(testapp.Alice, session.Id, "hi")
	send(testapp.Gina, session.Id, "@bob look")
	send(testapp.Gina, other.Id, "elsewhere")
	expect("before", "chat/"+session.Id+"/hi/u", "mention/"+session.Id+"/@bob look/u", "chat/"+other.Id+"/elsewhere/u")
	sse := testapp.OpenSSE(t, base, token(testapp.Bob), "notifications/*")

	// another member's mark leaves bob's notice alone; an outsider's is refused
	mustCall(t, base, http.MethodPost, "/api/chat/sessions/"+session.Id+"/read", testapp.Alice, nil, 200)
	mustCall(t, base, http.MethodPost, "/api/chat/sessions/"+session.Id+"/read", testapp.Adam, nil, 404)
	expect("after alice's mark", "chat/"+session.Id+"/hi/u", "mention/"+session.Id+"/@bob look/u", "chat/"+other.Id+"/elsewhere/u")
	if got := unread(); got != 3 {
		t.Fatalf("bob's unread before reading: %v", got)
	}

	r := mustCall(t, base, http.MethodPost, "/api/chat/sessions/"+session.Id+"/read", testapp.Bob, nil, 200)
	expect("after bob's mark", "chat/"+session.Id+"/hi/r", "mention/"+session.Id+"/@bob look/u", "chat/"+other.Id+"/elsewhere/u")
	if got := unread(); got != 2 {
		t.Errorf("bob's unread after reading the chat: %v, want 2", got)
	}
	ev := sse.ExpectRecord(t, "notifications/*")
	if ev["kind"] != community.KindChat || ev["session"] != session.Id || ev["read_at"] == "" {
		t.Fatalf("bob's live event: %v", ev)
	}
	for _, n := range notificationsOf(t, app, bob) {
		if n.Id == ev["id"] && n.GetString("read_at") < r.Body["last_read_at"].(string) {
			t.Errorf("the notice was read at %s, before the mark %s", n.GetString("read_at"), r.Body["last_read_at"])
		}
	}

	// the next message starts a new notice, and bob hears of it
	send(testapp.Alice, session.Id, "more")
	expect("after one more", "chat/"+session.Id+"/hi/r", "chat/"+session.Id+"/more/u", "mention/"+session.Id+"/@bob look/u",
		"chat/"+other.Id+"/elsewhere/u")
	if ev := sse.ExpectRecord(t, "notifications/*"); ev["text"] != "more" || ev["read_at"] != "" {
		t.Fatalf("bob's live event of the new notice: %v", ev)
	}
}
