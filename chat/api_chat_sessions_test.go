package chat_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

const sessionsURL = "/api/collections/chat_sessions/records"

// as returns the request headers of a role: a fixture user's name, "root"
// for the superuser, or "" for a guest.
func as(who string) map[string]string {
	if who == "" {
		return nil
	}
	return testapp.Auth(who)
}

// refused is a scenario that must answer status and change nothing.
func refused(name, method, url, who, body string, status int) tests.ApiScenario {
	before, after := testapp.Unchanged()
	s := tests.ApiScenario{
		Name:               name,
		Method:             method,
		URL:                url,
		Headers:            as(who),
		ExpectedStatus:     status,
		NotExpectedContent: []string{`"collectionName"`},
		TestAppFactory:     chatsFactory,
		BeforeTestFunc:     before,
		AfterTestFunc:      after,
	}
	if body != "" {
		s.Body = strings.NewReader(body)
	}
	return s
}

// field checks that session id's stored field name is want (a list: sorted
// and joined with commas).
func field(id, name string, want any) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		r, err := app.FindRecordById("chat_sessions", id)
		if err != nil {
			t.Fatal(err)
		}
		var got any = r.Get(name)
		if list, ok := got.([]string); ok {
			slices.Sort(list)
			got = strings.Join(list, ",")
		}
		if got != want {
			t.Fatalf("%s.%s = %v, want %v", id, name, got, want)
		}
	}
}

