package hooks_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/hook"

	"madang/hooks"
	"madang/internal/testapp"
)

const (
	postsURL    = "/api/collections/posts/records"
	commentsURL = "/api/collections/comments/records"
	likesURL    = "/api/collections/post_likes/records"
)

// contentTables are the tables a content request may write.
var contentTables = []string{"boards", "users", "posts", "comments", "post_likes"}

// contentRoles are the requesters of every access matrix: guest, member,
// granted member, banned member, admin and superuser.
var contentRoles = []string{"", testapp.Alice, testapp.Gina, testapp.Ben, testapp.Adam, "root"}

// The contract's access model, written independently of the rules so the
// matrices test the rules against it. Fixture content is all gina's.
func canReadBoard(role, board string) bool {
	switch {
	case role == testapp.Ben:
		return false
	case role == testapp.Adam || role == "root":
		return true
	case board == testapp.BoardHidden:
		return false
	case board == testapp.BoardPublic || board == testapp.BoardAdmins:
		return true
	case board == testapp.BoardMembers || board == testapp.BoardGrantW:
		return role != ""
	case board == testapp.BoardGranted:
		return role == testapp.Gina
	}
	return false
}

func canWriteBoard(role, board string) bool {
	switch {
	case role == testapp.Adam || role == "root":
		return true
	case !canReadBoard(role, board) || role == "":
		return false
	case board == testapp.BoardPublic || board == testapp.BoardMembers:
		return true
	case board == testapp.BoardGranted || board == testapp.BoardGrantW:
		return role == testapp.Gina
	}
	return false
}

// seesHidden: admins, superusers and the author (gina) of the fixtures.
func seesHidden(role string) bool {
	return role == testapp.Adam || role == "root" || role == testapp.Gina
}

// moderates: may update or delete gina's content on a board.
func moderates(role, board string) bool {
	return role == testapp.Adam || role == "root" || (role == testapp.Gina && canReadBoard(role, board))
}

// call is one request of an access matrix. A 2xx write runs as an
// ApiScenario on a fresh app; everything else runs on one served app per
// test, which works because a refused request (or a read) must leave the
// database exactly as it was: that is asserted after each of them, along
// with no write having succeeded (no After*Success event).
type call struct {
	name    string
	role    string
	method  string
	url     string
	body    string
	status  int
	content []string
	events  map[string]int // of a write deleting a cascade; else writeEvents' default
	check   func(t testing.TB, app *tests.TestApp, body []byte)
}

func (c call) writes() bool { return c.method != http.MethodGet && c.status < 300 }

// writeEvents are the hook events of a write: c.events, or those of one
// record created, updated or deleted.
func (c call) writeEvents() map[string]int {
	switch {
	case c.events != nil:
		return c.events
	case c.method == http.MethodPost:
		return testapp.CreateEvents()
	case c.method == http.MethodPatch:
		return testapp.UpdateEvents()
	}
	return testapp.DeleteEvents(1)
}

func (c call) expectedContent() []string {
	switch {
	case len(c.content) > 0 || c.status == http.StatusNoContent:
		return c.content
	case c.status >= 400:
		return []string{`"status":` + itoa(c.status)}
	}
	return []string{`"id":"`}
}

func runCalls(t *testing.T, calls []call) {
	t.Helper()
	shared := testapp.NewWithContent(t)
	base := testapp.Serve(t, shared)
	// Each call comes from its own address: PocketBase slows down a client
	// whose filtered lists keep coming back empty (timing-attack guard),
	// which is what many refused lists here look like.
	shared.Settings().TrustedProxy.Headers = []string{"X-Forwarded-For"}
	// Successful record writes, counted here rather than read from the test
	// app's EventCalls, which PocketBase's log writer also updates from its
	// own goroutine (request logs are models too).
	var mu sync.Mutex
	var written []string
	for name, h := range map[string]*hook.TaggedHook[*core.RecordEvent]{
		"create": shared.OnRecordAfterCreateSuccess(), "update": shared.OnRecordAfterUpdateSuccess(),
		"delete": shared.OnRecordAfterDeleteSuccess(),
	} {
		h.BindFunc(func(e *core.RecordEvent) error {
			mu.Lock()
			written = append(written, name+" "+e.Record.Collection().Name+" "+e.Record.Id)
			mu.Unlock()
			return e.Next()
		})
	}
	for i, c := range calls {
		if c.writes() {
			runWrite(t, c)
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			before := testapp.TakeSnapshot(t, shared, contentTables...)
			mu.Lock()
			written = nil
			mu.Unlock()
			res := send(t, c.method, base+c.url, testapp.Token(c.role), c.body,
				map[string]string{"X-Forwarded-For": fmt.Sprintf("10.0.%d.%d", i/250, i%250)})
			if res.Status != c.status {
				t.Errorf("status %d, want %d: %s", res.Status, c.status, res.Raw)
			}
			for _, want := range c.expectedContent() {
				if !strings.Contains(res.Raw, want) {
					t.Errorf("no %s in %s", want, res.Raw)
				}
			}
			mu.Lock()
			for _, w := range written {
				t.Errorf("a record was written: %s", w)
			}
			mu.Unlock()
			before.AssertUnchanged(t, shared)
			if c.check != nil {
				c.check(t, shared, []byte(res.Raw))
			}
		})
	}
}

// send makes a request with a JSON body (may be "") and extra headers.
func send(t testing.TB, method, url, token, body string, headers map[string]string) testapp.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := testapp.Response{Status: res.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

func runWrite(t *testing.T, c call) {
	s := tests.ApiScenario{
		Name:            c.name,
		Method:          c.method,
		URL:             c.url,
		Headers:         headersFor(c.role),
		ExpectedStatus:  c.status,
		ExpectedContent: c.expectedContent(),
		ExpectedEvents:  c.writeEvents(),
		TestAppFactory:  testapp.ContentFactory,
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			body, _ := io.ReadAll(res.Body)
			if c.check != nil {
				c.check(t, app, body)
			}
			testapp.AssertCounts(t, app)
		},
	}
	if c.body != "" {
		s.Body = strings.NewReader(c.body)
	}
	s.Test(t)
}

// refusal is the status a refused request gets: 401 for the banned user's
// live token, else what PocketBase answers a failed rule.
func refusal(role string, status int) int {
	if role == testapp.Ben {
		return http.StatusUnauthorized
	}
	return status
}

