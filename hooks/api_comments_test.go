package hooks_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

// canReadPost: the fixture posts are gina's, so she also reads the hidden ones.
func canReadPost(role, board string, hiddenPost bool) bool {
	return canReadBoard(role, board) && (!hiddenPost || seesHidden(role))
}

func TestCommentsListAndView(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		for _, b := range testapp.Boards {
			// comments of the visible post, then of the hidden one
			var onVisible, onHidden []string
			if canReadPost(role, b, false) {
				onVisible = append(onVisible, testapp.VisibleComment(b), testapp.Reply(b))
				if seesHidden(role) {
					onVisible = append(onVisible, testapp.HiddenComment(b))
				}
			}
			if canReadPost(role, b, true) {
				onHidden = append(onHidden, testapp.CommentOnHidden(b))
			}
			for _, l := range []struct {
				post string
				want []string
			}{{testapp.VisiblePost(b), onVisible}, {testapp.HiddenPost(b), onHidden}} {
				c := call{
					name: "list comments of " + l.post + " as " + roleName(role), role: role, method: http.MethodGet,
					url:    commentsURL + "?perPage=100&filter=" + urlq(`post="`+l.post+`"`),
					status: 200, content: []string{`"items":`}, check: expectItems(l.want),
				}
				if role == testapp.Ben {
					c = call{name: c.name, role: role, method: c.method, url: c.url, status: 401}
				}
				calls = append(calls, c)
			}
			for _, v := range []struct {
				id      string
				visible bool
			}{
				{testapp.VisibleComment(b), canReadPost(role, b, false)},
				{testapp.HiddenComment(b), canReadPost(role, b, false) && seesHidden(role)},
				{testapp.CommentOnHidden(b), canReadPost(role, b, true)},
			} {
				c := call{
					name: "view comment " + v.id + " as " + roleName(role), role: role, method: http.MethodGet,
					url: commentsURL + "/" + v.id, status: refusal(role, 404),
				}
				if v.visible {
					c.status, c.content = 200, []string{`"id":"` + v.id + `"`}
				}
				calls = append(calls, c)
			}
		}
	}
	runCalls(t, calls)
}

func TestCommentsCreateMatrix(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		for _, b := range testapp.Boards {
			for _, hidden := range []bool{false, true} {
				post, kind := testapp.VisiblePost(b), "visible"
				if hidden {
					post, kind = testapp.HiddenPost(b), "hidden"
				}
				c := call{
					name: "comment on the " + kind + " post of " + b + " as " + roleName(role), role: role,
					method: http.MethodPost, url: commentsURL,
					body:   `{"post":"` + post + `","content":"댓글입니다"}`,
					status: refusal(role, 400),
				}
				if role != "" && canReadPost(role, b, hidden) {
					author := ""
					if role != "root" {
						author = testapp.ID(role)
					}
					c.status = 200
					c.content = []string{`"author":"` + author + `"`, `"is_visible":true`}
					// and the notification of gina, the post's author, where she can read it
					c.check = both(expectCommentsCount(post, map[bool]int{false: 3, true: 2}[hidden]),
						expectNotice(testapp.Gina, "comment", role != testapp.Gina && canReadPost(testapp.Gina, b, hidden)))
				}
				calls = append(calls, c)
			}
		}
	}
	runCalls(t, calls)
}

func TestCommentsUpdateAndDeleteMatrix(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		for _, b := range testapp.Boards {
			id, post := testapp.VisibleComment(b), testapp.VisiblePost(b)
			update := call{
				name: "update gina's comment on " + b + " as " + roleName(role), role: role, method: http.MethodPatch,
				url: commentsURL + "/" + id, body: `{"content":"고친 댓글"}`, status: refusal(role, 404),
			}
			del := call{
				name: "delete gina's comment on " + b + " as " + roleName(role), role: role, method: http.MethodDelete,
				url: commentsURL + "/" + id, status: refusal(role, 404),
			}
			if moderates(role, b) {
				update.status, update.content = 200, []string{`"content":"고친 댓글"`}
			}
			// the writer deletes their own comment wherever it is, on a board
			// hidden since too (1795900894); they no longer edit it there
			if moderates(role, b) || role == testapp.Gina {
				del.status = 204
				// the comment and its reply
				del.events = testapp.DeleteEvents(2)
				del.check = expectCommentsCount(post, 0)
			}
			if role != testapp.Gina && moderates(role, b) { // a moderator's: and the log line
				update.events = testapp.Events{Request: "Update", Updated: 1, Created: 1, Enriched: 1}.Map()
				update.check = expectLogged("edit", id)
				del.events = testapp.Events{Request: "Delete", Deleted: 2, Created: 1}.Map()
				del.check = both(expectCommentsCount(post, 0), expectLogged("delete", id))
			}
			calls = append(calls, update, del)
		}
	}
	runCalls(t, calls)
}

