package chat_test

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/chat"
	"madang/internal/testapp"
)

func unreadOf(t *testing.T, base, who string) map[string]any {
	t.Helper()
	r := testapp.Call(t, http.MethodGet, base+"/api/chat/unread", testapp.Token(who), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("unread of %s: %d %s", who, r.Status, r.Raw)
	}
	sessions, _ := r.Body["sessions"].(map[string]any)
	return sessions
}

func markRead(t *testing.T, base, who, session string) {
	t.Helper()
	r := testapp.Call(t, http.MethodPost, base+"/api/chat/sessions/"+session+"/read", testapp.Token(who), nil)
	if r.Status != http.StatusOK || r.Body["user"] != testapp.ID(who) || r.Body["session"] != session {
		t.Fatalf("%s marking %s read: %d %s", who, session, r.Status, r.Raw)
	}
}

func TestUnreadCounts(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	for who, want := range map[string]map[string]any{
		// others' visible messages only: alice's own and bob's hidden one do not count
		testapp.Alice: {support: 1.0, group: 1.0},
		testapp.Bob:   {},
		testapp.Gina:  {},
		testapp.Adam:  {support: 1.0, closed: 1.0}, // admins follow every support session
	} {
		if got := unreadOf(t, base, who); !reflect.DeepEqual(got, want) {
			t.Errorf("unread of %s: %v, want %v", who, got, want)
		}
	}

	markRead(t, base, testapp.Alice, support)
	if got := unreadOf(t, base, testapp.Alice); !reflect.DeepEqual(got, map[string]any{group: 1.0}) {
		t.Fatalf("after reading the support session: %v", got)
	}
	time.Sleep(5 * time.Millisecond) // created and last_read_at have millisecond precision
	post(t, base, testapp.Adam, support, "Still there?")
	post(t, base, testapp.Adam, support, "I can call you.")
	if got := unreadOf(t, base, testapp.Alice); !reflect.DeepEqual(got, map[string]any{support: 2.0, group: 1.0}) {
		t.Fatalf("after two answers: %v", got)
	}
	markRead(t, base, testapp.Alice, support) // a second mark updates the first
	if n, _ := app.CountRecords("chat_reads"); n != 1 {
		t.Fatalf("%d read marks, want 1", n)
	}
	r := testapp.Call(t, http.MethodGet, base+"/api/chat/unread", testapp.Token(testapp.Alice), nil)
	if r.Body["total"] != 1.0 {
		t.Fatalf("total: %s", r.Raw)
	}

	// alice blocks bob: his messages leave her counts, as they left her list
	if r := testapp.Call(t, http.MethodPost, base+"/api/collections/blocks/records", testapp.Token(testapp.Alice), map[string]any{"blocked": bob}); r.Status != 200 {
		t.Fatalf("alice blocking bob: %d %s", r.Status, r.Raw)
	}
	if got := unreadOf(t, base, testapp.Alice); len(got) != 0 {
		t.Fatalf("alice, who blocked bob: %v", got)
	}
	testapp.Call(t, http.MethodDelete, base+"/api/collections/blocks/records/"+blockOf(t, app, alice, bob), testapp.Token(testapp.Alice), nil)
	if got := unreadOf(t, base, testapp.Alice); !reflect.DeepEqual(got, map[string]any{group: 1.0}) {
		t.Fatalf("alice after unblocking bob: %v", got)
	}

	// removed from the group, bob's counts go with it
	post(t, base, testapp.Alice, group, "for bob")
	if got := unreadOf(t, base, testapp.Bob); !reflect.DeepEqual(got, map[string]any{group: 1.0}) {
		t.Fatalf("bob: %v", got)
	}
	testapp.Call(t, http.MethodPatch, base+sessionsURL+"/"+group, testapp.Token(testapp.Alice), map[string]any{"members-": bob})
	if got := unreadOf(t, base, testapp.Bob); len(got) != 0 {
		t.Fatalf("bob after removal: %v", got)
	}
}

func TestReadMarks(t *testing.T) {
	scenarios := []tests.ApiScenario{
		{
			Name:            "a member marks a session read",
			Method:          http.MethodPost,
			URL:             "/api/chat/sessions/" + group + "/read",
			Headers:         as(testapp.Bob),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"collectionName":"chat_reads"`, `"user":"` + bob + `"`, `"last_read_at":"2`},
			ExpectedEvents:  testapp.Events{Created: 1}.Map(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "an admin marks a support session read",
			Method:          http.MethodPost,
			URL:             "/api/chat/sessions/" + support + "/read",
			Headers:         as(testapp.Adam),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"user":"` + adam + `"`},
			ExpectedEvents:  testapp.Events{Created: 1}.Map(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "read marks are listed to their user only",
			Method:          http.MethodGet,
			URL:             "/api/collections/chat_reads/records",
			Headers:         as(testapp.Alice),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":1`, `"user":"` + alice + `"`},
			TestAppFactory:  chatsFactory,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				saveRead(t, app, support, alice)
				saveRead(t, app, group, bob)
			},
		},
		{
			Name:            "unread needs a signed-in user",
			Method:          http.MethodGet,
			URL:             "/api/chat/unread",
			ExpectedStatus:  401,
			ExpectedContent: []string{`"status":401`},
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "a banned user has no unread counts",
			Method:          http.MethodGet,
			URL:             "/api/chat/unread",
			Headers:         as(testapp.Ben),
			ExpectedStatus:  401,
			ExpectedContent: []string{"banned"},
			TestAppFactory:  chatsFactory,
		},
	}
	for _, r := range []struct {
		name, who, url string
		status         int
	}{
		{"a non-member marking a session read", testapp.Gina, "/api/chat/sessions/" + support + "/read", 404},
		{"an admin marking a group they are not in read", testapp.Adam, "/api/chat/sessions/" + group + "/read", 404},
		{"marking a session that does not exist", testapp.Alice, "/api/chat/sessions/" + testapp.ID("nosuch") + "/read", 404},
		{"a guest marking read", "", "/api/chat/sessions/" + support + "/read", 401},
		{"a banned user marking read", testapp.Ben, "/api/chat/sessions/" + closed + "/read", 401},
		{"the superuser marking read (read marks are users')", "root", "/api/chat/sessions/" + support + "/read", 403},
	} {
		s := refused(r.name+" is refused", http.MethodPost, r.url, r.who, "", r.status)
		s.NotExpectedContent = []string{`"last_read_at"`}
		scenarios = append(scenarios, s)
	}
	scenarios = append(scenarios, refused("creating a read mark through the records API is refused",
		http.MethodPost, "/api/collections/chat_reads/records", testapp.Alice,
		`{"session":"`+support+`","user":"`+alice+`","last_read_at":"2030-01-01 00:00:00Z"}`, 403))
	for _, s := range scenarios {
		s.Test(t)
	}
}