func TestPostsListAndView(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		for _, b := range testapp.Boards {
			var want []string
			if canReadBoard(role, b) {
				want = append(want, testapp.VisiblePost(b))
				if seesHidden(role) {
					want = append(want, testapp.HiddenPost(b))
				}
			}
			c := call{
				name: "list posts of " + b + " as " + roleName(role), role: role, method: http.MethodGet,
				url:    postsURL + "?perPage=100&filter=" + urlq(`board="`+testapp.ID(b)+`"`),
				status: refusal(role, 200), content: []string{`"items":`},
				check: expectItems(want),
			}
			if role == testapp.Ben {
				c.content, c.check = nil, nil
			}
			calls = append(calls, c)
			for _, hidden := range []bool{false, true} {
				id, kind := testapp.VisiblePost(b), "visible"
				if hidden {
					id, kind = testapp.HiddenPost(b), "hidden"
				}
				status := 404
				if canReadBoard(role, b) && (!hidden || seesHidden(role)) {
					status = 200
				}
				c := call{
					name: "view " + kind + " post on " + b + " as " + roleName(role), role: role, method: http.MethodGet,
					url: postsURL + "/" + id, status: refusal(role, status),
				}
				if status == 200 {
					c.content = []string{`"id":"` + id + `"`}
				}
				calls = append(calls, c)
			}
		}
	}
	runCalls(t, calls)
}

func TestPostsCreateMatrix(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		for _, b := range testapp.Boards {
			c := call{
				name: "create a post on " + b + " as " + roleName(role), role: role, method: http.MethodPost,
				url: postsURL, body: `{"board":"` + testapp.ID(b) + `","title":"새 글","content":"내용"}`,
				status: refusal(role, 400),
			}
			if canWriteBoard(role, b) {
				c.status = 200
				author := ""
				if role != "root" {
					author = testapp.ID(role)
				}
				c.content = []string{`"author":"` + author + `"`, `"is_visible":true`, `"title":"새 글"`}
				c.check = func(t testing.TB, app *tests.TestApp, _ []byte) {
					expectPostsOn(t, app, b, 3, 2)
				}
			}
			calls = append(calls, c)
		}
	}
	runCalls(t, calls)
}

func TestPostsUpdateAndDeleteMatrix(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		for _, b := range testapp.Boards {
			id := testapp.VisiblePost(b)
			update := call{
				name: "update gina's post on " + b + " as " + roleName(role), role: role, method: http.MethodPatch,
				url: postsURL + "/" + id, body: `{"title":"고친 제목"}`, status: refusal(role, 404),
			}
			del := call{
				name: "delete gina's post on " + b + " as " + roleName(role), role: role, method: http.MethodDelete,
				url: postsURL + "/" + id, status: refusal(role, 404),
			}
			if moderates(role, b) {
				update.status = 200
				update.content = []string{`"title":"고친 제목"`, `"author":"` + testapp.ID(testapp.Gina) + `"`}
				del.status = 204
				// the post, its 3 comments and its like, through the cascade
				del.events = testapp.DeleteEvents(5)
				if role != testapp.Gina { // a moderator's: and the log line
					update.events = testapp.Events{Request: "Update", Updated: 1, Created: 1, Enriched: 1}.Map()
					update.check = expectLogged("edit", id)
					del.events = testapp.Events{Request: "Delete", Deleted: 5, Created: 1}.Map()
				}
				del.check = func(t testing.TB, app *tests.TestApp, body []byte) {
					if role != testapp.Gina {
						expectLogged("delete", id)(t, app, body)
					}
					expectPostsOn(t, app, b, 1, 0)
					for _, gone := range []struct{ collection, id string }{
						{"comments", testapp.VisibleComment(b)}, {"comments", testapp.Reply(b)},
						{"comments", testapp.HiddenComment(b)}, {"post_likes", testapp.LikeOf(b)},
					} {
						if _, err := app.FindRecordById(gone.collection, gone.id); err == nil {
							t.Errorf("%s %s survived its post", gone.collection, gone.id)
						}
					}
				}
			}
			calls = append(calls, update, del)
		}
	}
	runCalls(t, calls)
}

// expectLogged checks the moderation log holds one line of action on id.
func expectLogged(action, id string) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, app *tests.TestApp, _ []byte) {
		t.Helper()
		if n, _ := app.CountRecords("moderation_log", dbx.HashExp{"action": action, "target_id": id}); n != 1 {
			t.Errorf("%d %s lines of %s in the moderation log, want 1", n, action, id)
		}
	}
}

// expectPostsOn checks how many posts board b holds and its posts_count.
func expectPostsOn(t testing.TB, app core.App, b string, posts, visible int) {
	t.Helper()
	n, err := app.CountRecords("posts", dbx.HashExp{"board": testapp.ID(b)})
	if err != nil {
		t.Fatal(err)
	}
	board, err := app.FindRecordById("boards", testapp.ID(b))
	if err != nil {
		t.Fatal(err)
	}
	if int(n) != posts || board.GetInt("posts_count") != visible {
		t.Errorf("board %s: %d posts, posts_count %d; want %d and %d", b, n, board.GetInt("posts_count"), posts, visible)
	}
}