func TestCommentsFields(t *testing.T) {
	pub := testapp.BoardPublic
	post, comment, reply := testapp.VisiblePost(pub), testapp.VisibleComment(pub), testapp.Reply(pub)
	calls := []call{
		{
			name: "a reply to a top-level comment", role: testapp.Alice, method: http.MethodPost, url: commentsURL,
			body:   `{"post":"` + post + `","parent":"` + comment + `","content":"답글"}`,
			status: 200, content: []string{`"parent":"` + comment + `"`},
			check: both(expectCommentsCount(post, 3), expectNotice(testapp.Gina, "reply", true)),
		},
		{
			name: "author and is_file_attached sent by the client are ignored", role: testapp.Alice, method: http.MethodPost,
			url:    commentsURL,
			body:   `{"post":"` + post + `","content":"c","author":"` + testapp.ID(testapp.Bob) + `","is_file_attached":true}`,
			status: 200, content: []string{`"author":"` + testapp.ID(testapp.Alice) + `"`, `"is_file_attached":false`},
			check: expectNotice(testapp.Gina, "comment", true),
		},
		{
			name: "superuser comments on behalf of a user", role: "root", method: http.MethodPost, url: commentsURL,
			body:   `{"post":"` + post + `","content":"c","author":"` + testapp.ID(testapp.Bob) + `"}`,
			status: 200, content: []string{`"author":"` + testapp.ID(testapp.Bob) + `"`},
			check: expectNotice(testapp.Gina, "comment", true),
		},
		{
			name: "a comment created hidden is not counted", role: testapp.Alice, method: http.MethodPost, url: commentsURL,
			body:   `{"post":"` + post + `","content":"c","is_visible":false}`,
			status: 200, check: expectCommentsCount(post, 2),
		},
		{
			name: "admin hides a comment: it leaves comments_count", role: testapp.Adam, method: http.MethodPatch,
			url: commentsURL + "/" + comment, body: `{"is_visible":false}`, status: 200,
			check:  expectCommentsCount(post, 1),
			events: moderated(),
		},
		{
			name: "admin unhides a comment: it counts again", role: testapp.Adam, method: http.MethodPatch,
			url: commentsURL + "/" + testapp.HiddenComment(pub), body: `{"is_visible":true}`, status: 200,
			check:  expectCommentsCount(post, 3),
			events: moderated(),
		},
		{
			name: "the author cannot unhide a hidden comment: only admins undo a hide", role: testapp.Gina,
			method: http.MethodPatch, url: commentsURL + "/" + testapp.HiddenComment(pub),
			body: `{"is_visible":true}`, status: 404, check: expectCommentsCount(post, 2),
		},
		{
			name: "the author edits a hidden comment", role: testapp.Gina, method: http.MethodPatch,
			url: commentsURL + "/" + testapp.HiddenComment(pub), body: `{"content":"고침","is_visible":false}`,
			status: 200, content: []string{`"content":"고침"`, `"is_visible":false`}, check: expectCommentsCount(post, 2),
		},
		{
			name: "the author hides a comment", role: testapp.Gina, method: http.MethodPatch,
			url: commentsURL + "/" + reply, body: `{"is_visible":false}`, status: 200,
			check: expectCommentsCount(post, 1),
		},
		{
			name: "deleting a hidden comment leaves comments_count", role: testapp.Gina, method: http.MethodDelete,
			url: commentsURL + "/" + testapp.HiddenComment(pub), status: 204,
			check: expectCommentsCount(post, 2),
		},
		{
			name: "the author cannot be reassigned", role: testapp.Adam, method: http.MethodPatch,
			url: commentsURL + "/" + comment, body: `{"author":"` + testapp.ID(testapp.Adam) + `","content":"x"}`,
			status: 200, content: []string{`"author":"` + testapp.ID(testapp.Gina) + `"`},
			events: testapp.Events{Request: "Update", Updated: 1, Created: 1, Enriched: 1}.Map(), // and the log line (edit)
		},
	}
	for _, bad := range []struct{ what, role, method, url, body, field string }{
		{"reply to a comment of another post", testapp.Alice, http.MethodPost, commentsURL,
			`{"post":"` + post + `","parent":"` + testapp.VisibleComment(testapp.BoardMembers) + `","content":"c"}`, "parent"},
		{"reply to a reply", testapp.Alice, http.MethodPost, commentsURL,
			`{"post":"` + post + `","parent":"` + reply + `","content":"c"}`, "parent"},
		{"reply to a missing comment", testapp.Alice, http.MethodPost, commentsURL,
			`{"post":"` + post + `","parent":"nosuchcomment00","content":"c"}`, "parent"},
		{"empty content", testapp.Alice, http.MethodPost, commentsURL, `{"post":"` + post + `","content":""}`, "content"},
		{"content too long", testapp.Alice, http.MethodPost, commentsURL,
			`{"post":"` + post + `","content":"` + strings.Repeat("가", 2001) + `"}`, "content"},
		{"moving a comment to another post", testapp.Gina, http.MethodPatch, commentsURL + "/" + comment,
			`{"post":"` + testapp.HiddenPost(pub) + `"}`, "post"},
		{"moving a reply to another parent", testapp.Adam, http.MethodPatch, commentsURL + "/" + reply,
			`{"parent":"` + testapp.HiddenComment(pub) + `"}`, "parent"},
		{"turning a reply into a top-level comment", "root", http.MethodPatch, commentsURL + "/" + reply,
			`{"parent":""}`, "parent"},
	} {
		calls = append(calls, call{
			name: bad.what + " is refused", role: bad.role, method: bad.method, url: bad.url, body: bad.body,
			status: 400, content: []string{`"` + bad.field + `":{"code":`},
		})
	}
	calls = append(calls,
		call{name: "commenting on a missing post is refused", role: testapp.Alice, method: http.MethodPost, url: commentsURL,
			body: `{"post":"nosuchpost00000","content":"c"}`, status: 400},
		call{name: "2,000 characters are fine", role: testapp.Alice, method: http.MethodPost, url: commentsURL,
			body: `{"post":"` + post + `","content":"` + strings.Repeat("가", 2000) + `"}`, status: 200,
			check: expectNotice(testapp.Gina, "comment", true)},
	)
	runCalls(t, calls)
}

