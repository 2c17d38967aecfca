package chat_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"madang/chat"
	"madang/internal/testapp"
)

func post(t testing.TB, base, who, session, content string) string {
	t.Helper()
	r := testapp.Call(t, http.MethodPost, base+chatsURL, testapp.Token(who),
		map[string]any{"session": session, "content": content})
	if r.Status != http.StatusOK {
		t.Fatalf("%s posting in %s: %d %s", who, session, r.Status, r.Raw)
	}
	return r.Body["id"].(string)
}

// filtered is a subscription topic with a client-side filter.
func filtered(topic, filter string) string {
	return topic + "?options=" + url.QueryEscape(`{"query":{"filter":"`+filter+`"}}`)
}

func TestSSEDeliversWhatTheRulesAllow(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	aliceAll := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "chats/*")
	aliceGroup := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), filtered("chats/*", "session='"+group+"'"), testapp.SentinelTopic)
	bobAll := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	bobSupport := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), filtered("chats/*", "session='"+support+"'"), testapp.SentinelTopic)
	ginaSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Gina), "chats/*", "chats", testapp.SentinelTopic)
	adamSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Adam), "chats/*", testapp.SentinelTopic)
	guestSSE := testapp.OpenSSE(t, base, "", "chats/*", testapp.SentinelTopic)
	rootSSE := testapp.OpenSSE(t, base, testapp.Token("root"), "chats/*")

	id := post(t, base, testapp.Alice, support, "still cannot sign in")
	for _, c := range []*testapp.SSE{aliceAll, adamSSE, rootSSE} {
		if rec := c.ExpectRecord(t, "chats/*"); rec["id"] != id || rec["author"] != alice {
			t.Fatalf("support message: %v", rec)
		}
	}

	id = post(t, base, testapp.Bob, group, "see you at four")
	for _, c := range []*testapp.SSE{aliceAll, aliceGroup, bobAll, rootSSE} {
		if rec := c.ExpectRecord(t, "chats/*"); rec["id"] != id {
			t.Fatalf("group message: %v", rec)
		}
	}

	// a message the SDK never saw: written by the app (CLI, dashboard, cron)
	direct := saveMessage(t, app, "", group, alice, "written by the server", true)
	for _, c := range []*testapp.SSE{aliceAll, aliceGroup, bobAll, rootSSE} {
		if rec := c.ExpectRecord(t, "chats/*"); rec["id"] != direct.Id {
			t.Fatalf("direct message: %v", rec)
		}
	}

	// who may not read a message got nothing of it, and aliceGroup's filter
	// kept the support message away: it would have come before the sentinel
	sentinel := testapp.Sentinel(t, app)
	for _, c := range []*testapp.SSE{bobSupport, ginaSSE, adamSSE, guestSSE, aliceGroup} {
		c.ExpectOnly(t, sentinel)
	}
}