func TestPostsFields(t *testing.T) {
	pub := testapp.ID(testapp.BoardPublic)
	post := testapp.VisiblePost(testapp.BoardPublic)
	field := func(id, name string, want any) func(testing.TB, *tests.TestApp, []byte) {
		return func(t testing.TB, app *tests.TestApp, _ []byte) {
			r, err := app.FindRecordById("posts", id)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Get(name); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s.%s = %v, want %v", id, name, got, want)
			}
		}
	}
	calls := []call{
		{
			name: "author, counters and is_file_attached sent by the client are ignored", role: testapp.Alice,
			method: http.MethodPost, url: postsURL,
			body: `{"board":"` + pub + `","title":"t","content":"c","author":"` + testapp.ID(testapp.Bob) +
				`","views_count":7,"comments_count":8,"likes_count":9,"is_file_attached":true}`,
			status: 200,
			content: []string{`"author":"` + testapp.ID(testapp.Alice) + `"`, `"views_count":0`, `"comments_count":0`,
				`"likes_count":0`, `"is_file_attached":false`},
		},
		{
			name: "superuser posts on behalf of a user", role: "root", method: http.MethodPost, url: postsURL,
			body:   `{"board":"` + pub + `","title":"t","content":"c","author":"` + testapp.ID(testapp.Bob) + `"}`,
			status: 200, content: []string{`"author":"` + testapp.ID(testapp.Bob) + `"`},
		},
		{
			name: "a post created hidden leaves posts_count alone", role: testapp.Alice, method: http.MethodPost, url: postsURL,
			body:   `{"board":"` + pub + `","title":"t","content":"c","is_visible":false}`,
			status: 200, content: []string{`"is_visible":false`},
			check: func(t testing.TB, app *tests.TestApp, _ []byte) {
				expectPostsOn(t, app, testapp.BoardPublic, 3, 1)
			},
		},
		{
			name: "admin creates a pinned post", role: testapp.Adam, method: http.MethodPost, url: postsURL,
			body:   `{"board":"` + pub + `","title":"공지","content":"c","is_pinned":true}`,
			status: 200, content: []string{`"is_pinned":true`},
			events: testapp.Events{Request: "Create", Created: 2, Enriched: 1}.Map(), // and the log line (pin)
		},
		{
			name: "a member cannot create a pinned post", role: testapp.Alice, method: http.MethodPost, url: postsURL,
			body: `{"board":"` + pub + `","title":"t","content":"c","is_pinned":true}`, status: 400,
		},
		{
			name: "the author cannot pin", role: testapp.Gina, method: http.MethodPatch, url: postsURL + "/" + post,
			body: `{"is_pinned":true}`, status: 404,
		},
		{
			name: "the author may send is_pinned unchanged", role: testapp.Gina, method: http.MethodPatch, url: postsURL + "/" + post,
			body: `{"is_pinned":false,"title":"x"}`, status: 200, content: []string{`"title":"x"`},
		},
		{
			name: "admin pins", role: testapp.Adam, method: http.MethodPatch, url: postsURL + "/" + post,
			body: `{"is_pinned":true}`, status: 200, content: []string{`"is_pinned":true`},
			check:  field(post, "is_pinned", true),
			events: testapp.Events{Request: "Update", Updated: 1, Created: 1, Enriched: 1}.Map(), // and the log line
		},
		{
			name: "the author hides the post: it leaves posts_count", role: testapp.Gina, method: http.MethodPatch,
			url: postsURL + "/" + post, body: `{"is_visible":false}`, status: 200,
			check: func(t testing.TB, app *tests.TestApp, _ []byte) {
				expectPostsOn(t, app, testapp.BoardPublic, 2, 0)
			},
		},
		{
			name: "admin hides a post", role: testapp.Adam, method: http.MethodPatch,
			url: postsURL + "/" + post, body: `{"is_visible":false}`, status: 200,
			events: moderated(),
			check: func(t testing.TB, app *tests.TestApp, _ []byte) {
				expectPostsOn(t, app, testapp.BoardPublic, 2, 0)
			},
		},
		{
			name: "admin unhides a post: it counts again", role: testapp.Adam, method: http.MethodPatch,
			url: postsURL + "/" + testapp.HiddenPost(testapp.BoardPublic), body: `{"is_visible":true}`, status: 200,
			events: moderated(),
			check: func(t testing.TB, app *tests.TestApp, _ []byte) {
				expectPostsOn(t, app, testapp.BoardPublic, 2, 2)
			},
		},
		{
			name: "the author cannot unhide a hidden post: only admins undo a hide", role: testapp.Gina,
			method: http.MethodPatch, url: postsURL + "/" + testapp.HiddenPost(testapp.BoardPublic),
			body: `{"is_visible":true}`, status: 404,
			check: func(t testing.TB, app *tests.TestApp, _ []byte) {
				field(testapp.HiddenPost(testapp.BoardPublic), "is_visible", false)(t, app, nil)
				expectPostsOn(t, app, testapp.BoardPublic, 2, 1)
			},
		},
		{
			name: "the author edits a hidden post", role: testapp.Gina, method: http.MethodPatch,
			url: postsURL + "/" + testapp.HiddenPost(testapp.BoardPublic), body: `{"content":"새 내용"}`, status: 200,
			content: []string{`"content":"새 내용"`, `"is_visible":false`},
		},
		{
			name: "counters sent in an update are ignored", role: testapp.Adam, method: http.MethodPatch,
			url: postsURL + "/" + post, body: `{"likes_count":100,"comments_count":100,"views_count":100,"title":"y"}`,
			status: 200, content: []string{`"likes_count":1`, `"comments_count":2`, `"views_count":0`},
			events: testapp.Events{Request: "Update", Updated: 1, Created: 1, Enriched: 1}.Map(), // and the log line (edit)
		},
		{
			name: "the author cannot reassign the post", role: testapp.Gina, method: http.MethodPatch,
			url: postsURL + "/" + post, body: `{"author":"` + testapp.ID(testapp.Alice) + `","title":"z"}`,
			status: 200, content: []string{`"author":"` + testapp.ID(testapp.Gina) + `"`},
		},
	}
	for _, role := range []string{testapp.Gina, testapp.Adam, "root"} {
		calls = append(calls, call{
			name: "the board cannot change, even for " + role, role: role, method: http.MethodPatch,
			url: postsURL + "/" + post, body: `{"board":"` + testapp.ID(testapp.BoardMembers) + `"}`,
			status: 400, content: []string{`"board":{"code":"fixed_field"`},
		})
	}
	for _, bad := range []struct{ what, body, field string }{
		{"title too long", `{"board":"` + pub + `","title":"` + strings.Repeat("가", 201) + `","content":"c"}`, "title"},
		{"no title", `{"board":"` + pub + `","content":"c"}`, "title"},
		{"empty content", `{"board":"` + pub + `","title":"t","content":""}`, "content"},
		{"content too long", `{"board":"` + pub + `","title":"t","content":"` + strings.Repeat("a", 20001) + `"}`, "content"},
		{"no board", `{"title":"t","content":"c"}`, "board"},
	} {
		calls = append(calls, call{
			name: bad.what + " is refused", role: testapp.Adam, method: http.MethodPost, url: postsURL, body: bad.body,
			status: 400, content: []string{`"` + bad.field + `":{"code":`},
		})
	}
	calls = append(calls,
		call{name: "200-character title is fine", role: testapp.Alice, method: http.MethodPost, url: postsURL,
			body:   `{"board":"` + pub + `","title":"` + strings.Repeat("가", 200) + `","content":"` + strings.Repeat("a", 20000) + `"}`,
			status: 200},
		call{name: "a member posting on an unknown board is refused", role: testapp.Alice, method: http.MethodPost, url: postsURL,
			body: `{"board":"nosuchboard0000","title":"t","content":"c"}`, status: 400},
		call{name: "an admin posting on an unknown board is told which field", role: testapp.Adam, method: http.MethodPost, url: postsURL,
			body: `{"board":"nosuchboard0000","title":"t","content":"c"}`, status: 400, content: []string{`"board":{"code":`}},
		call{name: "a member posting on the hidden board is refused", role: testapp.Alice, method: http.MethodPost, url: postsURL,
			body: `{"board":"` + testapp.ID(testapp.BoardHidden) + `","title":"t","content":"c"}`, status: 400},
	)
	runCalls(t, calls)
}