func TestCommentsAttachments(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	post := testapp.VisiblePost(testapp.BoardMembers)

	res := upload(t, http.MethodPost, base+commentsURL, testapp.Token(testapp.Alice),
		map[string]string{"post": post, "content": "사진"}, "attachments", 5, 10)
	if res.Status != 200 || res.Body["is_file_attached"] != true {
		t.Fatalf("upload: %d %s", res.Status, res.Raw)
	}
	fileURL := base + "/api/files/comments/" + res.Body["id"].(string) + "/" + res.Body["attachments"].([]any)[0].(string)
	token := func(role string) string {
		return testapp.Call(t, http.MethodPost, base+"/api/files/token", testapp.Token(role), nil).Body["token"].(string)
	}
	if r := testapp.Call(t, http.MethodGet, fileURL+"?token="+token(testapp.Bob), "", nil); r.Status != 200 {
		t.Errorf("download with a reader's token: %d", r.Status)
	}
	if r := testapp.Call(t, http.MethodGet, fileURL, "", nil); r.Status != 404 {
		t.Errorf("download without a token: %d", r.Status)
	}

	// on a public board guests read the comment, not its files
	res = upload(t, http.MethodPost, base+commentsURL, testapp.Token(testapp.Alice),
		map[string]string{"post": testapp.VisiblePost(testapp.BoardPublic), "content": "공개"}, "attachments", 1, 10)
	public := res.Body["id"].(string)
	publicFile := base + "/api/files/comments/" + public + "/" + res.Body["attachments"].([]any)[0].(string)
	if r := testapp.Call(t, http.MethodGet, publicFile, "", nil); r.Status != 404 {
		t.Errorf("public board, download by a guest: %d, want 404", r.Status)
	}
	if r := testapp.Call(t, http.MethodGet, publicFile+"?token="+token(testapp.Bob), "", nil); r.Status != 200 {
		t.Errorf("public board, download with a member's token: %d, want 200", r.Status)
	}
	if r := testapp.Call(t, http.MethodGet, base+commentsURL+"/"+public, "", nil); r.Status != 200 {
		t.Errorf("a guest viewing the public comment: %d %s", r.Status, r.Raw)
	}

	before := testapp.TakeSnapshot(t, app, contentTables...)
	for _, c := range []struct {
		what        string
		files, size int
	}{{"6 files", 6, 10}, {"a file over 10 MB", 1, 10<<20 + 1}} {
		r := upload(t, http.MethodPost, base+commentsURL, testapp.Token(testapp.Alice),
			map[string]string{"post": post, "content": "c"}, "attachments", c.files, c.size)
		if r.Status != 400 || !strings.Contains(r.Raw, `"attachments":{"code":`) {
			t.Errorf("%s: %d %s", c.what, r.Status, r.Raw)
		}
	}
	before.AssertUnchanged(t, app)
}

