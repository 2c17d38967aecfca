package chat_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

func leaveURL(id string) string { return "/api/chat/sessions/" + id + "/leave" }

// TestLeaveGroup: a member leaves a group chat through its route, the owner
// too (handing it over); outsiders, support chats and guests are refused
// with nothing changed.
func TestLeaveGroup(t *testing.T) {
	refused := func(name, who, session string, status int, content string) tests.ApiScenario {
		before, after := testapp.Unchanged()
		s := tests.ApiScenario{
			Name: name, Method: http.MethodPost, URL: leaveURL(session),
			ExpectedStatus: status, ExpectedContent: []string{content},
			TestAppFactory: chatsFactory, BeforeTestFunc: before, AfterTestFunc: after,
		}
		if who != "" {
			s.Headers = as(who)
		}
		return s
	}
	scenarios := []tests.ApiScenario{
		{
			Name: "a member leaves a group chat", Method: http.MethodPost, URL: leaveURL(group),
			Headers: as(testapp.Bob), ExpectedStatus: http.StatusNoContent, TestAppFactory: chatsFactory,
			ExpectedEvents: testapp.Events{Updated: 1}.Map(),
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				s, err := app.FindRecordById("chat_sessions", group)
				if err != nil {
					t.Fatal(err)
				}
				if members := s.GetStringSlice("members"); slices.Contains(members, bob) || !slices.Contains(members, alice) {
					t.Fatalf("members after bob left: %v", members)
				}
				bobRecord, _ := app.FindRecordById("users", bob)
				info := &core.RequestInfo{Auth: bobRecord, Method: http.MethodGet}
				if ok, _ := app.CanAccessRecord(s, info, s.Collection().ViewRule); ok {
					t.Fatal("bob still reads the group after leaving")
				}
			},
		},
		{
			Name: "the owner leaves: the group passes to the member there longest", Method: http.MethodPost, URL: leaveURL(group),
			Headers: as(testapp.Alice), ExpectedStatus: http.StatusNoContent, TestAppFactory: chatsFactory,
			ExpectedEvents: testapp.Events{Updated: 1}.Map(),
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				s, err := app.FindRecordById("chat_sessions", group)
				if err != nil {
					t.Fatal(err)
				}
				if owner, members := s.GetString("owner"), s.GetStringSlice("members"); owner != bob || !slices.Equal(members, []string{bob}) {
					t.Fatalf("after the owner left: owner %q, members %v; want bob alone", owner, members)
				}
			},
		},
		refused("a non-member cannot leave", testapp.Gina, group, 404, "does not exist or you are not one of its participants"),
		refused("an admin who is no member cannot leave", testapp.Adam, group, 404, `"status":404`),
		refused("a support chat cannot be left", testapp.Bob, closed, 400, "Only group chats can be left"),
		refused("an unknown chat", testapp.Bob, "nosuchsession00", 404, `"status":404`),
		refused("a banned user", testapp.Ben, group, 401, `"status":401`),
		refused("a guest", "", group, 401, `"status":401`),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestLastToLeaveDeletesTheGroup: a group nobody is left in goes, with its
// messages, whether its last member leaves or deletes their account; a
// deleted owner's group passes to the member there longest. A deleted
// member's support chat stays for the admins.
func TestLastToLeaveDeletesTheGroup(t *testing.T) {
	app := chatsFactory(t)
	defer app.Cleanup()
	base := testapp.Serve(t, app)
	gone := func(ids ...string) {
		t.Helper()
		for _, id := range ids {
			for _, collection := range []string{"chat_sessions", "chats"} {
				if _, err := app.FindRecordById(collection, id); err == nil {
					t.Fatalf("%s %s is still there", collection, id)
				}
			}
		}
	}

	alone := saveSession(t, app, "", "bob alone", "group", bob, false)
	note := saveMessage(t, app, "", alone.Id, bob, "a note to myself", true)
	if r := testapp.Call(t, http.MethodPost, base+leaveURL(alone.Id), testapp.Token(testapp.Bob), nil); r.Status != http.StatusNoContent {
		t.Fatalf("the last member leaves: %d %s", r.Status, r.Raw)
	}
	gone(alone.Id, note.Id)

	solo := saveSession(t, app, "", "alice alone", "group", alice, false)
	soloMsg := saveMessage(t, app, "", solo.Id, alice, "only me here", true)
	trio := saveSession(t, app, "", "alice, gina and bob", "group", alice, false, gina, bob)
	if r := testapp.Call(t, http.MethodDelete, base+usersURL+"/"+alice, testapp.Token(testapp.Alice), nil); r.Status != http.StatusNoContent {
		t.Fatalf("alice deletes her account: %d %s", r.Status, r.Raw)
	}
	gone(solo.Id, soloMsg.Id)
	for id, want := range map[string][]string{group: {bob}, trio.Id: {gina, bob}} {
		s, err := app.FindRecordById("chat_sessions", id)
		if err != nil {
			t.Fatal(err)
		}
		if owner, members := s.GetString("owner"), s.GetStringSlice("members"); owner != want[0] || !slices.Equal(members, want) {
			t.Errorf("alice's group %s after her account went: owner %q, members %v; want %v, the first owning it", id, owner, members, want)
		}
	}
	// the new owner manages the group
	r := testapp.Call(t, http.MethodPatch, base+"/api/collections/chat_sessions/records/"+trio.Id, testapp.Token(testapp.Gina),
		map[string]any{"name": "gina's now"})
	if r.Status != http.StatusOK || r.Body["name"] != "gina's now" {
		t.Fatalf("the new owner renames: %d %s", r.Status, r.Raw)
	}
	if s, err := app.FindRecordById("chat_sessions", support); err != nil || s.GetString("owner") != "" {
		t.Fatalf("alice's support chat after her account went: %v %v; want it kept, without owner", s, err)
	}
}
