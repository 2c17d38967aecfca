package chat_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

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
