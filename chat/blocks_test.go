package chat_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/coder/websocket"

	"madang/chat"
	"madang/internal/testapp"
)

const blocksURL = "/api/collections/blocks/records"

func block(t *testing.T, base, who, blocked string) string {
	t.Helper()
	r := testapp.Call(t, http.MethodPost, base+blocksURL, testapp.Token(who), map[string]any{"blocked": blocked})
	if r.Status != http.StatusOK {
		t.Fatalf("%s blocking %s: %d %s", who, blocked, r.Status, r.Raw)
	}
	return r.Body["id"].(string)
}

// sessionIDs lists the ids of the chat sessions who may list.
func sessionIDs(t *testing.T, base, who string) []string {
	t.Helper()
	r := testapp.Call(t, http.MethodGet, base+sessionsURL+"?perPage=500", testapp.Token(who), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("%s listing chat sessions: %d %s", who, r.Status, r.Raw)
	}
	var ids []string
	for _, item := range r.Body["items"].([]any) {
		ids = append(ids, item.(map[string]any)["id"].(string))
	}
	return ids
}

// TestBlockedOwnersGroupsAreHidden: a member does not see the group chats
// of someone they blocked — not the session, live or listed, its messages,
// its unread count, its notices, its typing — so a blocked member cannot
// keep reaching them by putting them in groups named as messages. The
// blocked owner sees no difference, admins see everything, and an unblock
// shows the group again.
func TestBlockedOwnersGroupsAreHidden(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)
	blockID := block(t, base, testapp.Bob, gina)
	block(t, base, testapp.Adam, gina) // admins may block; they still see everything
	bobSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chat_sessions/*", "chats/*", testapp.SentinelTopic)

	r := testapp.Call(t, http.MethodPost, base+sessionsURL, testapp.Token(testapp.Gina),
		map[string]any{"name": "to bob: you can't block me", "kind": "group", "members": []string{bob, alice, adam}})
	if r.Status != http.StatusOK {
		t.Fatalf("gina creates a group with bob: %d %s", r.Status, r.Raw)
	}
	spam := r.Body["id"].(string)
	if members, _ := r.Body["members"].([]any); !slices.Contains(members, any(bob)) {
		t.Fatalf("gina's group as she sees it: members %v, want bob among them", members)
	}
	if r := testapp.Call(t, http.MethodPatch, base+sessionsURL+"/"+spam, testapp.Token(testapp.Gina),
		map[string]any{"name": "still here, bob"}); r.Status != http.StatusOK {
		t.Fatalf("gina renames it: %d %s", r.Status, r.Raw)
	}
	post(t, base, testapp.Alice, spam, "alice writes in gina's group")
	bobSSE.ExpectOnly(t, testapp.Sentinel(t, app))

	if ids := sessionIDs(t, base, testapp.Bob); slices.Contains(ids, spam) || !slices.Contains(ids, group) {
		t.Fatalf("bob's sessions: %v; want group, not gina's %s", ids, spam)
	}
	for _, who := range []string{testapp.Gina, testapp.Alice, testapp.Adam} {
		if ids := sessionIDs(t, base, who); !slices.Contains(ids, spam) {
			t.Fatalf("%s's sessions: %v; want gina's group among them", who, ids)
		}
	}
	for _, c := range []struct {
		method, url string
		body        any
	}{
		{http.MethodGet, sessionsURL + "/" + spam, nil},
		{http.MethodPost, "/api/chat/sessions/" + spam + "/read", nil},
		{http.MethodPost, "/api/chat/sessions/" + spam + "/typing", nil},
	} {
		if r := testapp.Call(t, c.method, base+c.url, testapp.Token(testapp.Bob), c.body); r.Status != http.StatusNotFound {
			t.Errorf("bob: %s %s: %d %s, want 404", c.method, c.url, r.Status, r.Raw)
		}
	}
	if r := testapp.Call(t, http.MethodGet, base+sessionFilter(spam), testapp.Token(testapp.Bob), nil); r.Status != http.StatusOK || r.Body["totalItems"] != float64(0) {
		t.Errorf("bob lists the group's messages: %d %s, want none", r.Status, r.Raw)
	}
	before, _ := app.CountRecords("chats")
	if r := testapp.Call(t, http.MethodPost, base+chatsURL, testapp.Token(testapp.Bob),
		map[string]any{"session": spam, "content": "bob writes"}); r.Status == http.StatusOK {
		t.Errorf("bob writes in the hidden group: %d %s", r.Status, r.Raw)
	}
	if after, _ := app.CountRecords("chats"); after != before {
		t.Errorf("messages: %d, then %d after bob's refused write", before, after)
	}
	if r := testapp.Call(t, http.MethodGet, base+"/api/chat/unread", testapp.Token(testapp.Bob), nil); r.Body["sessions"].(map[string]any)[spam] != nil {
		t.Errorf("bob's unread counts name the hidden group: %s", r.Raw)
	}
	notices := "/api/collections/notifications/records?filter=" + url.QueryEscape("session='"+spam+"'")
	if r := testapp.Call(t, http.MethodGet, base+notices, testapp.Token(testapp.Bob), nil); r.Body["totalItems"] != float64(0) {
		t.Errorf("bob reads notices of the hidden group: %s", r.Raw)
	}
	if r := testapp.Call(t, http.MethodGet, base+notices, testapp.Token(testapp.Adam), nil); r.Body["totalItems"] != float64(1) {
		t.Errorf("adam's notices of gina's group: %s, want alice's message", r.Raw)
	}

	if r := testapp.Call(t, http.MethodDelete, base+blocksURL+"/"+blockID, testapp.Token(testapp.Bob), nil); r.Status != http.StatusNoContent {
		t.Fatalf("bob unblocks gina: %d %s", r.Status, r.Raw)
	}
	if ids := sessionIDs(t, base, testapp.Bob); !slices.Contains(ids, spam) {
		t.Fatalf("bob's sessions after the unblock: %v; want gina's group back", ids)
	}
	id := post(t, base, testapp.Alice, spam, "seen by bob again")
	bobSSE.ExpectOnly(t, isRecord(id))
}

// TestBlockEndsCachedAccess: a reader's cached "may read" answers go with
// their block, though no session or users record is saved: the SSE
// subscriber gets no more of the blocked owner's group, and a WebSocket
// joined to it closes, as for a removed member.
func TestBlockEndsCachedAccess(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)
	ginas := saveSession(t, app, "", "gina's", "group", gina, false, alice, bob).Id

	bobSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, ginas)
	first := post(t, base, testapp.Alice, ginas, "before the block")
	bobSSE.ExpectOnly(t, isRecord(first))
	bobWS.expectOnly(t, isMessage(first))
	chat.WaitBackground(app, 5e9)
	if allowed, cached := chat.CachedAccess(app, ginas, bob); !allowed || !cached {
		t.Fatalf("bob's access to gina's group before the block: %v (cached %v)", allowed, cached)
	}

	block(t, base, testapp.Bob, gina)
	bobWS.expectClosedWith(t, websocket.StatusPolicyViolation, "You no longer have access to chat "+ginas+".")
	post(t, base, testapp.Alice, ginas, "after the block")
	sentinel := post(t, base, testapp.Alice, group, "in alice's group")
	bobSSE.ExpectOnly(t, isRecord(sentinel))
}

// TestBlockedAuthorsMessagesReachNoBlocker: a member who blocked another
// gets none of their messages in a group both are in, over SSE and the
// WebSocket bridge, while the other members get them; an admin who blocked
// them still does (the chats rules' notBlocked lets admins read). Each
// reader's next message is the sentinel: the session's later message
// arrives first, or the blocked author's came through.
func TestBlockedAuthorsMessagesReachNoBlocker(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)
	room := saveSession(t, app, "", "four of us", "group", gina, false, alice, bob, adam).Id
	block(t, base, testapp.Alice, bob)
	block(t, base, testapp.Adam, bob)

	type reader struct {
		name  string
		sse   *testapp.SSE
		ws    *wsClient
		hears bool // whether bob's message reaches them
	}
	var readers []reader
	for _, r := range []struct {
		who   string
		hears bool
	}{{testapp.Alice, false}, {testapp.Gina, true}, {testapp.Adam, true}} {
		ws := dialWS(t, base, testapp.Token(r.who))
		ws.join(t, room)
		readers = append(readers, reader{r.who, testapp.OpenSSE(t, base, testapp.Token(r.who), "chats/*"), ws, r.hears})
	}

	bobs := post(t, base, testapp.Bob, room, "bob writes to the group")
	later := post(t, base, testapp.Gina, room, "gina writes after him")
	for _, r := range readers {
		first := bobs
		if !r.hears {
			first = later
		}
		t.Logf("%s: waiting for %s first", r.name, first)
		r.sse.ExpectOnly(t, isRecord(first))
		r.ws.expectOnly(t, isMessage(first))
		if r.hears {
			r.sse.ExpectOnly(t, isRecord(later))
			r.ws.expectOnly(t, isMessage(later))
		}
	}
}

// TestABlockMadeOrLiftedMidChatTakesEffect: who blocked an author is kept
// between messages (access.AuthorHider), and a block made or lifted after
// the author's last message changes who gets the next one, over SSE and
// the WebSocket bridge. Each time the sentinel is a later message of the
// group's owner.
func TestABlockMadeOrLiftedMidChatTakesEffect(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)
	room := saveSession(t, app, "", "three of us", "group", gina, false, alice, bob).Id
	hears := liveReader(t, base, testapp.Alice, room)

	hears(post(t, base, testapp.Bob, room, "before the block"))

	blockID := block(t, base, testapp.Alice, bob)
	post(t, base, testapp.Bob, room, "while blocked")
	hears(post(t, base, testapp.Gina, room, "the owner, while bob is blocked"))

	r := testapp.Call(t, http.MethodDelete, base+blocksURL+"/"+blockID, testapp.Token(testapp.Alice), nil)
	if r.Status != http.StatusNoContent {
		t.Fatalf("alice lifting her block: %d %s", r.Status, r.Raw)
	}
	hears(post(t, base, testapp.Bob, room, "after the block"))
}

// TestABlockMovedByASuperuserMovesWhatIsHidden: a superuser who changes
// whom a block names (the dashboard saves it as an update) changes whose
// messages the blocker gets from the next one on, though both authors'
// blockers were already kept (access.AuthorHider).
func TestABlockMovedByASuperuserMovesWhatIsHidden(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)
	adam := testapp.ID(testapp.Adam)
	room := saveSession(t, app, "", "four of us", "group", gina, false, alice, bob, adam).Id
	hears := liveReader(t, base, testapp.Alice, room)

	blockID := block(t, base, testapp.Alice, bob)
	post(t, base, testapp.Bob, room, "bob, blocked")
	hears(post(t, base, testapp.Adam, room, "adam, not blocked"))

	b, err := app.FindRecordById("blocks", blockID)
	if err != nil {
		t.Fatal(err)
	}
	b.Set("blocked", adam)
	if err := app.Save(b); err != nil {
		t.Fatalf("moving the block to adam: %v", err)
	}
	post(t, base, testapp.Adam, room, "adam, blocked now")
	hears(post(t, base, testapp.Bob, room, "bob, not blocked now"))
}

// liveReader follows room as who over SSE (chats/*) and joined over the
// WebSocket bridge, and returns a check that the next message both get is
// id.
func liveReader(t *testing.T, base, who, room string) func(id string) {
	sse := testapp.OpenSSE(t, base, testapp.Token(who), "chats/*")
	ws := dialWS(t, base, testapp.Token(who))
	ws.join(t, room)
	return func(id string) {
		t.Helper()
		sse.ExpectOnly(t, isRecord(id))
		ws.expectOnly(t, isMessage(id))
	}
}
