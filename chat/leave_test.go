package chat_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

// TestLeaveGroup: a member leaves a group chat through its route; the owner,
// outsiders, support chats and guests are refused with nothing changed.
func TestLeaveGroup(t *testing.T) {
	leaveURL := func(id string) string { return "/api/chat/sessions/" + id + "/leave" }
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
		refused("the owner cannot leave", testapp.Alice, group, 400, "owner cannot leave"),
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
