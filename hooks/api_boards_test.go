package hooks_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

const boardsURL = "/api/collections/boards/records"

// boardAccess is the expected list result and can_write per board for a role.
type boardAccess struct {
	role     string          // fixture user, "root", or "" for a guest
	readable []string        // boards listed
	canWrite map[string]bool // can_write per listed board (missing = false)
}

func TestBoardsReadAndCanWrite(t *testing.T) {
	all := []string{testapp.BoardAdmins, testapp.BoardGrantW, testapp.BoardGranted, testapp.BoardHidden, testapp.BoardMembers, testapp.BoardPublic}
	cases := []boardAccess{
		{"", []string{testapp.BoardAdmins, testapp.BoardPublic}, nil},
		{testapp.Alice, []string{testapp.BoardAdmins, testapp.BoardGrantW, testapp.BoardMembers, testapp.BoardPublic},
			map[string]bool{testapp.BoardMembers: true, testapp.BoardPublic: true}},
		{testapp.Gina, []string{testapp.BoardAdmins, testapp.BoardGrantW, testapp.BoardGranted, testapp.BoardMembers, testapp.BoardPublic},
			map[string]bool{testapp.BoardMembers: true, testapp.BoardPublic: true, testapp.BoardGranted: true, testapp.BoardGrantW: true}},
		{testapp.Adam, all,
			map[string]bool{testapp.BoardMembers: true, testapp.BoardPublic: true, testapp.BoardGranted: true,
				testapp.BoardGrantW: true, testapp.BoardAdmins: true, testapp.BoardHidden: true}},
		{"root", all, // superusers post anywhere (on someone's behalf)
			map[string]bool{testapp.BoardMembers: true, testapp.BoardPublic: true, testapp.BoardGranted: true,
				testapp.BoardGrantW: true, testapp.BoardAdmins: true, testapp.BoardHidden: true}},
	}
	for _, c := range cases {
		s := tests.ApiScenario{
			Name:            "list boards as " + roleName(c.role),
			Method:          http.MethodGet,
			URL:             boardsURL + "?perPage=100",
			Headers:         headersFor(c.role),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"items":[`},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				var body struct {
					Items []struct {
						Name     string `json:"name"`
						CanWrite *bool  `json:"can_write"`
					} `json:"items"`
				}
				raw, _ := io.ReadAll(res.Body)
				if err := json.Unmarshal(raw, &body); err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, it := range body.Items {
					names = append(names, it.Name)
					if it.CanWrite == nil {
						t.Errorf("board %s has no can_write", it.Name)
					} else if *it.CanWrite != c.canWrite[it.Name] {
						t.Errorf("board %s can_write = %v, want %v", it.Name, *it.CanWrite, c.canWrite[it.Name])
					}
				}
				sort.Strings(names)
				want := slices.Sorted(slices.Values(c.readable))
				if !slices.Equal(names, want) {
					t.Errorf("listed %v, want %v", names, want)
				}
			},
		}
		s.Test(t)
	}
}

func TestBoardsView(t *testing.T) {
	scenarios := []tests.ApiScenario{}
	for _, c := range []struct {
		role, board string
		status      int
	}{
		{"", testapp.BoardPublic, 200},
		{"", testapp.BoardMembers, 404},
		{"", testapp.BoardGranted, 404},
		{"", testapp.BoardHidden, 404},
		{testapp.Alice, testapp.BoardMembers, 200},
		{testapp.Alice, testapp.BoardGranted, 404},
		{testapp.Alice, testapp.BoardHidden, 404},
		{testapp.Gina, testapp.BoardGranted, 200},
		{testapp.Gina, testapp.BoardHidden, 404},
		{testapp.Ben, testapp.BoardPublic, 401},
		{testapp.Adam, testapp.BoardHidden, 200},
		{testapp.Adam, testapp.BoardGranted, 200},
		{"root", testapp.BoardHidden, 200},
	} {
		content := `"id":"` + testapp.ID(c.board) + `"`
		if c.status != 200 {
			content = `"status":` + itoa(c.status)
		}
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            "view " + c.board + " as " + roleName(c.role),
			Method:          http.MethodGet,
			URL:             boardsURL + "/" + testapp.ID(c.board),
			Headers:         headersFor(c.role),
			ExpectedStatus:  c.status,
			ExpectedContent: []string{content},
			TestAppFactory:  testapp.Factory,
		})
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestBoardsWrite(t *testing.T) {
	countBoards := func(want int) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if n, _ := app.CountRecords("boards"); int(n) != want {
				t.Fatalf("boards: got %d, want %d", n, want)
			}
		}
	}
	nameIs := func(want string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			b, _ := app.FindRecordById("boards", testapp.ID(testapp.BoardPublic))
			if b.GetString("name") != want || b.GetInt("posts_count") != 0 {
				t.Fatalf("board: name %q posts_count %d", b.GetString("name"), b.GetInt("posts_count"))
			}
		}
	}
	newBoard := `{"name":"새 게시판","read":"public","write":"members"}`
	scenarios := []tests.ApiScenario{
		{
			Name: "admin creates a board (visible by default, counters ignored)", Method: http.MethodPost, URL: boardsURL,
			Headers: testapp.Auth(testapp.Adam), Body: strings.NewReader(`{"name":"새 게시판","read":"public","write":"members","posts_count":99}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"is_visible":true`, `"posts_count":0`, `"can_write":true`},
			ExpectedEvents: testapp.Events{Request: "Create", Created: 2, Enriched: 1}.Map(), // and the log line
			TestAppFactory: testapp.Factory, AfterTestFunc: countBoards(7),
		},
		{
			Name: "superuser creates a board", Method: http.MethodPost, URL: boardsURL,
			Headers: testapp.Auth("root"), Body: strings.NewReader(newBoard),
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"새 게시판"`},
			ExpectedEvents: testapp.Events{Request: "Create", Created: 2, Enriched: 1}.Map(), // and the log line
			TestAppFactory: testapp.Factory, AfterTestFunc: countBoards(7),
		},
		{
			Name: "duplicate name in other case is refused", Method: http.MethodPost, URL: boardsURL,
			Headers: testapp.Auth(testapp.Adam), Body: strings.NewReader(`{"name":"PUBLIC","read":"public","write":"members"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":`},
			TestAppFactory: testapp.Factory, AfterTestFunc: countBoards(6),
		},
		{
			Name: "bad access level is refused", Method: http.MethodPost, URL: boardsURL,
			Headers: testapp.Auth(testapp.Adam), Body: strings.NewReader(`{"name":"x","read":"everyone","write":"members"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"read":{"code":`},
			TestAppFactory: testapp.Factory, AfterTestFunc: countBoards(6),
		},
		{
			Name: "admin renames a board; posts_count stays", Method: http.MethodPatch, URL: boardsURL + "/" + testapp.ID(testapp.BoardPublic),
			Headers: testapp.Auth(testapp.Adam), Body: strings.NewReader(`{"name":"renamed","posts_count":42}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"renamed"`, `"posts_count":0`},
			ExpectedEvents: testapp.Events{Request: "Update", Updated: 1, Created: 1, Enriched: 1}.Map(), // and the log line
			TestAppFactory: testapp.Factory, AfterTestFunc: nameIs("renamed"),
		},
		{
			Name: "admin deletes a board", Method: http.MethodDelete, URL: boardsURL + "/" + testapp.ID(testapp.BoardPublic),
			Headers: testapp.Auth(testapp.Adam), ExpectedStatus: 204,
			ExpectedEvents: testapp.Events{Request: "Delete", Deleted: 1, Created: 1}.Map(), // and the log line
			TestAppFactory: testapp.Factory, AfterTestFunc: countBoards(5),
		},
	}
	for _, role := range []string{"", testapp.Alice, testapp.Gina} {
		scenarios = append(scenarios,
			tests.ApiScenario{
				Name: roleName(role) + " cannot create a board", Method: http.MethodPost, URL: boardsURL,
				Headers: headersFor(role), Body: strings.NewReader(newBoard),
				ExpectedStatus: 400, ExpectedContent: []string{`"status":400`},
				TestAppFactory: testapp.Factory, AfterTestFunc: countBoards(6),
			},
			tests.ApiScenario{
				Name: roleName(role) + " cannot update a board", Method: http.MethodPatch, URL: boardsURL + "/" + testapp.ID(testapp.BoardPublic),
				Headers: headersFor(role), Body: strings.NewReader(`{"name":"hacked"}`),
				ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
				TestAppFactory: testapp.Factory, AfterTestFunc: nameIs(testapp.BoardPublic),
			},
			tests.ApiScenario{
				Name: roleName(role) + " cannot delete a board", Method: http.MethodDelete, URL: boardsURL + "/" + testapp.ID(testapp.BoardPublic),
				Headers: headersFor(role), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
				TestAppFactory: testapp.Factory, AfterTestFunc: countBoards(6),
			},
		)
	}
	scenarios = append(scenarios, tests.ApiScenario{
		Name: "banned user cannot create a board", Method: http.MethodPost, URL: boardsURL,
		Headers: testapp.Auth(testapp.Ben), Body: strings.NewReader(newBoard),
		ExpectedStatus: 401, ExpectedContent: []string{"banned"},
		TestAppFactory: testapp.Factory, AfterTestFunc: countBoards(6),
	})
	for _, s := range scenarios {
		s.Test(t)
	}
}

func roleName(role string) string {
	if role == "" {
		return "guest"
	}
	return role
}

func headersFor(role string) map[string]string {
	if role == "" {
		return nil
	}
	return testapp.Auth(role)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