func TestPostsAttachments(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	members := testapp.ID(testapp.BoardMembers)

	res := upload(t, http.MethodPost, base+postsURL, testapp.Token(testapp.Gina),
		map[string]string{"board": members, "title": "파일", "content": "첨부", "is_file_attached": "false"}, "attachments", 2, 10)
	if res.Status != 200 || res.Body["is_file_attached"] != true {
		t.Fatalf("upload: %d %s", res.Status, res.Raw)
	}
	id := res.Body["id"].(string)
	files := res.Body["attachments"].([]any)
	if len(files) != 2 {
		t.Fatalf("attachments = %v", files)
	}
	fileURL := base + "/api/files/posts/" + id + "/" + files[0].(string)

	fileToken := func(role string) string {
		r := testapp.Call(t, http.MethodPost, base+"/api/files/token", testapp.Token(role), nil)
		if r.Status != 200 {
			t.Fatalf("file token for %s: %d %s", role, r.Status, r.Raw)
		}
		return r.Body["token"].(string)
	}
	for _, c := range []struct {
		what, token string
		status      int
	}{
		{"with a reader's file token", fileToken(testapp.Alice), 200},
		{"with an admin's file token", fileToken(testapp.Adam), 200},
		{"without a token", "", 404},
		{"with an auth token instead of a file token", testapp.Token(testapp.Alice), 404},
	} {
		if r := testapp.Call(t, http.MethodGet, fileURL+"?token="+c.token, "", nil); r.Status != c.status {
			t.Errorf("download %s: %d, want %d", c.what, r.Status, c.status)
		}
	}

	// a post on the granted board: alice's token cannot read it
	res = upload(t, http.MethodPost, base+postsURL, testapp.Token(testapp.Gina),
		map[string]string{"board": testapp.ID(testapp.BoardGranted), "title": "비밀", "content": "첨부"}, "attachments", 1, 10)
	granted := base + "/api/files/posts/" + res.Body["id"].(string) + "/" + res.Body["attachments"].([]any)[0].(string)
	if r := testapp.Call(t, http.MethodGet, granted+"?token="+fileToken(testapp.Alice), "", nil); r.Status != 404 {
		t.Errorf("download with a non-reader's token: %d, want 404", r.Status)
	}
	if r := testapp.Call(t, http.MethodGet, granted+"?token="+fileToken(testapp.Gina), "", nil); r.Status != 200 {
		t.Errorf("download with a granted reader's token: %d, want 200", r.Status)
	}

	// a post on a public board: guests read it, but its files need a
	// signed-in user's file token (migration 1795900800_file_token.go)
	res = upload(t, http.MethodPost, base+postsURL, testapp.Token(testapp.Gina),
		map[string]string{"board": testapp.ID(testapp.BoardPublic), "title": "공개", "content": "첨부"}, "attachments", 1, 10)
	public := res.Body["id"].(string)
	publicFile := base + "/api/files/posts/" + public + "/" + res.Body["attachments"].([]any)[0].(string)
	for _, c := range []struct {
		what, query string
		status      int
	}{
		{"a guest, without a token", "", 404},
		{"a guest, with an empty token", "?token=", 404},
		{"a guest, with a forged token", "?token=eyJhbGciOiJIUzI1NiJ9.e30.x", 404},
		{"a guest, a thumbnail", "?thumb=320x0", 404},
		{"a member's auth token as the file token", "?token=" + testapp.Token(testapp.Alice), 404},
		{"a member's file token", "?token=" + fileToken(testapp.Alice), 200},
		{"a member's file token, a thumbnail", "?thumb=320x0&token=" + fileToken(testapp.Alice), 200},
	} {
		if r := testapp.Call(t, http.MethodGet, publicFile+c.query, "", nil); r.Status != c.status {
			t.Errorf("public board, download by %s: %d, want %d", c.what, r.Status, c.status)
		}
	}
	if r := testapp.Call(t, http.MethodGet, base+postsURL+"/"+public, "", nil); r.Status != 200 {
		t.Errorf("a guest viewing the public post: %d %s", r.Status, r.Raw)
	}
	if r := testapp.Call(t, http.MethodGet, base+postsURL+"?filter="+url.QueryEscape("id='"+public+"'"), "", nil); r.Status != 200 ||
		r.Body["totalItems"] != float64(1) {
		t.Errorf("a guest listing the public post: %d %s", r.Status, r.Raw)
	}

	// refusals name the field and create nothing
	before := testapp.TakeSnapshot(t, app, contentTables...)
	for _, c := range []struct {
		what        string
		files, size int
	}{
		{"11 files", 11, 10},
		{"a file over 20 MB", 1, 20<<20 + 1},
	} {
		r := upload(t, http.MethodPost, base+postsURL, testapp.Token(testapp.Gina),
			map[string]string{"board": members, "title": "t", "content": "c"}, "attachments", c.files, c.size)
		if r.Status != 400 || !strings.Contains(r.Raw, `"attachments":{"code":`) {
			t.Errorf("%s: %d %s", c.what, r.Status, r.Raw)
		}
	}
	before.AssertUnchanged(t, app)

	// removing every file clears is_file_attached; deleting the post deletes its files
	r := testapp.Call(t, http.MethodPatch, base+postsURL+"/"+id, testapp.Token(testapp.Gina), map[string]any{"attachments": []string{}})
	if r.Status != 200 || r.Body["is_file_attached"] != false {
		t.Fatalf("remove files: %d %s", r.Status, r.Raw)
	}
	res = upload(t, http.MethodPatch, base+postsURL+"/"+id, testapp.Token(testapp.Gina), nil, "attachments+", 1, 10)
	if res.Status != 200 || res.Body["is_file_attached"] != true {
		t.Fatalf("add a file: %d %s", res.Status, res.Raw)
	}
	record, err := app.FindRecordById("posts", id)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := app.NewFilesystem()
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	key := record.BaseFilesPath() + "/" + record.GetStringSlice("attachments")[0]
	if ok, _ := fsys.Exists(key); !ok {
		t.Fatalf("stored file %s missing", key)
	}
	if r := testapp.Call(t, http.MethodDelete, base+postsURL+"/"+id, testapp.Token(testapp.Gina), nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	// PocketBase deletes the files in the background once the delete committed
	eventually(t, 2*time.Second, func() bool { ok, _ := fsys.Exists(key); return !ok }, "file %s survived its post", key)
	testapp.AssertCounts(t, app)
}

// eventually fails the test unless cond turns true within d.
func eventually(t testing.TB, d time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf(format, args...)
			return
		}
	}
}