func saveRead(t testing.TB, app core.App, session, user string) {
	t.Helper()
	c, err := app.FindCollectionByNameOrId("chat_reads")
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(c)
	r.Load(map[string]any{"session": session, "user": user, "last_read_at": time.Now().UTC().Format("2006-01-02 15:04:05.000Z")})
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
}

// blockOf is the id of user's block of blocked.
func blockOf(t *testing.T, app core.App, user, blocked string) string {
	t.Helper()
	r, err := app.FindFirstRecordByFilter("blocks", "user = {:u} && blocked = {:b}", dbx.Params{"u": user, "b": blocked})
	if err != nil {
		t.Fatal(err)
	}
	return r.Id
}

// TestAdminsWhoBlockedStillReadSupport: an admin who blocked a member
// still gets that member's support messages and typing live (SSE and
// WebSocket) and in the unread counts, as the chats rules let admins read
// blocked authors (their list shows them); a member who blocked them gets
// none of it. Until 2026-12-03 the live paths and the counts dropped a
// blocked author for admins too (p8 finding 5).
func TestAdminsWhoBlockedStillReadSupport(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	// bob's own group with alice: the groups alice owns are hidden from
	// who blocked her altogether (TestBlockedOwnersGroupsAreHidden)
	bobs := saveSession(t, app, "", "bob's group", "group", bob, false, alice).Id
	base := testapp.Serve(t, app)
	for _, who := range []string{testapp.Adam, testapp.Bob} {
		if r := testapp.Call(t, http.MethodPost, base+"/api/collections/blocks/records", testapp.Token(who), map[string]any{"blocked": alice}); r.Status != 200 {
			t.Fatalf("%s blocking alice: %d %s", who, r.Status, r.Raw)
		}
	}
	adamWS := dialWS(t, base, testapp.Token(testapp.Adam))
	adamWS.join(t, support)
	adamSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Adam), "chats/*", chat.TypingTopic(support))
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, bobs)
	bobSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*", chat.TypingTopic(bobs), testapp.SentinelTopic)

	// the admin: alice's typing and message, on both transports
	for _, session := range []string{support, bobs} {
		if r := testapp.Call(t, http.MethodPost, base+"/api/chat/sessions/"+session+"/typing", testapp.Token(testapp.Alice), nil); r.Status != http.StatusNoContent {
			t.Fatalf("alice typing in %s: %d %s", session, r.Status, r.Raw)
		}
	}
	if user, _ := adamWS.expect(t, "typing")["user"].(map[string]any); user["id"] != alice {
		t.Fatalf("adam heard the typing of %v", user)
	}
	if ev, ok := adamSSE.Next(5 * time.Second); !ok || ev.Name != chat.TypingTopic(support) {
		t.Fatalf("adam's typing event: %v %v", ev, ok)
	}
	inSupport := post(t, base, testapp.Alice, support, "still there?")
	adamWS.expectOnly(t, isMessage(inSupport))
	if rec := adamSSE.ExpectRecord(t, "chats/*"); rec["id"] != inSupport {
		t.Fatalf("adam's message event: %v", rec)
	}
	// supportMsg and the new one; bob's in the closed session
	if got := unreadOf(t, base, testapp.Adam); !reflect.DeepEqual(got, map[string]any{support: 2.0, closed: 1.0}) {
		t.Errorf("adam's unread: %v", got)
	}
	// the list shows the same
	r := testapp.Call(t, http.MethodGet, base+"/api/collections/chats/records?filter="+url.QueryEscape(`author = "`+alice+`"`), testapp.Token(testapp.Adam), nil)
	if r.Status != 200 || r.Body["totalItems"] != 2.0 {
		t.Fatalf("adam's list of alice's messages: %d %s", r.Status, r.Raw)
	}

	// the member: nothing of alice's; his own message is his sentinel
	inGroup := post(t, base, testapp.Alice, bobs, "bob?")
	own := post(t, base, testapp.Bob, bobs, "bob's own")
	bobWS.expectOnly(t, isMessage(own))
	if rec := bobSSE.ExpectRecord(t, "chats/*"); rec["id"] != own {
		t.Fatalf("bob's first message event: %v (alice's: %s)", rec, inGroup)
	}
	bobSSE.ExpectOnly(t, testapp.Sentinel(t, app))
	if got := unreadOf(t, base, testapp.Bob); len(got) != 0 {
		t.Errorf("bob's unread: %v", got)
	}
}
