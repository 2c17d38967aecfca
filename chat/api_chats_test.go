package chat_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

const chatsURL = "/api/collections/chats/records"

func sessionFilter(session string) string {
	return chatsURL + "?sort=-created&filter=" + url.QueryEscape("session='"+session+"'")
}

func TestChatsListAndView(t *testing.T) {
	readable := map[string][]string{ // who → messages they may read
		testapp.Alice: {supportMsg, supportReply, groupMsg},
		testapp.Bob:   {groupMsg, groupHidden, closedMsg}, // the hidden one is his
		testapp.Gina:  {},
		testapp.Adam:  {supportMsg, supportReply, closedMsg},
		"":            {},
		"root":        {supportMsg, supportReply, groupMsg, groupHidden, closedMsg},
	}
	all := []string{supportMsg, supportReply, groupMsg, groupHidden, closedMsg}
	var scenarios []tests.ApiScenario
	for who, ids := range readable {
		label := who
		if label == "" {
			label = "guest"
		}
		list := tests.ApiScenario{
			Name:            label + " lists messages",
			Method:          http.MethodGet,
			URL:             chatsURL,
			Headers:         as(who),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":` + strconv.Itoa(len(ids))},
			TestAppFactory:  chatsFactory,
		}
		for _, id := range all {
			quoted := `"id":"` + id + `"`
			view := tests.ApiScenario{
				Name:           label + " views message " + id,
				Method:         http.MethodGet,
				URL:            chatsURL + "/" + id,
				Headers:        as(who),
				ExpectedStatus: 404,
				TestAppFactory: chatsFactory,
			}
			if slices.Contains(ids, id) {
				list.ExpectedContent = append(list.ExpectedContent, quoted)
				view.ExpectedStatus = 200
				view.ExpectedContent = []string{quoted}
			} else {
				list.NotExpectedContent = append(list.NotExpectedContent, quoted)
				view.NotExpectedContent = []string{`"content"`}
			}
			scenarios = append(scenarios, view)
		}
		scenarios = append(scenarios, list)
	}
	scenarios = append(scenarios,
		tests.ApiScenario{
			Name:            "history pages newest first",
			Method:          http.MethodGet,
			URL:             sessionFilter(support) + "&perPage=1",
			Headers:         as(testapp.Alice),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":2`, `"id":"` + supportReply + `"`},
			TestAppFactory:  chatsFactory,
		},
		tests.ApiScenario{
			Name:               "a filter naming a session one cannot read finds nothing",
			Method:             http.MethodGet,
			URL:                sessionFilter(support),
			Headers:            as(testapp.Bob),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"totalItems":0`},
			NotExpectedContent: []string{supportMsg},
			TestAppFactory:     chatsFactory,
		},
		tests.ApiScenario{
			Name:            "a banned user's token answers 401",
			Method:          http.MethodGet,
			URL:             chatsURL,
			Headers:         as(testapp.Ben),
			ExpectedStatus:  401,
			ExpectedContent: []string{"banned"},
			ExpectedEvents:  map[string]int{"*": 0},
			TestAppFactory:  chatsFactory,
		},
	)
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestChatsCreate(t *testing.T) {
	body := func(session, extra string) string {
		return `{"session":"` + session + `","content":"hi there"` + extra + `}`
	}
	lastMessageAt := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		s, err := app.FindRecordById("chat_sessions", support)
		if err != nil {
			t.Fatal(err)
		}
		newest, err := app.FindRecordsByFilter("chats", "session = {:s}", "-created", 1, 0, map[string]any{"s": support})
		if err != nil || len(newest) != 1 {
			t.Fatal(err)
		}
		if newest[0].GetString("content") != "hi there" || s.GetString("last_message_at") != newest[0].GetString("created") {
			t.Fatalf("last_message_at %s, newest message %s at %s", s.GetString("last_message_at"),
				newest[0].GetString("content"), newest[0].GetString("created"))
		}
	}
	scenarios := []tests.ApiScenario{
		{
			Name:            "the member writes in her support session",
			Method:          http.MethodPost,
			URL:             chatsURL,
			Headers:         as(testapp.Alice),
			Body:            strings.NewReader(body(support, `,"author":"`+bob+`"`)),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"author":"` + alice + `"`, `"is_visible":true`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc:   lastMessageAt,
		},
		{
			Name:            "an admin answers a support session",
			Method:          http.MethodPost,
			URL:             chatsURL,
			Headers:         as(testapp.Adam),
			Body:            strings.NewReader(body(support, "")),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"author":"` + adam + `"`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc:   lastMessageAt,
		},
		{
			Name:            "any admin answers a support session",
			Method:          http.MethodPost,
			URL:             chatsURL,
			Headers:         as(testapp.Ada),
			Body:            strings.NewReader(body(support, "")),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"author":"` + testapp.ID(testapp.Ada) + `"`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "a group member writes",
			Method:          http.MethodPost,
			URL:             chatsURL,
			Headers:         as(testapp.Bob),
			Body:            strings.NewReader(body(group, "")),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"author":"` + bob + `"`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  chatsFactory,
		},
	}
	for _, r := range []struct {
		name, who, body string
		status          int
		message         string // the sentence that says why (none: PocketBase's own)
	}{
		{"a member writing in someone else's support session", testapp.Bob, body(support, ""), 400, `"message":"Chat ` + support + ` does not exist or you are not one of its participants."`},
		{"a non-member writing in a group", testapp.Gina, body(group, ""), 400, `"message":"Chat ` + group + ` does not exist or you are not one of its participants."`},
		{"an admin writing in a group they are not in", testapp.Adam, body(group, ""), 400, ""},
		{"the owner writing in a closed session", testapp.Bob, body(closed, ""), 400, `"message":"Chat ` + closed + ` is closed: it is read-only."`},
		{"an admin writing in a closed support session", testapp.Adam, body(closed, ""), 400, `"message":"Chat ` + closed + ` is closed: it is read-only."`},
		{"a guest writing", "", body(support, ""), 400, ""},
		{"a banned user writing", testapp.Ben, body(closed, ""), 401, ""},
		{"an empty message", testapp.Alice, `{"session":"` + support + `","content":""}`, 400, ""},
		{"a 2,001-character message", testapp.Alice, `{"session":"` + support + `","content":"` + strings.Repeat("가", 2001) + `"}`, 400, ""},
		{"a message to no session", testapp.Alice, `{"content":"hi"}`, 400, ""},
		{"a message to a session that does not exist", testapp.Alice, body(testapp.ID("nosuch"), ""), 400, ""},
	} {
		s := refused(r.name+" is refused", http.MethodPost, chatsURL, r.who, r.body, r.status)
		s.ExpectedEvents = map[string]int{"OnRecordAfterCreateSuccess": 0}
		if r.message != "" {
			s.ExpectedContent = []string{r.message}
		}
		scenarios = append(scenarios, s)
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestChatsUpdateAndDelete(t *testing.T) {
	scenarios := []tests.ApiScenario{
		{
			Name:            "the author edits a message",
			Method:          http.MethodPatch,
			URL:             chatsURL + "/" + groupMsg,
			Headers:         as(testapp.Bob),
			Body:            strings.NewReader(`{"content":"hello, alice!"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"content":"hello, alice!"`, `"author":"` + bob + `"`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "the author hides a message",
			Method:          http.MethodPatch,
			URL:             chatsURL + "/" + groupMsg,
			Headers:         as(testapp.Bob),
			Body:            strings.NewReader(`{"is_visible":false}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"is_visible":false`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
		},
		{
			Name:            "an admin hides a message in a support session",
			Method:          http.MethodPatch,
			URL:             chatsURL + "/" + supportMsg,
			Headers:         as(testapp.Adam),
			Body:            strings.NewReader(`{"is_visible":false}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"is_visible":false`, `"author":"` + alice + `"`},
			// and the moderation log line (alice's notification is written
			// with SQL in the same transaction: community's tests)
			ExpectedEvents: testapp.Events{Request: "Update", Updated: 1, Created: 1, Enriched: 1}.Map(),
			TestAppFactory: chatsFactory,
		},
		{
			// a support member hides (the admins still read it) rather than deletes
			Name:            "the author hides a message of their support session",
			Method:          http.MethodPatch,
			URL:             chatsURL + "/" + supportMsg,
			Headers:         as(testapp.Alice),
			Body:            strings.NewReader(`{"is_visible":false}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"is_visible":false`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  chatsFactory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m, err := app.FindRecordById("chats", supportMsg)
				if err != nil || m.GetBool("is_visible") {
					t.Fatalf("the hidden support message: %v, visible %v", err, m != nil && m.GetBool("is_visible"))
				}
			},
		},
		{
			Name:           "the author deletes a message",
			Method:         http.MethodDelete,
			URL:            chatsURL + "/" + groupMsg,
			Headers:        as(testapp.Bob),
			ExpectedStatus: 204,
			ExpectedEvents: testapp.DeleteEvents(1),
			TestAppFactory: chatsFactory,
		},
		{
			Name:           "an admin deletes a support message, and last_message_at follows",
			Method:         http.MethodDelete,
			URL:            chatsURL + "/" + supportReply,
			Headers:        as(testapp.Adam),
			ExpectedStatus: 204,
			ExpectedEvents: testapp.DeleteEvents(1),
			TestAppFactory: chatsFactory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				s, _ := app.FindRecordById("chat_sessions", support)
				m, _ := app.FindRecordById("chats", supportMsg)
				if s.GetString("last_message_at") != m.GetString("created") {
					t.Fatalf("last_message_at %s, want the remaining message's %s", s.GetString("last_message_at"), m.GetString("created"))
				}
			},
		},
		{
			Name:           "an admin deletes a message of a closed support session",
			Method:         http.MethodDelete,
			URL:            chatsURL + "/" + closedMsg,
			Headers:        as(testapp.Adam),
			ExpectedStatus: 204,
			// and the moderation log line: the message was bob's
			ExpectedEvents: testapp.Events{Request: "Delete", Deleted: 1, Created: 1}.Map(),
			TestAppFactory: chatsFactory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("moderation_log", dbx.HashExp{"action": "delete", "target_id": closedMsg}); n != 1 {
					t.Errorf("%d delete lines of the message in the moderation log, want 1", n)
				}
				s, _ := app.FindRecordById("chat_sessions", closed)
				if s.GetString("last_message_at") != "" {
					t.Fatalf("last_message_at %q of an empty session", s.GetString("last_message_at"))
				}
			},
		},
	}
	for _, r := range []struct {
		name, method, id, who, body string
		status                      int
	}{
		{"a member editing someone else's message", http.MethodPatch, groupMsg, testapp.Alice, `{"content":"x"}`, 404},
		{"a member hiding someone else's message", http.MethodPatch, groupMsg, testapp.Alice, `{"is_visible":false}`, 404},
		{"an admin rewording a support message", http.MethodPatch, supportMsg, testapp.Adam, `{"content":"x"}`, 404},
		{"an admin editing in a group they are not in", http.MethodPatch, groupMsg, testapp.Adam, `{"is_visible":false}`, 404},
		{"the author moving a message to another session", http.MethodPatch, supportMsg, testapp.Alice, `{"session":"` + group + `"}`, 404},
		{"the author editing in a closed session", http.MethodPatch, closedMsg, testapp.Bob, `{"content":"x"}`, 404},
		{"a non-member editing", http.MethodPatch, supportMsg, testapp.Gina, `{"content":"x"}`, 404},
		{"a guest editing", http.MethodPatch, supportMsg, "", `{"content":"x"}`, 404},
		{"a banned user editing", http.MethodPatch, closedMsg, testapp.Ben, `{"content":"x"}`, 401},
		{"the author emptying a message", http.MethodPatch, groupMsg, testapp.Bob, `{"content":""}`, 400},
		{"a member deleting someone else's message", http.MethodDelete, groupMsg, testapp.Alice, "", 404},
		// a support session's messages are the admins' record (1795900893)
		{"the author deleting a message of their support session", http.MethodDelete, supportMsg, testapp.Alice, "", 404},
		{"the author deleting in a closed session", http.MethodDelete, closedMsg, testapp.Bob, "", 404},
		{"an admin deleting in a group they are not in", http.MethodDelete, groupMsg, testapp.Adam, "", 404},
		{"a non-member deleting", http.MethodDelete, supportMsg, testapp.Gina, "", 404},
		{"a guest deleting", http.MethodDelete, supportMsg, "", "", 404},
		{"a banned user deleting", http.MethodDelete, closedMsg, testapp.Ben, "", 401},
	} {
		scenarios = append(scenarios, refused(r.name+" is refused", r.method, chatsURL+"/"+r.id, r.who, r.body, r.status))
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