// upload sends a multipart request with fields and n files of size bytes.
func upload(t testing.TB, method, url, token string, fields map[string]string, fileField string, n, size int) testapp.Response {
	t.Helper()
	body := new(bytes.Buffer)
	mp := multipart.NewWriter(body)
	for k, v := range fields {
		mp.WriteField(k, v)
	}
	for i := range n {
		w, err := mp.CreateFormFile(fileField, fmt.Sprintf("file%d.txt", i))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(bytes.Repeat([]byte("x"), size))
	}
	mp.Close()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mp.FormDataContentType())
	return testapp.Do(t, req, token)
}

// expectItems checks a list response holds exactly the ids want.
func expectItems(want []string) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, _ *tests.TestApp, raw []byte) {
		var body struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range body.Items {
			got = append(got, it.ID)
		}
		slices.Sort(got)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("listed %v, want %v", got, want)
		}
	}
}

func TestPostsViews(t *testing.T) {
	app, base := served(t)
	pub := testapp.VisiblePost(testapp.BoardPublic)
	views := func(id string) int {
		t.Helper()
		if err := hooks.FlushViews(app); err != nil {
			t.Fatal(err)
		}
		return countOf(t, app, "posts", id, "views_count")
	}
	get := func(id, token string, headers map[string]string) int {
		t.Helper()
		return send(t, http.MethodGet, base+postsURL+"/"+id, token, "", headers).Status
	}

	for _, step := range []struct {
		what    string
		token   string
		headers map[string]string
		want    int
	}{
		{"a member's first view counts", testapp.Token(testapp.Alice), nil, 1},
		{"the same member again does not", testapp.Token(testapp.Alice), nil, 1},
		{"another member counts", testapp.Token(testapp.Bob), nil, 2},
		{"a superuser counts as a viewer too", testapp.Token("root"), nil, 3},
		{"a guest counts by IP", "", nil, 4},
		{"the same guest IP again does not", "", nil, 4},
	} {
		if status := get(pub, step.token, step.headers); status != 200 {
			t.Fatalf("%s: GET answered %d", step.what, status)
		}
		if got := views(pub); got != step.want {
			t.Errorf("%s: views_count %d, want %d", step.what, got, step.want)
		}
	}

	// behind a proxy, guests are told apart by the forwarded address
	app.Settings().TrustedProxy.Headers = []string{"X-Forwarded-For"}
	for _, ip := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.1"} {
		get(pub, "", map[string]string{"X-Forwarded-For": ip})
	}
	if got := views(pub); got != 6 {
		t.Errorf("two more guest IPs: views_count %d, want 6", got)
	}

	// refused reads and lists count nothing
	granted := testapp.VisiblePost(testapp.BoardGranted)
	if status := get(granted, testapp.Token(testapp.Alice), nil); status != 404 {
		t.Fatalf("alice reading the granted board: %d", status)
	}
	testapp.Call(t, http.MethodGet, base+postsURL, testapp.Token(testapp.Gina), nil)
	if got := views(granted); got != 0 {
		t.Errorf("a refused read counted: views_count %d", got)
	}

	// without a forced flush, the server writes views within 2 s
	get(granted, testapp.Token(testapp.Gina), nil)
	eventually(t, 2*time.Second, func() bool { return countOf(t, app, "posts", granted, "views_count") == 1 },
		"a view was not written within 2 s")
}