func TestSSEAdminsSeeSupportSessionsAppear(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)

	adamSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Adam), "chat_sessions/*")
	adaSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Ada), "chat_sessions")
	bobSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chat_sessions/*", testapp.SentinelTopic)
	ginaSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Gina), "chat_sessions/*")

	r := testapp.Call(t, http.MethodPost, base+sessionsURL, testapp.Token(testapp.Gina),
		map[string]any{"name": "help with my avatar", "kind": "support"})
	if r.Status != http.StatusOK {
		t.Fatalf("opening a support session: %d %s", r.Status, r.Raw)
	}
	id := r.Body["id"].(string)
	if rec := adamSSE.ExpectRecord(t, "chat_sessions/*"); rec["id"] != id {
		t.Fatalf("adam got %v", rec)
	}
	if rec := adaSSE.ExpectRecord(t, "chat_sessions"); rec["id"] != id {
		t.Fatalf("ada got %v", rec)
	}
	if rec := ginaSSE.ExpectRecord(t, "chat_sessions/*"); rec["id"] != id {
		t.Fatalf("gina got %v", rec)
	}
	bobSSE.ExpectOnly(t, testapp.Sentinel(t, app)) // and not gina's session before it

	// the admin answers; the member sees it live
	messages := testapp.OpenSSE(t, base, testapp.Token(testapp.Gina), "chats/*")
	answer := post(t, base, testapp.Adam, id, "Hello! What happens when you upload it?")
	if rec := messages.ExpectRecord(t, "chats/*"); rec["id"] != answer {
		t.Fatalf("gina got %v", rec)
	}
}

func TestSSERemovedMemberStopsReceiving(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	bobSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*", testapp.SentinelTopic)
	post(t, base, testapp.Alice, group, "before")
	bobSSE.ExpectRecord(t, "chats/*")

	r := testapp.Call(t, http.MethodPatch, base+sessionsURL+"/"+group, testapp.Token(testapp.Alice),
		map[string]any{"members-": bob})
	if r.Status != http.StatusOK {
		t.Fatalf("removing bob: %d %s", r.Status, r.Raw)
	}
	post(t, base, testapp.Alice, group, "after")
	bobSSE.ExpectOnly(t, testapp.Sentinel(t, app)) // and not "after" before it
}

func TestSSEBanEndsDelivery(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	banned := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	aliceSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "chats/*")
	r := testapp.Call(t, http.MethodPatch, base+"/api/collections/users/records/"+bob, testapp.Token(testapp.Adam),
		map[string]any{"banned": true, "ban_reason": "spam"})
	if r.Status != http.StatusOK {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	banned.ExpectEnd(t)
	post(t, base, testapp.Alice, group, "bob is gone")
	aliceSSE.ExpectRecord(t, "chats/*")
}

// withOptions is a subscription topic with realtime query options.
func withOptions(topic, query string) string {
	return topic + "?options=" + url.QueryEscape(`{"query":`+query+`}`)
}

// TestSSEUpdatesDeletesAndOptions follows a message through edit, hide and
// delete on every kind of chats subscription: the list topic with expand,
// the record topic, the fields option, and an outsider's.
func TestSSEUpdatesDeletesAndOptions(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)
	messages, err := app.FindCollectionByNameOrId("chats")
	if err != nil {
		t.Fatal(err)
	}

	aliceExpand := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), withOptions("chats/*", `{"expand":"author"}`))
	aliceByID := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), messages.Id+"/"+groupMsg)
	bobFields := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), withOptions("chats/*", `{"fields":"id,content"}`))
	adamSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Adam), "chats/*", "chats/"+groupMsg)

	edit := func(id string, body map[string]any) {
		t.Helper()
		r := testapp.Call(t, http.MethodPatch, base+chatsURL+"/"+id, testapp.Token(testapp.Bob), body)
		if r.Status != http.StatusOK {
			t.Fatalf("bob editing %s: %d %s", id, r.Status, r.Raw)
		}
	}
	action := func(c *testapp.SSE, topic, want string) map[string]any {
		t.Helper()
		ev, ok := c.Next(5 * time.Second)
		if !ok {
			t.Fatalf("no %s event on %s", want, topic)
		}
		if name, _, _ := strings.Cut(ev.Name, "?"); name != topic || ev.Data["action"] != want {
			t.Fatalf("got %s %v, want %s on %s", ev.Name, ev.Data, want, topic)
		}
		return ev.Data["record"].(map[string]any)
	}

	edit(groupMsg, map[string]any{"content": "hello alice (edited)"})
	rec := action(aliceExpand, "chats/*", "update")
	author, _ := rec["expand"].(map[string]any)["author"].(map[string]any)
	if rec["content"] != "hello alice (edited)" || author["id"] != bob || author["name"] == nil {
		t.Fatalf("expanded update: %v", rec)
	}
	if _, private := author["banned"]; private {
		t.Fatalf("alice sees bob's private fields through expand: %v", author)
	}
	if rec := action(aliceByID, messages.Id+"/"+groupMsg, "update"); rec["id"] != groupMsg {
		t.Fatalf("record topic: %v", rec)
	}
	if rec := action(bobFields, "chats/*", "update"); len(rec) != 2 || rec["content"] != "hello alice (edited)" {
		t.Fatalf("fields option: %v", rec)
	}

	// hidden: only the author (and support admins, not here) still see it;
	// the other readers get a delete naming the message and nothing of it
	edit(groupMsg, map[string]any{"is_visible": false})
	if rec := action(bobFields, "chats/*", "update"); rec["id"] != groupMsg {
		t.Fatalf("author's hide event: %v", rec)
	}
	for topic, c := range map[string]*testapp.SSE{"chats/*": aliceExpand, messages.Id + "/" + groupMsg: aliceByID} {
		rec := action(c, topic, "delete")
		if rec["id"] != groupMsg || rec["session"] != group || rec["content"] != nil || rec["expand"] != nil {
			t.Fatalf("hide seen by another reader on %s: %v", topic, rec)
		}
	}

	// the author edits it while hidden: only who still reads it hears of it
	// (until 2026-12-04 every edit sent the others another delete)
	edit(groupMsg, map[string]any{"content": "hello (hidden, edited)"})
	if rec := action(bobFields, "chats/*", "update"); rec["content"] != "hello (hidden, edited)" {
		t.Fatalf("author's edit of the hidden message: %v", rec)
	}

	// the hide was one delete for aliceExpand: the next event is the create
	id := post(t, base, testapp.Bob, group, "never mind")
	action(aliceExpand, "chats/*", "create")
	action(bobFields, "chats/*", "create")
	if r := testapp.Call(t, http.MethodDelete, base+chatsURL+"/"+id, testapp.Token(testapp.Bob), nil); r.Status != http.StatusNoContent {
		t.Fatalf("bob deleting: %d %s", r.Status, r.Raw)
	}
	if rec := action(aliceExpand, "chats/*", "delete"); rec["id"] != id {
		t.Fatalf("delete event: %v", rec)
	}
	if rec := action(bobFields, "chats/*", "delete"); rec["id"] != id {
		t.Fatalf("delete event: %v", rec)
	}
	// an admin is no member of a group chat: none of it reached adam before
	// a support message
	answer := post(t, base, testapp.Alice, support, "a support message")
	adamSSE.ExpectOnly(t, isRecord(answer))
}

// TestSSESubscribeWarmsAccess: subscribing to chats loads, in one query, the
// sessions the user may read, so the first message to each costs no rule
// query per subscriber; sessions the user may not read stay unknown.
func TestSSESubscribeWarmsAccess(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	deadline := time.Now().Add(5 * time.Second)
	for {
		groupOK, groupCached := chat.CachedAccess(app, group, bob)
		closedOK, closedCached := chat.CachedAccess(app, closed, bob)
		if groupCached && closedCached {
			if !groupOK || !closedOK {
				t.Fatalf("bob's sessions cached as not readable: group %v, closed %v", groupOK, closedOK)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("subscribing did not cache bob's sessions")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, cached := chat.CachedAccess(app, support, bob); cached {
		t.Fatal("alice's support session was cached for bob")
	}
}
