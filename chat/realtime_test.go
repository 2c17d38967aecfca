package chat_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"madang/internal/testapp"
)

// quiet is how long a client must stay without events to count as having
// received nothing: deliveries on loopback take milliseconds.
const quiet = 300 * time.Millisecond

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

	aliceAll := openSSE(t, base, testapp.Token(testapp.Alice), "chats/*")
	aliceGroup := openSSE(t, base, testapp.Token(testapp.Alice), filtered("chats/*", "session='"+group+"'"))
	bobAll := openSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	bobSupport := openSSE(t, base, testapp.Token(testapp.Bob), filtered("chats/*", "session='"+support+"'"))
	ginaSSE := openSSE(t, base, testapp.Token(testapp.Gina), "chats/*", "chats")
	adamSSE := openSSE(t, base, testapp.Token(testapp.Adam), "chats/*")
	guestSSE := openSSE(t, base, "", "chats/*")
	rootSSE := openSSE(t, base, testapp.Token("root"), "chats/*")

	id := post(t, base, testapp.Alice, support, "still cannot sign in")
	for _, c := range []*sseClient{aliceAll, adamSSE, rootSSE} {
		if rec := c.expectRecord(t, "chats/*"); rec["id"] != id || rec["author"] != alice {
			t.Fatalf("support message: %v", rec)
		}
	}

	id = post(t, base, testapp.Bob, group, "see you at four")
	for _, c := range []*sseClient{aliceAll, aliceGroup, bobAll, rootSSE} {
		if rec := c.expectRecord(t, "chats/*"); rec["id"] != id {
			t.Fatalf("group message: %v", rec)
		}
	}

	// a message the SDK never saw: written by the app (CLI, dashboard, cron)
	direct := saveMessage(t, app, "", group, alice, "written by the server", true)
	for _, c := range []*sseClient{aliceAll, aliceGroup, bobAll, rootSSE} {
		if rec := c.expectRecord(t, "chats/*"); rec["id"] != direct.Id {
			t.Fatalf("direct message: %v", rec)
		}
	}

	for _, c := range []*sseClient{bobSupport, ginaSSE, adamSSE, guestSSE} {
		c.expectNothing(t, quiet)
	}
	aliceGroup.expectNothing(t, 0) // the filter kept the support message away
}

func TestSSEAdminsSeeSupportSessionsAppear(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)

	adamSSE := openSSE(t, base, testapp.Token(testapp.Adam), "chat_sessions/*")
	adaSSE := openSSE(t, base, testapp.Token(testapp.Ada), "chat_sessions")
	bobSSE := openSSE(t, base, testapp.Token(testapp.Bob), "chat_sessions/*")
	ginaSSE := openSSE(t, base, testapp.Token(testapp.Gina), "chat_sessions/*")

	r := testapp.Call(t, http.MethodPost, base+sessionsURL, testapp.Token(testapp.Gina),
		map[string]any{"name": "help with my avatar", "kind": "support"})
	if r.Status != http.StatusOK {
		t.Fatalf("opening a support session: %d %s", r.Status, r.Raw)
	}
	id := r.Body["id"].(string)
	if rec := adamSSE.expectRecord(t, "chat_sessions/*"); rec["id"] != id {
		t.Fatalf("adam got %v", rec)
	}
	if rec := adaSSE.expectRecord(t, "chat_sessions"); rec["id"] != id {
		t.Fatalf("ada got %v", rec)
	}
	if rec := ginaSSE.expectRecord(t, "chat_sessions/*"); rec["id"] != id {
		t.Fatalf("gina got %v", rec)
	}
	bobSSE.expectNothing(t, quiet)

	// the admin answers; the member sees it live
	messages := openSSE(t, base, testapp.Token(testapp.Gina), "chats/*")
	answer := post(t, base, testapp.Adam, id, "Hello! What happens when you upload it?")
	if rec := messages.expectRecord(t, "chats/*"); rec["id"] != answer {
		t.Fatalf("gina got %v", rec)
	}
}

func TestSSERemovedMemberStopsReceiving(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	bobSSE := openSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	post(t, base, testapp.Alice, group, "before")
	bobSSE.expectRecord(t, "chats/*")

	r := testapp.Call(t, http.MethodPatch, base+sessionsURL+"/"+group, testapp.Token(testapp.Alice),
		map[string]any{"members-": bob})
	if r.Status != http.StatusOK {
		t.Fatalf("removing bob: %d %s", r.Status, r.Raw)
	}
	post(t, base, testapp.Alice, group, "after")
	bobSSE.expectNothing(t, quiet)
}

func TestSSEBanEndsDelivery(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	banned := openSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	aliceSSE := openSSE(t, base, testapp.Token(testapp.Alice), "chats/*")
	r := testapp.Call(t, http.MethodPatch, base+"/api/collections/users/records/"+bob, testapp.Token(testapp.Adam),
		map[string]any{"banned": true, "ban_reason": "spam"})
	if r.Status != http.StatusOK {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	banned.expectEnd(t)
	post(t, base, testapp.Alice, group, "bob is gone")
	aliceSSE.expectRecord(t, "chats/*")
}