// TestPostsViewsFlushOnTerminate reads posts through a router whose server
// never started (so no periodic flush runs), then shuts the app down: the
// views must be in the database before it closes.
func TestPostsViewsFlushOnTerminate(t *testing.T) {
	app := testapp.NewWithContent(t)
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	mux, err := router.BuildMux()
	if err != nil {
		t.Fatal(err)
	}
	pub := testapp.VisiblePost(testapp.BoardPublic)
	for _, who := range []string{testapp.Alice, testapp.Bob, testapp.Gina} {
		req := httptest.NewRequest(http.MethodGet, postsURL+"/"+pub, nil)
		req.Header.Set("Authorization", testapp.Token(who))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("view as %s: %d", who, rec.Code)
		}
	}
	if got := countOf(t, app, "posts", pub, "views_count"); got != 0 {
		t.Fatalf("views written before shutdown: %d", got)
	}
	err = app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error {
		if got := countOf(t, app, "posts", pub, "views_count"); got != 3 {
			t.Errorf("views_count at shutdown = %d, want 3", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// searched calls a search as role and returns field of every item, sorted.
func searched(t *testing.T, url, field, role string) []string {
	t.Helper()
	res := testapp.Call(t, http.MethodGet, url, testapp.Token(role), nil)
	if res.Status != 200 {
		t.Fatalf("%s as %s: %d %s", url, roleName(role), res.Status, res.Raw)
	}
	var got []string
	for _, it := range res.Body["items"].([]any) {
		got = append(got, it.(map[string]any)[field].(string))
	}
	slices.Sort(got)
	return got
}

func TestPostsSearch(t *testing.T) {
	app, base := served(t)
	for _, p := range []struct{ board, title, content string }{
		{testapp.BoardPublic, "마당 청소 안내", "이번 주 토요일에 마당을 청소합니다."},
		{testapp.BoardPublic, "Garden party", "Bring FOOD and friends; 100% fun_time."},
		{testapp.BoardMembers, "회원 모임", "마당에서 바비큐 파티를 엽니다."},
		{testapp.BoardGranted, "비밀 마당 계획", "granted readers only"},
		{testapp.BoardHidden, "숨은 마당", "hidden board"},
		{testapp.BoardPublic, "ÉCOLE", "Бухгалтерия"},
		{testapp.BoardPublic, "σοφία", "ǆungla"},
	} {
		r := testapp.CreatePost(t, app, testapp.ID(p.board), testapp.ID(testapp.Gina), p.title)
		r.Set("content", p.content)
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	titles := func(role, query string) []string {
		t.Helper()
		return searched(t, base+"/api/posts/search?"+query, "title", role)
	}
	for _, c := range []struct {
		role, query string
		want        []string
	}{
		{"", "q=" + urlq("마당을"), []string{"마당 청소 안내"}},                                                      // 3+ characters: the index
		{"", "q=" + urlq("마당"), []string{"마당 청소 안내"}},                                                       // 2 characters: LIKE
		{testapp.Alice, "q=" + urlq("마당"), []string{"마당 청소 안내", "회원 모임"}},                                   // members board too
		{testapp.Gina, "q=" + urlq("마당"), []string{"마당 청소 안내", "비밀 마당 계획", "회원 모임"}},                        // and granted
		{testapp.Adam, "q=" + urlq("마당"), []string{"마당 청소 안내", "비밀 마당 계획", "숨은 마당", "회원 모임"}},               // and hidden
		{testapp.Adam, "q=" + urlq("마당") + "&board=" + testapp.ID(testapp.BoardMembers), []string{"회원 모임"}}, // one board
		{"", "q=" + urlq("garden FOOD"), []string{"Garden party"}},                                          // every word, any case
		{"", "q=" + urlq("garden 청소"), nil},                                                                 // no post has both
		{"", "q=" + urlq(`100% fun_`), []string{"Garden party"}},                                            // LIKE wildcards are literal
		{"", "q=" + urlq(`"food"`), nil},                                                                    // quotes are literal too
		{"", "q=" + urlq("바비큐") + "&filter=" + urlq(`board!=""`), nil},                                      // a filter cannot widen access
		// a filter narrows, as on the list API (until 2026-12-03 it was dropped)
		{testapp.Alice, "q=" + urlq("마당") + "&filter=" + urlq(`title ~ "회원"`), []string{"회원 모임"}},
		{testapp.Adam, "q=" + urlq("마당") + "&filter=" + urlq(`board != "`+testapp.ID(testapp.BoardMembers)+`"`), []string{"마당 청소 안내", "비밀 마당 계획", "숨은 마당"}},
		// any case of non-ASCII letters, short words (LIKE) as long ones (the index)
		{"", "q=" + urlq("éc"), []string{"ÉCOLE"}},
		{"", "q=" + urlq("Éc"), []string{"ÉCOLE"}},
		{"", "q=" + urlq("école"), []string{"ÉCOLE"}},
		{"", "q=" + urlq("бу"), []string{"ÉCOLE"}},
		{"", "q=" + urlq("БУХ"), []string{"ÉCOLE"}},
		{"", "q=" + urlq("ΣΟ"), []string{"σοφία"}},
		{"", "q=" + urlq("ςο"), []string{"σοφία"}},
		{"", "q=" + urlq("ΣΟΦ"), []string{"σοφία"}},
		{"", "q=" + urlq("Ǆu"), []string{"σοφία"}},
		{"", "q=" + urlq("ÉC éc"), []string{"ÉCOLE"}},
		{"", "q=" + urlq("éc ΣΟ"), nil},
	} {
		if got := titles(c.role, c.query); !slices.Equal(got, c.want) {
			t.Errorf("search %s as %s: %v, want %v", c.query, roleName(c.role), got, c.want)
		}
	}

	// the index follows edits and deletes
	garden, err := app.FindFirstRecordByData("posts", "title", "Garden party")
	if err != nil {
		t.Fatal(err)
	}
	testapp.Call(t, http.MethodPatch, base+postsURL+"/"+garden.Id, testapp.Token(testapp.Gina), map[string]string{"title": "Orchard party"})
	if got := titles("", "q=garden"); got != nil {
		t.Errorf("old title still found: %v", got)
	}
	if got := titles("", "q=orchard"); !slices.Equal(got, []string{"Orchard party"}) {
		t.Errorf("new title not found: %v", got)
	}
	testapp.Call(t, http.MethodDelete, base+postsURL+"/"+garden.Id, testapp.Token(testapp.Gina), nil)
	if got := titles("", "q=orchard"); got != nil {
		t.Errorf("deleted post still found: %v", got)
	}

	for _, c := range []struct {
		role, query string
		status      int
	}{
		{"", "", 400},
		{"", "q=" + strings.Repeat("a", 201), 400},
		{"", "q=abc&sort=" + urlq("@request.auth.id"), 403},
		{testapp.Ben, "q=abc", 401},
	} {
		if res := testapp.Call(t, http.MethodGet, base+"/api/posts/search?"+c.query, testapp.Token(c.role), nil); res.Status != c.status {
			t.Errorf("search %q as %s: %d, want %d", c.query, roleName(c.role), res.Status, c.status)
		}
	}
	// a control character is named (until 2026-12-03 a NUL in a word of 3+
	// characters got "Something went wrong…", and one in a shorter word
	// matched as if the word ended there)
	for q, char := range map[string]string{"abc\x00": "U+0000", "a\x00": "U+0000", "마당 \x1b[1m": "U+001B"} {
		res := testapp.Call(t, http.MethodGet, base+"/api/posts/search?q="+urlq(q), testapp.Token(testapp.Alice), nil)
		if want := "Remove the control character " + char + " from q."; res.Status != 400 || res.Body["message"] != want {
			t.Errorf("search %q: %d %s, want 400 %q", q, res.Status, res.Raw, want)
		}
	}
	// a q that shows nothing is no words (until 2026-12-04 a zero-width
	// space was searched, and found the texts holding one)
	for _, q := range []string{"\u200b", "\u2800", "\ufeff \u200d", "\u3000"} {
		res := testapp.Call(t, http.MethodGet, base+"/api/posts/search?q="+urlq(q), testapp.Token(testapp.Alice), nil)
		if want := "Give the words to search for in q (1–200 characters)."; res.Status != 400 || res.Body["message"] != want {
			t.Errorf("search %+q: %d %s, want 400 %q", q, res.Status, res.Raw, want)
		}
	}
	// a repeated word is searched once: a hundred of one short word were a
	// hundred LIKE scans of every post (probe p21)
	likes := 0
	var mu sync.Mutex
	stop := testapp.OnQuery(app.ConcurrentDB(), func(_ context.Context, _ time.Duration, text string, _ *sql.Rows, _ error) {
		mu.Lock()
		defer mu.Unlock()
		likes = max(likes, strings.Count(text, "%마당%"))
	})
	got := titles("", "q="+urlq(strings.Repeat("마당 ", 60)+"청소 청소"))
	stop()
	if !slices.Equal(got, []string{"마당 청소 안내"}) {
		t.Errorf("a repeated word found %v", got)
	}
	// under the lock: a background query (the checkpointer's look) that
	// took the watcher before stop may still be in it
	mu.Lock()
	defer mu.Unlock()
	if likes != 2 { // in the title or the content
		t.Errorf("a repeated short word made %d LIKE conditions, want 2", likes)
	}
}

// TestCommentsSearch: GET /api/comments/search finds the comments holding
// every word (short words by LIKE, longer ones through the comments'
// trigram index), among those the comments list shows the requester — a
// hidden comment to its author and admins only, a board's comments to
// who reads the board —, narrowed by board and post; the index follows
// edits and deletes; bad q and a dead token are refused as on posts.
func TestCommentsSearch(t *testing.T) {
	app, base := served(t)
	comment := func(board, author, content string, visible bool) string {
		return testapp.SaveRecord(t, app, "comments", map[string]any{"post": testapp.VisiblePost(board),
			"author": testapp.ID(author), "content": content, "is_visible": visible}).Id
	}
	cleaning := comment(testapp.BoardPublic, testapp.Alice, "마당 청소를 같이 해요", true)
	comment(testapp.BoardPublic, testapp.Bob, "Bring FOOD, 100% fun_time", true)
	comment(testapp.BoardPublic, testapp.Alice, "숨긴 마당 댓글", false)
	comment(testapp.BoardMembers, testapp.Bob, "회원 마당 후기", true)
	comment(testapp.BoardGranted, testapp.Gina, "비밀 마당 댓글", true)
	comment(testapp.BoardHidden, testapp.Gina, "숨은 게시판의 마당", true)
	contents := func(role, query string) []string {
		t.Helper()
		return searched(t, base+"/api/comments/search?"+query, "content", role)
	}
	for _, c := range []struct {
		role, query string
		want        []string
	}{
		{"", "q=" + urlq("청소를"), []string{"마당 청소를 같이 해요"}},                                                               // 3+ characters: the index
		{"", "q=" + urlq("마당"), []string{"마당 청소를 같이 해요"}},                                                                // 2 characters: LIKE
		{testapp.Alice, "q=" + urlq("마당"), []string{"마당 청소를 같이 해요", "숨긴 마당 댓글", "회원 마당 후기"}},                             // members board, her hidden comment
		{testapp.Bob, "q=" + urlq("마당"), []string{"마당 청소를 같이 해요", "회원 마당 후기"}},                                           // not alice's hidden one
		{testapp.Gina, "q=" + urlq("마당"), []string{"마당 청소를 같이 해요", "비밀 마당 댓글", "회원 마당 후기"}},                              // and granted
		{testapp.Adam, "q=" + urlq("마당"), []string{"마당 청소를 같이 해요", "비밀 마당 댓글", "숨긴 마당 댓글", "숨은 게시판의 마당", "회원 마당 후기"}},    // admins: all
		{testapp.Adam, "q=" + urlq("마당") + "&board=" + testapp.ID(testapp.BoardMembers), []string{"회원 마당 후기"}},           // one board
		{testapp.Adam, "q=" + urlq("마당 댓글") + "&post=" + testapp.VisiblePost(testapp.BoardPublic), []string{"숨긴 마당 댓글"}}, // one post
		{testapp.Gina, "q=" + urlq("마당") + "&post=" + testapp.VisiblePost(testapp.BoardMembers), []string{"회원 마당 후기"}},
		{"", "q=" + urlq("food bring"), []string{"Bring FOOD, 100% fun_time"}}, // every word, any case
		{"", "q=" + urlq("100% fun_"), []string{"Bring FOOD, 100% fun_time"}},  // LIKE wildcards are literal
		{"", "q=" + urlq("food 청소"), nil}, // no comment has both
		{"", "q=" + urlq("후기"), nil},      // the members board is not a guest's
		{testapp.Alice, "q=" + urlq("마당") + "&filter=" + urlq(`is_visible = false`), []string{"숨긴 마당 댓글"}}, // a filter narrows
		{"", "q=" + urlq("마당") + "&filter=" + urlq(`post.board != ""`), []string{"마당 청소를 같이 해요"}},          // and cannot widen
	} {
		if got := contents(c.role, c.query); !slices.Equal(got, c.want) {
			t.Errorf("search %s as %s: %v, want %v", c.query, roleName(c.role), got, c.want)
		}
	}

	// the index follows edits and deletes
	testapp.Call(t, http.MethodPatch, base+commentsURL+"/"+cleaning, testapp.Token(testapp.Alice), map[string]string{"content": "정원 가꾸기 모임"})
	if got := contents("", "q="+urlq("청소를")); got != nil {
		t.Errorf("old content still found: %v", got)
	}
	if got := contents("", "q="+urlq("가꾸기")); !slices.Equal(got, []string{"정원 가꾸기 모임"}) {
		t.Errorf("new content not found: %v", got)
	}
	testapp.Call(t, http.MethodDelete, base+commentsURL+"/"+cleaning, testapp.Token(testapp.Alice), nil)
	if got := contents("", "q="+urlq("가꾸기")); got != nil {
		t.Errorf("deleted comment still found: %v", got)
	}

	for _, c := range []struct {
		role, query string
		status      int
	}{
		{"", "", 400},
		{"", "q=" + strings.Repeat("a", 201), 400},
		{"", "q=abc&sort=" + urlq("@request.auth.id"), 403},
		{"", "q=abc&sort=author.name", 400},
		{testapp.Ben, "q=abc", 401},
	} {
		if res := testapp.Call(t, http.MethodGet, base+"/api/comments/search?"+c.query, testapp.Token(c.role), nil); res.Status != c.status {
			t.Errorf("search %q as %s: %d, want %d", c.query, roleName(c.role), res.Status, c.status)
		}
	}
	res := testapp.Call(t, http.MethodGet, base+"/api/comments/search?q="+urlq("마당 \x1b[1m"), testapp.Token(testapp.Alice), nil)
	if want := "Remove the control character U+001B from q."; res.Status != 400 || res.Body["message"] != want {
		t.Errorf("search with ESC: %d %s, want 400 %q", res.Status, res.Raw, want)
	}
	// a cut-off escape of a Korean letter: until 2026-12-07 "Give the words to search for…"
	for _, path := range []string{"/api/comments/search", "/api/posts/search"} {
		res = testapp.Call(t, http.MethodGet, base+path+"?q=%EB%A7%88%EB", testapp.Token(testapp.Alice), nil)
		if want := "The words in q are not valid UTF-8; percent-encode them from UTF-8."; res.Status != 400 || res.Body["message"] != want {
			t.Errorf("%s with invalid UTF-8: %d %s, want 400 %q", path, res.Status, res.Raw, want)
		}
	}
}

// TestSortsDoNotDropRecords: a sort orders a list, it does not filter it.
// Sorting posts or comments by a field of their author joins users under
// the users list rule, which would drop every record whose author the
// requester may not list under a 200; that sort is refused with a 400
// naming it (list, search), for everyone but superusers, while sorts on
// own fields and covered relations (board) keep every record.
func TestSortsDoNotDropRecords(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	count := func(path, role string) (int, testapp.Response) {
		r := testapp.Call(t, http.MethodGet, base+path, testapp.Token(role), nil)
		n, _ := r.Body["totalItems"].(float64)
		return int(n), r
	}
	for _, role := range []string{"", testapp.Alice, testapp.Adam} {
		all, r := count(postsURL+"?sort=-created", role)
		if r.Status != 200 || all == 0 {
			t.Fatalf("%q: posts: %d %s", role, r.Status, r.Raw)
		}
		for _, sort := range []string{"board.name", "-board.name,id", "title", "likes_count,-created"} {
			if n, r := count(postsURL+"?sort="+url.QueryEscape(sort), role); r.Status != 200 || n != all {
				t.Errorf("%q: sort=%s: %d, %d posts, want %d", role, sort, r.Status, n, all)
			}
		}
		for _, path := range []string{
			postsURL + "?sort=author.name",
			postsURL + "?sort=-created," + url.QueryEscape("author.created"),
			postsURL + "?sort=" + url.QueryEscape("board.name,-author.name"),
			"/api/collections/comments/records?sort=author.name",
			"/api/collections/comments/records?sort=" + url.QueryEscape("post.author.name"),
			"/api/posts/search?q=fixture&sort=author.name",
		} {
			r := testapp.Call(t, http.MethodGet, base+path, testapp.Token(role), nil)
			if r.Status != 400 || !strings.Contains(r.Raw, "sorts cannot follow") || !strings.Contains(r.Raw, "author") {
				t.Errorf("%q: %s: %d %s, want 400 naming the author", role, path, r.Status, r.Raw)
			}
		}
	}
	all, _ := count(postsURL+"?sort=-created", "root")
	if n, r := count(postsURL+"?sort=author.name", "root"); r.Status != 200 || n != all {
		t.Errorf("a superuser sorting by author.name: %d, %d posts, want %d", r.Status, n, all)
	}
}

// TestBadPagingIsNamed: a list's page, perPage or skipTotal that is not a
// number (or a bool), or a page past access.MaxPage, is a 400 naming the
// parameter, on PocketBase's list and on Madang's lists (search, feeds)
// alike; good values still work.
func TestBadPagingIsNamed(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	for _, path := range []string{postsURL + "?", "/api/posts/search?q=fixture&", "/api/feed/recent?"} {
		for _, c := range []struct{ query, want string }{
			{"page=abc", "page must be a whole number"},
			{"perPage=1.5", "perpage must be a whole number"},
			{"skipTotal=maybe", "skiptotal must be true or false"},
		} {
			r := testapp.Call(t, http.MethodGet, base+path+c.query, testapp.Token(testapp.Alice), nil)
			if r.Status != 400 || !strings.Contains(strings.ToLower(r.Raw), c.want) {
				t.Errorf("%s%s: %d %s, want 400 with %s", path, c.query, r.Status, r.Raw, c.want)
			}
		}
		if r := testapp.Call(t, http.MethodGet, base+path+"page=2&perPage=5&skipTotal=1", testapp.Token(testapp.Alice), nil); r.Status != 200 {
			t.Errorf("%s with good paging: %d %s", path, r.Status, r.Raw)
		}
	}
	// a page whose offset would wrap around (PocketBase answered it with
	// the first page, labelled as that page); the last page allowed is
	// simply empty
	for _, path := range []string{postsURL + "?", "/api/collections/comments/records?", "/api/posts/search?q=fixture&"} {
		r := testapp.Call(t, http.MethodGet, base+path+"page=9223372036854775807", testapp.Token(testapp.Alice), nil)
		if r.Status != 400 || r.Body["message"] != "Page must be at most 1000000000, not 9223372036854775807." {
			t.Errorf("%spage=9223372036854775807: %d %s, want 400 naming the page", path, r.Status, r.Raw)
		}
		r = testapp.Call(t, http.MethodGet, base+path+"page=1000000000&perPage=1000", testapp.Token(testapp.Alice), nil)
		if items, _ := r.Body["items"].([]any); r.Status != 200 || len(items) != 0 || r.Body["page"] != float64(1_000_000_000) {
			t.Errorf("%spage=1000000000: %d %.300s, want 200, that page, empty", path, r.Status, r.Raw)
		}
	}
}

// TestFiltersAndSortsPastTheLimitsAreNamed: a filter longer than
// PocketBase's 3,500 bytes, a sort of more than 8 fields or with a field
// name over 255 bytes is a 400 naming the parameter and the limit, on
// PocketBase's list and on search alike, for superusers too
// (PocketBase alone: "Something went wrong while processing your
// request."). Within the limits they still work.
func TestFiltersAndSortsPastTheLimitsAreNamed(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	long := url.QueryEscape(strings.Repeat(`title != "x" && `, 1250) + `title != "x"`) // 20,012 bytes
	many := url.QueryEscape(strings.TrimSuffix(strings.Repeat("created,", 2000), ","))
	for _, path := range []string{postsURL + "?", "/api/posts/search?q=fixture&"} {
		for _, who := range []string{testapp.Alice, "root"} {
			for _, c := range []struct{ query, want string }{
				{"filter=" + long, "Invalid filter: it is 20012 bytes long; at most 3500 are allowed."},
				{"sort=" + many, "Invalid sort: it names 2000 fields; sort by at most 8."},
				{"sort=" + strings.Repeat("a", 300), "Invalid sort: a field name of 300 bytes; at most 255 are allowed."},
			} {
				r := testapp.Call(t, http.MethodGet, base+path+c.query, testapp.Token(who), nil)
				if r.Status != 400 || r.Body["message"] != c.want {
					t.Errorf("%s: %.80s: %d %s, want 400 %q", who, path+c.query, r.Status, r.Raw, c.want)
				}
			}
		}
		ok := "filter=" + url.QueryEscape(`title != "x"`) + "&sort=" + url.QueryEscape("-created,id,title,created,id,title,created,id")
		if r := testapp.Call(t, http.MethodGet, base+path+ok, testapp.Token(testapp.Alice), nil); r.Status != 200 {
			t.Errorf("%s within the limits: %d %s", path+ok, r.Status, r.Raw)
		}
	}
}