func TestSessionsListAndView(t *testing.T) {
	visible := map[string][]string{ // who → sessions they may read
		testapp.Alice: {support, group},
		testapp.Bob:   {group, closed},
		testapp.Gina:  {},
		testapp.Adam:  {support, closed}, // admin: support sessions only
		"":            {},
		"root":        {support, group, closed},
	}
	var scenarios []tests.ApiScenario
	for who, ids := range visible {
		label := who
		if label == "" {
			label = "guest"
		}
		list := tests.ApiScenario{
			Name:            label + " lists chat sessions",
			Method:          http.MethodGet,
			URL:             sessionsURL,
			Headers:         as(who),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":` + string(rune('0'+len(ids)))},
			TestAppFactory:  chatsFactory,
		}
		for _, id := range []string{support, group, closed} {
			quoted := `"id":"` + id + `"`
			if slices.Contains(ids, id) {
				list.ExpectedContent = append(list.ExpectedContent, quoted)
			} else {
				list.NotExpectedContent = append(list.NotExpectedContent, quoted)
			}
			view := tests.ApiScenario{
				Name:           label + " views session " + id,
				Method:         http.MethodGet,
				URL:            sessionsURL + "/" + id,
				Headers:        as(who),
				ExpectedStatus: 404,
				TestAppFactory: chatsFactory,
			}
			if slices.Contains(ids, id) {
				view.ExpectedStatus = 200
				view.ExpectedContent = []string{quoted}
			} else {
				view.NotExpectedContent = []string{`"name"`}
			}
			scenarios = append(scenarios, view)
		}
		scenarios = append(scenarios, list)
	}
	scenarios = append(scenarios,
		tests.ApiScenario{
			Name:            "a banned user's token answers 401",
			Method:          http.MethodGet,
			URL:             sessionsURL,
			Headers:         as(testapp.Ben),
			ExpectedStatus:  401,
			ExpectedContent: []string{"banned"},
			ExpectedEvents:  map[string]int{"*": 0},
			TestAppFactory:  chatsFactory,
		},
		tests.ApiScenario{
			Name:               "expand through a back-relation shows a non-member nothing",
			Method:             http.MethodGet,
			URL:                "/api/collections/users/records/" + alice + "?expand=chat_sessions_via_owner,chat_sessions_via_members",
			Headers:            as(testapp.Gina),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"id":"` + alice + `"`},
			NotExpectedContent: []string{support, group},
			TestAppFactory:     chatsFactory,
		},
		tests.ApiScenario{
			Name:               "expand through a back-relation shows an admin the support session only",
			Method:             http.MethodGet,
			URL:                "/api/collections/users/records/" + alice + "?expand=chat_sessions_via_owner",
			Headers:            as(testapp.Adam),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"id":"` + support + `"`},
			NotExpectedContent: []string{group},
			TestAppFactory:     chatsFactory,
		},
		tests.ApiScenario{
			Name:               "expand of a message's session by a non-member",
			Method:             http.MethodGet,
			URL:                "/api/collections/chats/records?expand=session",
			Headers:            as(testapp.Gina),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"totalItems":0`},
			NotExpectedContent: []string{support, group, closed},
			TestAppFactory:     chatsFactory,
		},
	)
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestSessionsCreate(t *testing.T) {
	created := func(check func(t testing.TB, app *tests.TestApp, owner string, members []string, record map[string]any)) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			rows, err := app.FindRecordsByFilter("chat_sessions", "name = 'new chat'", "", 0, 0)
			if err != nil || len(rows) != 1 {
				t.Fatalf("new session: %v %v", rows, err)
			}
			r := rows[0]
			check(t, app, r.GetString("owner"), r.GetStringSlice("members"), map[string]any{
				"is_closed": r.GetBool("is_closed"), "last_message_at": r.GetString("last_message_at"), "kind": r.GetString("kind"),
			})
		}
	}
	scenarios := []tests.ApiScenario{
		{
			Name:            "a member opens a support session: owner and only member",
			Method:          http.MethodPost,
			URL:             sessionsURL,
			Headers:         as(testapp.Gina),
			Body:            strings.NewReader(`{"name":"new chat","kind":"support","owner":"` + bob + `","last_message_at":"2030-01-01 00:00:00Z"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"owner":"` + gina + `"`, `"members":["` + gina + `"]`, `"last_message_at":""`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc: created(func(t testing.TB, _ *tests.TestApp, owner string, members []string, _ map[string]any) {
				if owner != gina || !slices.Equal(members, []string{gina}) {
					t.Fatalf("owner %s members %v", owner, members)
				}
			}),
		},
		{
			Name:            "naming oneself as the support session's member is fine",
			Method:          http.MethodPost,
			URL:             sessionsURL,
			Headers:         as(testapp.Gina),
			Body:            strings.NewReader(`{"name":"new chat","kind":"support","members":["` + gina + `"]}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"members":["` + gina + `"]`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "a group's owner picks the members and is added to them",
			Method:          http.MethodPost,
			URL:             sessionsURL,
			Headers:         as(testapp.Alice),
			Body:            strings.NewReader(`{"name":"new chat","kind":"group","information":"weekend","members":["` + bob + `","` + gina + `"]}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"owner":"` + alice + `"`, `"information":"weekend"`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc: created(func(t testing.TB, _ *tests.TestApp, owner string, members []string, _ map[string]any) {
				slices.Sort(members)
				if owner != alice || !slices.Equal(members, []string{alice, bob, gina}) {
					t.Fatalf("owner %s members %v", owner, members)
				}
			}),
		},
		{
			Name:            "an admin opens a support session like anyone",
			Method:          http.MethodPost,
			URL:             sessionsURL,
			Headers:         as(testapp.Adam),
			Body:            strings.NewReader(`{"name":"new chat","kind":"support"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"owner":"` + adam + `"`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "the superuser picks the owner, who becomes a member",
			Method:          http.MethodPost,
			URL:             sessionsURL,
			Headers:         as("root"),
			Body:            strings.NewReader(`{"name":"new chat","kind":"group","owner":"` + gina + `","members":["` + bob + `"]}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"owner":"` + gina + `"`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc: created(func(t testing.TB, _ *tests.TestApp, owner string, members []string, _ map[string]any) {
				if owner != gina || !slices.Contains(members, gina) || !slices.Contains(members, bob) {
					t.Fatalf("owner %s members %v", owner, members)
				}
			}),
		},
	}
	for _, r := range []struct {
		name, who, body string
		status          int
	}{
		{"a support session with someone else as member", testapp.Gina, `{"name":"x","kind":"support","members":["` + bob + `"]}`, 400},
		{"a support session with two members", testapp.Gina, `{"name":"x","kind":"support","members":["` + gina + `","` + bob + `"]}`, 400},
		{"a session created closed", testapp.Gina, `{"name":"x","kind":"group","is_closed":true}`, 400},
		{"a guest's session", "", `{"name":"x","kind":"support"}`, 400},
		{"a banned user's session", testapp.Ben, `{"name":"x","kind":"support"}`, 401},
		{"a session without a name", testapp.Gina, `{"kind":"support"}`, 400},
		{"a session with a 257-character name", testapp.Gina, `{"name":"` + strings.Repeat("가", 257) + `","kind":"group"}`, 400},
		{"a session with 257 characters of information", testapp.Gina, `{"name":"x","information":"` + strings.Repeat("a", 257) + `","kind":"group"}`, 400},
		{"a session of an unknown kind", testapp.Gina, `{"name":"x","kind":"private"}`, 400},
	} {
		s := refused(r.name+" is refused", http.MethodPost, sessionsURL, r.who, r.body, r.status)
		s.ExpectedEvents = map[string]int{"OnRecordAfterCreateSuccess": 0}
		scenarios = append(scenarios, s)
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestSessionsUpdateAndDelete(t *testing.T) {
	scenarios := []tests.ApiScenario{
		{
			Name:            "the owner renames a group",
			Method:          http.MethodPatch,
			URL:             sessionsURL + "/" + group,
			Headers:         as(testapp.Alice),
			Body:            strings.NewReader(`{"name":"renamed","information":"new info"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"name":"renamed"`, `"information":"new info"`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "the owner adds a member to a group",
			Method:          http.MethodPatch,
			URL:             sessionsURL + "/" + group,
			Headers:         as(testapp.Alice),
			Body:            strings.NewReader(`{"members+":"` + gina + `"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{gina},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc:   field(group, "members", strings.Join([]string{alice, bob, gina}, ",")),
		},
		{
			Name:            "the owner cannot leave their own group: owners stay members",
			Method:          http.MethodPatch,
			URL:             sessionsURL + "/" + group,
			Headers:         as(testapp.Alice),
			Body:            strings.NewReader(`{"members":["` + bob + `"]}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"owner":"` + alice + `"`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc:   field(group, "members", alice+","+bob),
		},
		{
			Name:            "the owner cannot hand the session over: owner is server-set",
			Method:          http.MethodPatch,
			URL:             sessionsURL + "/" + group,
			Headers:         as(testapp.Alice),
			Body:            strings.NewReader(`{"owner":"` + bob + `"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"owner":"` + alice + `"`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc:   field(group, "owner", alice),
		},
		{
			Name:            "the owner closes their support session",
			Method:          http.MethodPatch,
			URL:             sessionsURL + "/" + support,
			Headers:         as(testapp.Alice),
			Body:            strings.NewReader(`{"is_closed":true}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"is_closed":true`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "an admin closes a support session",
			Method:          http.MethodPatch,
			URL:             sessionsURL + "/" + support,
			Headers:         as(testapp.Adam),
			Body:            strings.NewReader(`{"is_closed":true}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"is_closed":true`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "an admin reopens a closed support session",
			Method:          http.MethodPatch,
			URL:             sessionsURL + "/" + closed,
			Headers:         as(testapp.Ada),
			Body:            strings.NewReader(`{"is_closed":false}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"is_closed":false`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:               "last_message_at ignores what clients send",
			Method:             http.MethodPatch,
			URL:                sessionsURL + "/" + group,
			Headers:            as(testapp.Alice),
			Body:               strings.NewReader(`{"last_message_at":"2000-01-01 00:00:00.000Z"}`),
			ExpectedStatus:     200,
			NotExpectedContent: []string{"2000-01-01"},
			ExpectedEvents:     testapp.UpdateEvents(),
			TestAppFactory:     chatsFactory,
		},
		{
			Name:            "the superuser renames any session",
			Method:          http.MethodPatch,
			URL:             sessionsURL + "/" + support,
			Headers:         as("root"),
			Body:            strings.NewReader(`{"name":"renamed"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"name":"renamed"`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc:   field(support, "name", "renamed"),
		},
		{
			Name:           "the owner deletes a group with its messages",
			Method:         http.MethodDelete,
			URL:            sessionsURL + "/" + group,
			Headers:        as(testapp.Alice),
			ExpectedStatus: 204,
			ExpectedEvents: testapp.DeleteEvents(4), // the group, its 2 messages and alice's notification of bob's message
			TestAppFactory: chatsFactory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("chats"); n != 3 {
					t.Fatalf("%d messages left, want the 3 of the other sessions", n)
				}
			},
		},
		{
			Name:           "the superuser deletes a support session with its messages",
			Method:         http.MethodDelete,
			URL:            sessionsURL + "/" + support,
			Headers:        as("root"),
			ExpectedStatus: 204,
			ExpectedEvents: testapp.DeleteEvents(4), // the session, its 2 messages and alice's notification of adam's answer
			TestAppFactory: chatsFactory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if _, err := app.FindRecordById("chat_sessions", support); err == nil {
					t.Fatal("the support session is still there")
				}
				if n, _ := app.CountRecords("chats"); n != 3 {
					t.Fatalf("%d messages left, want the 3 of the other sessions", n)
				}
			},
		},
	}
	for _, r := range []struct {
		name, method, id, who, body string
		status                      int
	}{
		{"a member renaming someone else's group", http.MethodPatch, group, testapp.Bob, `{"name":"mine"}`, 404},
		{"a member adding people to someone else's group", http.MethodPatch, group, testapp.Bob, `{"members+":"` + gina + `"}`, 404},
		{"an admin renaming a group they are not in", http.MethodPatch, group, testapp.Adam, `{"name":"x"}`, 404},
		{"an admin closing a group they are not in", http.MethodPatch, group, testapp.Adam, `{"is_closed":true}`, 404},
		{"an admin renaming a support session", http.MethodPatch, support, testapp.Adam, `{"name":"x"}`, 404},
		{"an admin joining a support session as member", http.MethodPatch, support, testapp.Adam, `{"members+":"` + adam + `"}`, 404},
		{"the owner adding a member to a support session", http.MethodPatch, support, testapp.Alice, `{"members+":"` + bob + `"}`, 404},
		{"the owner turning a group into a support session", http.MethodPatch, group, testapp.Alice, `{"kind":"support"}`, 404},
		{"a non-member renaming a support session", http.MethodPatch, support, testapp.Gina, `{"name":"x"}`, 404},
		{"a guest closing a session", http.MethodPatch, support, "", `{"is_closed":true}`, 404},
		{"a banned user renaming a session", http.MethodPatch, closed, testapp.Ben, `{"name":"x"}`, 401},
		{"an empty name", http.MethodPatch, group, testapp.Alice, `{"name":""}`, 400},
		{"a member deleting someone else's group", http.MethodDelete, group, testapp.Bob, "", 404},
		{"a non-member deleting a group", http.MethodDelete, group, testapp.Gina, "", 404},
		// a support session is the moderators' evidence: only superusers delete it
		{"the owner deleting their support session", http.MethodDelete, support, testapp.Alice, "", 404},
		{"the owner deleting their closed support session", http.MethodDelete, closed, testapp.Bob, "", 404},
		{"an admin deleting a support session", http.MethodDelete, support, testapp.Adam, "", 404},
		{"an admin deleting a closed support session", http.MethodDelete, closed, testapp.Ada, "", 404},
		{"a non-member deleting a session", http.MethodDelete, support, testapp.Gina, "", 404},
		{"a guest deleting a session", http.MethodDelete, support, "", "", 404},
		{"a banned user deleting a session", http.MethodDelete, closed, testapp.Ben, "", 401},
	} {
		scenarios = append(scenarios, refused(r.name+" is refused", r.method, sessionsURL+"/"+r.id, r.who, r.body, r.status))
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