// expectCommentsCount checks a post's comments_count (the recount is
// testapp.AssertCounts' job, run after every write).
func expectCommentsCount(post string, want int) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, app *tests.TestApp, _ []byte) {
		t.Helper()
		r, err := app.FindRecordById("posts", post)
		if err != nil {
			t.Fatal(err)
		}
		visible, _ := app.CountRecords("comments", dbx.HashExp{"post": post, "is_visible": true})
		if got := r.GetInt("comments_count"); got != want || int(visible) != want {
			t.Errorf("post %s: comments_count %d, %d visible rows; want %d", post, got, visible, want)
		}
	}
}

// moderated are the events of a moderator hiding or showing again someone's
// content: the update and a moderation log line (the author's notification
// is written with SQL in the same transaction: community's tests).
func moderated() map[string]int {
	return testapp.Events{Request: "Update", Updated: 1, Created: 1, Enriched: 1}.Map()
}

// expectNotice checks that the comment just created (the response body)
// made a notification of kind for user, or none when want is false. The
// notice is written with SQL in the comment's transaction, so no record
// event counts it.
func expectNotice(user, kind string, want bool) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, app *tests.TestApp, body []byte) {
		t.Helper()
		var created struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
			t.Fatalf("no created comment in %s", body)
		}
		var n int
		err := app.DB().Select("COUNT(*)").From("notifications").
			Where(dbx.HashExp{"comment": created.ID, "user": testapp.ID(user), "kind": kind}).Row(&n)
		if err != nil {
			t.Fatal(err)
		}
		if got := n == 1; got != want || n > 1 {
			t.Errorf("%s's %s notifications of comment %s: %d, want one: %v", user, kind, created.ID, n, want)
		}
	}
}

// both runs two checks.
func both(a, b func(testing.TB, *tests.TestApp, []byte)) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, app *tests.TestApp, body []byte) {
		t.Helper()
		a(t, app, body)
		b(t, app, body)
	}
}

// TestRepliesNeedAReadableParent: a reply answers a comment the requester
// can read. A comment hidden by a moderator takes replies from its author
// and admins only; to anyone else it, and a comment of a board they cannot
// read, answer exactly as a missing comment does (400 naming parent, the
// same body), and nothing is stored or notified. Until 2026-12-03 any
// member replied under a hidden comment, notifying its author, and the
// other board's comment answered parent_other_post.
func TestRepliesNeedAReadableParent(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	post, hidden := testapp.VisiblePost(testapp.BoardPublic), testapp.HiddenComment(testapp.BoardPublic)
	reply := func(who, parent, content string) testapp.Response {
		return testapp.Call(t, http.MethodPost, base+commentsURL, testapp.Token(who),
			map[string]any{"post": post, "parent": parent, "content": content})
	}
	for _, content := range []string{"답글", ""} { // alone, and beside another field's error
		missing := reply(testapp.Alice, "nosuchcomment00", content)
		if code, _ := digJSON(missing.Body, "data", "parent", "code"); missing.Status != 400 || code != "validation_missing_rel_records" {
			t.Fatalf("a reply to a missing comment: %d %s", missing.Status, missing.Raw)
		}
		for _, c := range []struct{ who, parent string }{
			{testapp.Alice, hidden},
			{testapp.Bob, hidden},
			{testapp.Alice, testapp.VisibleComment(testapp.BoardGranted)}, // alice is not granted
			{testapp.Ben, hidden}, // banned: 401 before anything
		} {
			snap := testapp.TakeSnapshot(t, app, "comments", "notifications", "posts")
			r := reply(c.who, c.parent, content)
			if c.who == testapp.Ben {
				if r.Status != 401 {
					t.Errorf("ben replies to %s: %d %s", c.parent, r.Status, r.Raw)
				}
			} else if r.Status != missing.Status || r.Raw != missing.Raw {
				t.Errorf("%s replies %q to %s: %d %s, want the missing comment's answer %s", c.who, content, c.parent, r.Status, r.Raw, missing.Raw)
			}
			snap.AssertUnchanged(t, app)
		}
	}
	// a readable comment of another post still says why
	r := reply(testapp.Alice, testapp.VisibleComment(testapp.BoardMembers), "답글")
	if code, _ := digJSON(r.Body, "data", "parent", "code"); r.Status != 400 || code != "parent_other_post" {
		t.Errorf("a reply to a readable comment of another post: %d %s", r.Status, r.Raw)
	}
	for _, who := range []string{testapp.Gina, testapp.Adam, "root"} { // its author, an admin, a superuser
		r := reply(who, hidden, "답글 by "+who)
		if r.Status != 200 || r.Body["parent"] != hidden {
			t.Fatalf("%s replies to the hidden comment: %d %s", who, r.Status, r.Raw)
		}
		if _, err := app.FindRecordById("comments", r.Body["id"].(string)); err != nil {
			t.Fatalf("%s's reply is not stored: %v", who, err)
		}
	}
}
