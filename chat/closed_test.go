package chat_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

// closedGroup is a closed group of alice's with bob (closedGroupFactory).
var closedGroup = testapp.ID("cclosedgrp")

func closedGroupFactory(t testing.TB) *tests.TestApp {
	app := chatsFactory(t)
	saveSession(t, app, closedGroup, "alice and bob, closed", "group", alice, true, bob)
	return app
}

// TestClosedSessionIsReadOnly: a closed session changes only by being
// reopened, alone, by who may: the admins for a support session (the
// member who owns it may not undo a moderator's close), the owner for a
// group; the superuser repairs anything. Its members may still leave a
// group.
func TestClosedSessionIsReadOnly(t *testing.T) {
	reopened := func(name, id, who string) tests.ApiScenario {
		return tests.ApiScenario{
			Name: name, Method: http.MethodPatch, URL: sessionsURL + "/" + id, Headers: as(who),
			Body:           strings.NewReader(`{"is_closed":false}`),
			ExpectedStatus: http.StatusOK, ExpectedContent: []string{`"is_closed":false`},
			ExpectedEvents: testapp.UpdateEvents(), TestAppFactory: closedGroupFactory,
			AfterTestFunc: field(id, "is_closed", false),
		}
	}
	scenarios := []tests.ApiScenario{
		reopened("an admin reopens a closed support session", closed, testapp.Adam),
		reopened("the owner reopens their closed group", closedGroup, testapp.Alice),
		reopened("the superuser reopens a closed support session", closed, "root"),
		{
			Name: "the superuser renames a closed group", Method: http.MethodPatch, URL: sessionsURL + "/" + closedGroup,
			Headers: as("root"), Body: strings.NewReader(`{"name":"repaired"}`),
			ExpectedStatus: http.StatusOK, ExpectedContent: []string{`"name":"repaired"`},
			ExpectedEvents: testapp.UpdateEvents(), TestAppFactory: closedGroupFactory,
			AfterTestFunc: field(closedGroup, "name", "repaired"),
		},
		{
			Name: "a member leaves a closed group", Method: http.MethodPost, URL: leaveURL(closedGroup),
			Headers: as(testapp.Bob), ExpectedStatus: http.StatusNoContent,
			ExpectedEvents: testapp.Events{Updated: 1}.Map(), TestAppFactory: closedGroupFactory,
			AfterTestFunc: field(closedGroup, "members", alice),
		},
	}
	for _, r := range []struct{ name, id, who, body string }{
		{"the owner reopening the support session an admin closed", closed, testapp.Bob, `{"is_closed":false}`},
		{"the owner renaming a closed support session", closed, testapp.Bob, `{"name":"x"}`},
		{"an admin renaming a closed support session", closed, testapp.Adam, `{"name":"x"}`},
		{"an admin reopening and renaming at once", closed, testapp.Adam, `{"is_closed":false,"name":"x"}`},
		{"the owner renaming a closed group", closedGroup, testapp.Alice, `{"name":"x"}`},
		{"the owner describing a closed group", closedGroup, testapp.Alice, `{"information":"x"}`},
		{"the owner adding a member to a closed group", closedGroup, testapp.Alice, `{"members+":"` + gina + `"}`},
		{"the owner removing a member from a closed group", closedGroup, testapp.Alice, `{"members-":"` + bob + `"}`},
		{"the owner reopening and renaming at once", closedGroup, testapp.Alice, `{"is_closed":false,"name":"x"}`},
		{"the owner reopening and adding a member at once", closedGroup, testapp.Alice, `{"is_closed":false,"members+":"` + gina + `"}`},
		{"the owner saving a closed group unchanged", closedGroup, testapp.Alice, `{}`},
		{"a member reopening a closed group", closedGroup, testapp.Bob, `{"is_closed":false}`},
		{"an admin who is no member reopening a closed group", closedGroup, testapp.Adam, `{"is_closed":false}`},
	} {
		s := refused(r.name+" is refused", http.MethodPatch, sessionsURL+"/"+r.id, r.who, r.body, http.StatusNotFound)
		s.TestAppFactory = closedGroupFactory
		scenarios = append(scenarios, s)
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
