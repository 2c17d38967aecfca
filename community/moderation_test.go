package community_test

import (
	"fmt"
	"maps"
	"net/http"
	neturl "net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/community"
	"madang/internal/testapp"
)

// TestReports: members report what they can read, once while it is open;
// reporters see only their own reports, admins all; nobody edits or
// deletes them through the API; an admin resolves one with hide in one
// call — the content is hidden, every open report of it actioned, the log
// written, and the author and reporters notified.
func TestReports(t *testing.T) {
	app, base := server(t)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), gina, "spam here")
	body := map[string]any{"target_kind": "post", "post": post.Id, "reason": "spam", "text": "ads"}

	mustCall(t, base, http.MethodPost, "/api/collections/reports/records", "", body, 400)
	mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Ben, body, 401) // banned
	r1 := mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Alice, body, 200)
	if r1.Body["reporter"] != alice || r1.Body["status"] != community.ReportOpen {
		t.Fatalf("alice's report: %s", r1.Raw)
	}
	snap := testapp.TakeSnapshot(t, app, "reports")
	for _, bad := range []map[string]any{
		body, // the same open report again
		{"target_kind": "post", "post": testapp.HiddenPost(testapp.BoardPublic), "reason": "spam"}, // cannot read it
		{"target_kind": "post", "post": post.Id, "comment": testapp.VisibleComment(testapp.BoardPublic), "reason": "spam"},
		{"target_kind": "user", "user": alice, "reason": "abuse"}, // herself
		{"target_kind": "post", "post": post.Id, "reason": "boring"},
	} {
		if r := call(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Alice, bad); r.Status != 400 {
			t.Errorf("report %v: %d %s, want 400", bad, r.Status, r.Raw)
		}
	}
	snap.AssertUnchanged(t, app)
	r2 := mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Bob,
		map[string]any{"target_kind": "post", "post": post.Id, "reason": "abuse", "status": "actioned", "reporter": alice}, 200)
	if r2.Body["reporter"] != bob || r2.Body["status"] != community.ReportOpen {
		t.Fatalf("server-set fields taken from the client: %s", r2.Raw)
	}

	// who sees which
	for who, want := range map[string][]string{
		testapp.Alice: {r1.Body["id"].(string)}, testapp.Bob: {r2.Body["id"].(string)},
		testapp.Gina: {}, "": {}, testapp.Adam: {r1.Body["id"].(string), r2.Body["id"].(string)},
	} {
		r := call(t, base, http.MethodGet, "/api/collections/reports/records?sort=created", who, nil)
		got := ids(items(r))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("reports listed by %q: %v, want %v", who, got, want)
		}
	}
	snap = testapp.TakeSnapshot(t, app, "reports")
	for _, who := range []string{testapp.Alice, testapp.Adam} {
		if r := call(t, base, http.MethodPatch, "/api/collections/reports/records/"+r1.Body["id"].(string), who, map[string]any{"status": "dismissed"}); r.Status == 200 {
			t.Errorf("%s edited a report through the records API", who)
		}
		if r := call(t, base, http.MethodDelete, "/api/collections/reports/records/"+r1.Body["id"].(string), who, nil); r.Status == 204 {
			t.Errorf("%s deleted a report through the records API", who)
		}
	}
	for _, who := range []string{"", testapp.Alice, testapp.Gina} {
		if r := call(t, base, http.MethodPost, "/api/reports/"+r1.Body["id"].(string)+"/resolve", who, map[string]any{"action": "hide"}); r.Status != 401 && r.Status != 403 {
			t.Errorf("%q resolving: %d", who, r.Status)
		}
		if r := call(t, base, http.MethodGet, "/api/reports/queue", who, nil); r.Status != 401 && r.Status != 403 {
			t.Errorf("%q reading the queue: %d", who, r.Status)
		}
	}
	for _, body := range []map[string]any{{"action": "delete"}, {"action": "dismiss", "reason": strings.Repeat("x", 1001)},
		{"action": "dismiss", "reason": "a\x1b[31m"}} {
		// the message says what to fix (until 2026-12-04 PocketBase's "Something went wrong")
		r := mustCall(t, base, http.MethodPost, "/api/reports/"+r1.Body["id"].(string)+"/resolve", testapp.Adam, body, 400)
		if message, _ := r.Body["message"].(string); strings.Contains(message, "Something went wrong") || message == "" {
			t.Errorf("resolve with %q: message %q", body, message)
		}
	}
	snap.AssertUnchanged(t, app)

	for _, bad := range []string{"page=abc", "perPage=1.5", "page=1&perPage=ten"} {
		r := mustCall(t, base, http.MethodGet, "/api/reports/queue?"+bad, testapp.Adam, nil, 400)
		param := strings.SplitN(bad[strings.LastIndex(bad, "&")+1:], "=", 2)[0]
		if !strings.Contains(strings.ToLower(r.Raw), strings.ToLower(param)+" must be a whole number") {
			t.Errorf("queue?%s: %s, want a message naming %s", bad, r.Raw, param)
		}
	}
	q := mustCall(t, base, http.MethodGet, "/api/reports/queue", testapp.Adam, nil, 200)
	if it := items(q); len(it) != 1 || it[0].(map[string]any)["reports"] != 2.0 || it[0].(map[string]any)["target_id"] != post.Id {
		t.Fatalf("the queue: %s", q.Raw)
	}

	res := mustCall(t, base, http.MethodPost, "/api/reports/"+r1.Body["id"].(string)+"/resolve", testapp.Adam,
		map[string]any{"action": "hide", "reason": "advertising"}, 200)
	if res.Body["status"] != community.ReportActioned || res.Body["resolved_by"] != adam {
		t.Fatalf("resolved report: %s", res.Raw)
	}
	stored, _ := app.FindRecordById("posts", post.Id)
	other, _ := app.FindRecordById("reports", r2.Body["id"].(string))
	if stored.GetBool("is_visible") || other.GetString("status") != community.ReportActioned {
		t.Fatalf("after resolve: post visible %v, other report %s", stored.GetBool("is_visible"), other.GetString("status"))
	}
	lines, _ := app.FindRecordsByFilter("moderation_log", "target_id = {:id}", "created", 0, 0, dbx.Params{"id": post.Id})
	actions := []string{}
	for _, l := range lines {
		actions = append(actions, l.GetString("action"))
		if l.GetString("actor") != adam {
			t.Errorf("log line %s by %q, want adam", l.GetString("action"), l.GetString("actor"))
		}
	}
	if !slices.Equal(actions, []string{community.ActionHide, community.ActionReportResolve}) {
		t.Fatalf("log of the post: %v", actions)
	}
	if n := notificationsOf(t, app, gina); len(n) != 1 || n[0].GetString("kind") != community.KindModeration {
		t.Fatalf("the author's notifications: %v", n)
	}
	for _, reporter := range []string{alice, bob} {
		if n := notificationsOf(t, app, reporter); len(n) != 1 || n[0].GetString("kind") != community.KindModeration {
			t.Fatalf("reporter %s's notifications: %v", reporter, n)
		}
	}
	if q := mustCall(t, base, http.MethodGet, "/api/reports/queue", testapp.Adam, nil, 200); len(items(q)) != 0 {
		t.Fatalf("the queue after resolving: %s", q.Raw)
	}
	mustCall(t, base, http.MethodPost, "/api/reports/"+r1.Body["id"].(string)+"/resolve", testapp.Adam, map[string]any{"action": "dismiss"}, 400)
}

// TestReportTargetErrors: a report without a target_kind, or with one
// that is none of post, comment, chat and user, or without the target its
// kind names, is a 400 naming that field, with a message saying what to
// send; nothing is stored.
func TestReportTargetErrors(t *testing.T) {
	app, base := server(t)
	post := testapp.VisiblePost(testapp.BoardPublic)
	snap := testapp.TakeSnapshot(t, app, "reports", "posts")
	for _, c := range []struct {
		body               map[string]any
		field, code, words string
	}{
		{map[string]any{"post": post, "reason": "spam"}, "target_kind", "validation_required", "target_kind is post, comment, chat or user"},
		{map[string]any{"target_kind": "board", "post": post, "reason": "spam"}, "target_kind", "validation_invalid_value", `not "board"`},
		{map[string]any{"target_kind": "post", "reason": "spam"}, "post", "validation_required", "Name the post you report"},
		{map[string]any{"target_kind": "user", "user": bob, "post": post, "reason": "spam"}, "post", "validation_other_target", "leave post empty"},
	} {
		r := mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Alice, c.body, 400)
		data, _ := r.Body["data"].(map[string]any)
		field, _ := data[c.field].(map[string]any)
		if len(data) != 1 || field["code"] != c.code || !strings.Contains(r.Body["message"].(string), c.words) {
			t.Errorf("report %v: %s, want data.%s.code %s and a message saying %q", c.body, r.Raw, c.field, c.code, c.words)
		}
	}
	snap.AssertUnchanged(t, app)
}

// TestReportsOutliveTheirTargets: reports are evidence. Deleting the
// reported post, comment, message or user, or the reporter's account,
// keeps the reports (target_id still names what they were about); the
// queue shows such a target as deleted, and the resolve route dismisses
// its reports, all of them at once, and refuses to hide or ban.
func TestReportsOutliveTheirTargets(t *testing.T) {
	app, base := server(t)
	pub := testapp.ID(testapp.BoardPublic)
	members, tokens := testapp.CreateMembers(t, app, "wit", 2)
	reporter, reported := members[0], members[1]
	post := testapp.CreatePost(t, app, pub, alice, "to delete")
	other := testapp.CreatePost(t, app, pub, alice, "to delete too")
	comment := testapp.CreateComment(t, app, testapp.VisiblePost(testapp.BoardPublic), gina, "")
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "pair", "kind": "group", "owner": gina, "members": []string{bob}})
	message := testapp.SaveRecord(t, app, "chats", map[string]any{"session": session.Id, "author": gina, "content": "rude", "is_visible": true})
	reports := "/api/collections/reports/records"
	report := func(tok, kind, id string) string {
		t.Helper()
		r := testapp.Call(t, http.MethodPost, base+reports, tok, map[string]any{"target_kind": kind, kind: id, "reason": "spam"})
		if r.Status != 200 {
			t.Fatalf("report of %s %s: %d %s", kind, id, r.Status, r.Raw)
		}
		return r.Body["id"].(string)
	}
	bobs := testapp.Token(testapp.Bob)
	ofPost := report(bobs, "post", post.Id)
	report(tokens[0], "post", post.Id)
	report(bobs, "post", other.Id)
	ofComment := report(bobs, "comment", comment.Id)
	report(bobs, "chat", message.Id)
	ofUser := report(bobs, "user", reported.Id)
	report(tokens[0], "user", reported.Id)

	// bob's two open post reports lose their post: they stay apart
	mustCall(t, base, http.MethodDelete, "/api/collections/posts/records/"+post.Id, testapp.Alice, nil, 204)
	mustCall(t, base, http.MethodDelete, "/api/collections/posts/records/"+other.Id, testapp.Alice, nil, 204)
	mustCall(t, base, http.MethodDelete, "/api/collections/comments/records/"+comment.Id, testapp.Gina, nil, 204)
	if err := app.Delete(message); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*core.Record{reported, reporter} {
		if r := testapp.Call(t, http.MethodDelete, base+"/api/collections/users/records/"+u.Id, testapp.Token(testapp.Adam), nil); r.Status != 404 {
			t.Fatalf("an admin deleted an account: %d", r.Status)
		}
	}
	for i, u := range []*core.Record{reported, reporter} {
		if r := testapp.Call(t, http.MethodDelete, base+"/api/collections/users/records/"+u.Id, tokens[1-i], nil); r.Status != 204 {
			t.Fatalf("deleting %s: %d %s", u.Id, r.Status, r.Raw)
		}
	}
	all, err := app.FindAllRecords("reports")
	if err != nil {
		t.Fatal(err)
	}
	byTarget := map[string]int{}
	for _, r := range all {
		byTarget[r.GetString("target_kind")+" "+r.GetString("target_id")]++
		if r.GetString("status") != community.ReportOpen || r.GetString(r.GetString("target_kind")) != "" {
			t.Errorf("report %s: status %q, %s %q", r.Id, r.GetString("status"), r.GetString("target_kind"), r.GetString(r.GetString("target_kind")))
		}
	}
	want := map[string]int{"post " + post.Id: 2, "post " + other.Id: 1, "comment " + comment.Id: 1, "chat " + message.Id: 1, "user " + reported.Id: 2}
	if len(all) != 7 || !maps.Equal(byTarget, want) {
		t.Fatalf("reports after the deletes: %v, want %v", byTarget, want)
	}
	if r := mustCall(t, base, http.MethodGet, reports, testapp.Bob, nil, 200); r.Body["totalItems"] != 5.0 {
		t.Errorf("bob lists %v reports, want his five: %s", r.Body["totalItems"], r.Raw)
	}

	q := mustCall(t, base, http.MethodGet, "/api/reports/queue", testapp.Adam, nil, 200)
	var got []string
	for _, it := range items(q) {
		m := it.(map[string]any)
		got = append(got, fmt.Sprint(m["target_kind"], " ", m["target_id"], " ", m["reports"], " ", m["reporters"], " ", m["from_ai"], " ", m["deleted"]))
	}
	slices.Sort(got)
	wantQueue := []string{"chat " + message.Id + " 1 1 false true", "comment " + comment.Id + " 1 1 false true",
		"post " + other.Id + " 1 1 false true", "post " + post.Id + " 2 1 false true", "user " + reported.Id + " 2 1 false true"}
	slices.Sort(wantQueue)
	if !slices.Equal(got, wantQueue) {
		t.Fatalf("queue %v\nwant %v", got, wantQueue)
	}

	snap := testapp.TakeSnapshot(t, app, "reports", "moderation_log", "notifications")
	for id, action := range map[string]string{ofPost: "hide", ofComment: "ban", ofUser: "ban"} {
		r := mustCall(t, base, http.MethodPost, "/api/reports/"+id+"/resolve", testapp.Adam, map[string]any{"action": action}, 400)
		if !strings.Contains(r.Raw, "no longer exists; dismiss the report") {
			t.Errorf("%s of a deleted target: %s", action, r.Raw)
		}
	}
	snap.AssertUnchanged(t, app)
	mustCall(t, base, http.MethodPost, "/api/reports/"+ofPost+"/resolve", testapp.Adam, map[string]any{"action": "dismiss", "reason": "gone"}, 200)
	if n, _ := app.CountRecords("reports", dbx.HashExp{"target_id": post.Id, "status": community.ReportDismissed}); n != 2 {
		t.Fatalf("%d of the deleted post's 2 reports dismissed", n)
	}
	lines, _ := app.FindRecordsByFilter("moderation_log", "target_id = {:id}", "", 0, 0, dbx.Params{"id": post.Id})
	if len(lines) != 1 || lines[0].GetString("action") != community.ActionReportResolve || lines[0].GetString("target_kind") != "post" {
		t.Fatalf("log of the dismissal: %v", lines)
	}
	if n := notificationsOf(t, app, bob); len(n) == 0 || n[0].GetString("kind") != community.KindModeration || n[0].GetString("text") != "Your report was dismissed." {
		t.Fatalf("bob's notices: %v", n)
	}
}

// TestSuperuserReportsNameAReporter: a superuser files a report on a
// member's behalf, naming them, under the one-open-report limit; a report
// of nobody would read as the moderation assist's, and is refused.
func TestSuperuserReportsNameAReporter(t *testing.T) {
	app, base := server(t)
	list := "/api/collections/reports/records"
	ofBob := map[string]any{"target_kind": "user", "user": bob, "reason": "spam"}
	snap := testapp.TakeSnapshot(t, app, "reports")
	r := mustCall(t, base, http.MethodPost, list, "root", ofBob, 400)
	if code, _ := r.Body["data"].(map[string]any)["reporter"].(map[string]any)["code"].(string); code != "validation_required" {
		t.Fatalf("a superuser's report of nobody: %s", r.Raw)
	}
	snap.AssertUnchanged(t, app)
	ofBob["reporter"] = alice
	mustCall(t, base, http.MethodPost, list, "root", ofBob, 200)
	snap = testapp.TakeSnapshot(t, app, "reports")
	mustCall(t, base, http.MethodPost, list, "root", ofBob, 400)
	mustCall(t, base, http.MethodPost, list, testapp.Alice, ofBob, 400)
	snap.AssertUnchanged(t, app)
	q := mustCall(t, base, http.MethodGet, "/api/reports/queue", testapp.Adam, nil, 200)
	if it := items(q); len(it) != 1 || it[0].(map[string]any)["from_ai"] != false || it[0].(map[string]any)["reporters"] != 1.0 {
		t.Fatalf("the queue: %s", q.Raw)
	}
}

// TestReportBanAndAutoHide: resolving with ban bans the author; a board's
// auto_hide_reports hides a post once that many distinct members reported
// it, and concurrent reports count exactly.
func TestReportBanAndAutoHide(t *testing.T) {
	app, base := server(t)
	board, _ := app.FindRecordById("boards", testapp.ID(testapp.BoardPublic))
	board.Set("auto_hide_reports", 5)
	if err := app.Save(board); err != nil {
		t.Fatal(err)
	}
	post := testapp.CreatePost(t, app, board.Id, bob, "trouble")
	_, tokens := testapp.CreateMembers(t, app, "rep", 12)
	var wg sync.WaitGroup
	for _, tok := range tokens[:4] {
		wg.Go(func() {
			testapp.Call(t, http.MethodPost, base+"/api/collections/reports/records", tok, map[string]any{"target_kind": "post", "post": post.Id, "reason": "abuse"})
		})
	}
	wg.Wait()
	if p, _ := app.FindRecordById("posts", post.Id); !p.GetBool("is_visible") {
		t.Fatal("hidden after 4 reports; the board says 5")
	}
	// the rest at once: the fifth hides the post, and who comes after can no
	// longer read it to report it (400); every accepted report is stored
	var mu sync.Mutex
	accepted := 4
	for _, tok := range tokens[4:] {
		wg.Go(func() {
			r := testapp.Call(t, http.MethodPost, base+"/api/collections/reports/records", tok, map[string]any{"target_kind": "post", "post": post.Id, "reason": "abuse"})
			mu.Lock()
			defer mu.Unlock()
			switch r.Status {
			case 200:
				accepted++
			case 400:
			default:
				t.Errorf("a concurrent report: %d %s", r.Status, r.Raw)
			}
		})
	}
	wg.Wait()
	n, _ := app.CountRecords("reports", dbx.HashExp{"post": post.Id, "status": "open"})
	if p, _ := app.FindRecordById("posts", post.Id); p.GetBool("is_visible") || int(n) != accepted || accepted < 5 {
		t.Fatalf("after 12 reports: visible %v, %d open reports, %d accepted", p.GetBool("is_visible"), n, accepted)
	}
	// the author cannot bring it back; an admin can
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+post.Id, testapp.Bob, map[string]any{"is_visible": true}, 404)

	var reportID string
	if err := app.DB().Select("id").From("reports").Where(dbx.HashExp{"post": post.Id}).Limit(1).Row(&reportID); err != nil {
		t.Fatal(err)
	}
	mustCall(t, base, http.MethodPost, "/api/reports/"+reportID+"/resolve", testapp.Adam, map[string]any{"action": "ban", "reason": "repeated abuse"}, 200)
	if u, _ := app.FindRecordById("users", bob); !u.GetBool("banned") || u.GetString("ban_reason") != "repeated abuse" {
		t.Fatalf("bob after a ban resolution: banned %v %q", u.GetBool("banned"), u.GetString("ban_reason"))
	}
	// the ban's entry gives its reason once (until 2026-12-04 "repeated abuse repeated abuse")
	bans, _ := app.FindRecordsByFilter("moderation_log", "action = 'ban' && target_id = {:u}", "", 0, 0, dbx.Params{"u": bob})
	if len(bans) != 1 || bans[0].GetString("reason") != "repeated abuse" || bans[0].GetString("actor") != adam {
		for _, b := range bans {
			t.Logf("ban by %q: %q", b.GetString("actor"), b.GetString("reason"))
		}
		t.Fatalf("the log of the ban: %d entries, want one by adam saying %q", len(bans), "repeated abuse")
	}
	if n, _ := app.CountRecords("reports", dbx.HashExp{"post": post.Id, "status": "open"}); n != 0 {
		t.Fatalf("%d reports still open", n)
	}
}

// TestModerationRoutesReadForms: the custom routes a moderator or member
// posts to read an HTML form's body as PocketBase's own routes do, and a
// field of the wrong kind is named. Until 2026-12-07 their bodies were
// read as JSON only: a form's action came through empty ("The action must
// be …") and {"action": 1} was "Send JSON {action, reason}.".
func TestModerationRoutesReadForms(t *testing.T) {
	app, base := server(t)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), gina, "spam here")
	report := mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Alice,
		map[string]any{"target_kind": "post", "post": post.Id, "reason": "spam"}, 200)
	resolve := base + "/api/reports/" + report.Body["id"].(string) + "/resolve"
	moderate := base + "/api/users/" + bob + "/moderate"

	snap := testapp.TakeSnapshot(t, app)
	for _, c := range []struct{ url, body, message string }{
		{moderate, `{"action":1}`, `Send a string for "action", not a number.`},
		{moderate, `{"action":"name_reset","reason":["a"]}`, `Send a string for "reason", not an array.`},
		{resolve, `{"action":{"kind":"dismiss"}}`, `Send a string for "action", not an object.`},
	} {
		req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if r := testapp.Do(t, req, testapp.Token(testapp.Adam)); r.Status != 400 || r.Body["message"] != c.message {
			t.Errorf("%s: %d %s, want 400 %q", c.body, r.Status, r.Raw, c.message)
		}
	}
	if r := testapp.Call(t, http.MethodPost, base+"/api/notifications/read", testapp.Token(testapp.Bob), map[string]any{"ids": "x"}); r.Status != 400 ||
		r.Body["message"] != `Send a list for "ids", not a string.` {
		t.Errorf(`notifications read {"ids": "x"}: %d %s`, r.Status, r.Raw)
	}
	snap.AssertUnchanged(t, app)

	form := func(url, who string, values neturl.Values) testapp.Response {
		return testapp.CallForm(t, http.MethodPost, url, testapp.Token(who), values)
	}
	if r := form(moderate, testapp.Adam, neturl.Values{"action": {"name_reset"}, "reason": {"by form"}}); r.Status != 200 {
		t.Errorf("name_reset by form: %d %s", r.Status, r.Raw)
	}
	lines, err := app.FindRecordsByFilter("moderation_log", "target_id = {:id} && action = 'name_reset'", "", 0, 0, map[string]any{"id": bob})
	if err != nil || len(lines) != 1 || !strings.HasPrefix(lines[0].GetString("reason"), "by form") {
		t.Fatalf("the form's moderation in the log: %v %v", lines, err)
	}
	if r := form(resolve, testapp.Adam, neturl.Values{"action": {"dismiss"}, "reason": {"not spam"}}); r.Status != 200 || r.Body["status"] != community.ReportDismissed {
		t.Errorf("a report dismissed by form: %d %s", r.Status, r.Raw)
	}
	testapp.SaveRecord(t, app, "notifications", map[string]any{"user": bob, "kind": "comment", "actor": gina, "post": post.Id, "text": "a comment", "count": 1})
	if r := form(base+"/api/notifications/read", testapp.Bob, neturl.Values{"all": {"true"}}); r.Status != 200 || r.Body["marked"] != 1.0 {
		t.Errorf("notifications read by form: %d %s", r.Status, r.Raw)
	}
}

// TestModerationLog: hides, pins, bans, grants and board changes are logged
// with who did them — an admin over the API, a superuser (the dashboard),
// the command line — and the log is admins' to read, nobody's to write.
func TestModerationLog(t *testing.T) {
	app, base := server(t)
	post := testapp.VisiblePost(testapp.BoardPublic)
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+post, testapp.Adam, map[string]any{"is_pinned": true}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+post, "root", map[string]any{"is_visible": false}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+alice, testapp.Adam, map[string]any{"boards+": testapp.ID(testapp.BoardGranted)}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+testapp.ID(testapp.BoardMembers), testapp.Adam, map[string]any{"read": "granted"}, 200)
	if _, err := testapp.RunCLI(t, app, "users", "ban", "bob@example.com", "--reason", "spam"); err != nil {
		t.Fatal(err)
	}
	// gina hides her own comment: not a moderator action
	mustCall(t, base, http.MethodPatch, "/api/collections/comments/records/"+testapp.VisibleComment(testapp.BoardPublic), testapp.Gina, map[string]any{"is_visible": false}, 200)

	lines, err := app.FindRecordsByFilter("moderation_log", "", "created,id", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	type line struct{ action, kind, target, actor, label string }
	var got []line
	for _, l := range lines {
		got = append(got, line{l.GetString("action"), l.GetString("target_kind"), l.GetString("target_id"), l.GetString("actor"), l.GetString("actor_label")})
	}
	want := []line{
		{"pin", "post", post, adam, "adam"},
		{"hide", "post", post, "", "superuser:" + testapp.SuperuserEmail},
		{"grant", "user", alice, adam, "adam"},
		{"board_change", "board", testapp.ID(testapp.BoardMembers), adam, "adam"},
		{"ban", "user", bob, "", "cli"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("log:\n got %v\nwant %v", got, want)
	}
	for _, who := range []string{"", testapp.Alice} {
		if r := call(t, base, http.MethodGet, "/api/collections/moderation_log/records", who, nil); r.Status == 200 && len(items(r)) > 0 {
			t.Errorf("%q reads the moderation log", who)
		}
	}
	if r := mustCall(t, base, http.MethodGet, "/api/collections/moderation_log/records", testapp.Adam, nil, 200); len(items(r)) != len(want) {
		t.Errorf("adam reads %d lines", len(items(r)))
	}
	snap := testapp.TakeSnapshot(t, app, "moderation_log")
	id := lines[0].Id
	for _, who := range []string{testapp.Alice, testapp.Adam} {
		if r := call(t, base, http.MethodPost, "/api/collections/moderation_log/records", who, map[string]any{"action": "hide", "target_kind": "post", "target_id": "x"}); r.Status == 200 {
			t.Errorf("%s wrote the log", who)
		}
		if r := call(t, base, http.MethodPatch, "/api/collections/moderation_log/records/"+id, who, map[string]any{"reason": "x"}); r.Status == 200 {
			t.Errorf("%s edited the log", who)
		}
		if r := call(t, base, http.MethodDelete, "/api/collections/moderation_log/records/"+id, who, nil); r.Status == 204 {
			t.Errorf("%s deleted from the log", who)
		}
	}
	snap.AssertUnchanged(t, app)
}

// TestBanChangesLogged: an admin's change of a banned member's ban — its
// reason, its end — is a ban line of the log naming the ban before and
// after, by that admin; a PATCH that changes nothing writes none. Until
// 2026-12-07 only the ban itself was logged (the CLI's second ban is in
// cli's TestUsersBanAgain).
func TestBanChangesLogged(t *testing.T) {
	app, base := server(t)
	ben := testapp.ID(testapp.Ben) // banned permanently, reason "spam"
	patch := func(body map[string]any) {
		t.Helper()
		mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+ben, testapp.Adam, body, 200)
	}
	patch(map[string]any{"ban_reason": "spam and abuse"})
	patch(map[string]any{"banned_until": "2099-05-01 12:00:00.000Z"})
	patch(map[string]any{"banned": true, "ban_reason": "spam and abuse", "banned_until": "2099-05-01 12:00:00.000Z"})
	patch(map[string]any{"banned_until": "", "ban_reason": ""})

	lines, err := app.FindRecordsByFilter("moderation_log", "target_id = {:id}", "created,id", 0, 0, dbx.Params{"id": ben})
	if err != nil {
		t.Fatal(err)
	}
	type line struct{ action, kind, actor, label, reason string }
	var got []line
	for _, l := range lines {
		got = append(got, line{l.GetString("action"), l.GetString("target_kind"), l.GetString("actor"), l.GetString("actor_label"), l.GetString("reason")})
	}
	want := []line{
		{"ban", "user", adam, "adam", `changed: permanent, reason "spam" → permanent, reason "spam and abuse"`},
		{"ban", "user", adam, "adam", `changed: permanent, reason "spam and abuse" → until 2099-05-01 12:00 UTC, reason "spam and abuse"`},
		{"ban", "user", adam, "adam", `changed: until 2099-05-01 12:00 UTC, reason "spam and abuse" → permanent, no reason`},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("log of ben's ban:\n got %q\nwant %q", got, want)
	}
}

// TestSuperusersResolveReports: superusers pass every rule (CONTRACT.md),
// so they read the moderation queue and resolve reports as admins do —
// also banning an admin, which admins may not — with resolved_by and the
// reporters' notices naming nobody (a superuser is no users record) and
// the log naming the superuser.
func TestSuperusersResolveReports(t *testing.T) {
	app, base := server(t)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), gina, "spam here")
	r := mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Alice,
		map[string]any{"target_kind": "post", "post": post.Id, "reason": "spam"}, 200)
	if q := mustCall(t, base, http.MethodGet, "/api/reports/queue", "root", nil, 200); len(items(q)) != 1 {
		t.Fatalf("the superuser's queue: %s", q.Raw)
	}
	res := mustCall(t, base, http.MethodPost, "/api/reports/"+r.Body["id"].(string)+"/resolve", "root",
		map[string]any{"action": "hide", "reason": "advertising"}, 200)
	if res.Body["status"] != community.ReportActioned || res.Body["resolved_by"] != "" {
		t.Fatalf("resolved by a superuser: %s", res.Raw)
	}
	if p, _ := app.FindRecordById("posts", post.Id); p.GetBool("is_visible") {
		t.Fatal("the post is still visible")
	}
	lines, _ := app.FindRecordsByFilter("moderation_log", "target_id = {:id} && action = 'report_resolve'", "", 0, 0, dbx.Params{"id": post.Id})
	if len(lines) != 1 || lines[0].GetString("actor") != "" || !strings.HasPrefix(lines[0].GetString("actor_label"), "superuser:") {
		t.Fatalf("the log of the resolution: %v", lines)
	}
	var told []*core.Record
	for _, n := range notificationsOf(t, app, alice) {
		if n.GetString("kind") == community.KindModeration {
			told = append(told, n)
		}
	}
	if len(told) != 1 || told[0].GetString("actor") != "" || told[0].GetString("text") != "Your report was actioned." {
		t.Fatalf("alice's notices of her report: %v", told)
	}

	// a report of an admin: an admin may not ban them, a superuser may
	ada := mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Alice,
		map[string]any{"target_kind": "user", "user": adam, "reason": "abuse"}, 200).Body["id"].(string)
	mustCall(t, base, http.MethodPost, "/api/reports/"+ada+"/resolve", testapp.Ada, map[string]any{"action": "ban", "reason": "x"}, 403)
	mustCall(t, base, http.MethodPost, "/api/reports/"+ada+"/resolve", "root", map[string]any{"action": "ban", "reason": "x"}, 200)
	if u, _ := app.FindRecordById("users", adam); !u.GetBool("banned") {
		t.Fatal("the reported admin is not banned")
	}
}

// TestConcurrentResolutionsRunOnce: of concurrent resolutions of a
// target's reports — hide and ban, of either report — exactly one runs;
// the others get 400 "This report was already resolved." and change
// nothing: no second action, no log entry. Until 2026-12-04 each of them
// could run (a post hidden and its writer banned, report_resolve entries
// of "0 report(s)").
func TestConcurrentResolutionsRunOnce(t *testing.T) {
	app, base := server(t)
	writers, _ := testapp.CreateMembers(t, app, "res", 5)
	for trial, writer := range writers {
		post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), writer.Id, fmt.Sprint("trial ", trial))
		var reports []string
		for _, who := range []string{testapp.Alice, testapp.Bob} {
			r := mustCall(t, base, http.MethodPost, "/api/collections/reports/records", who,
				map[string]any{"target_kind": "post", "post": post.Id, "reason": "spam"}, 200)
			reports = append(reports, r.Body["id"].(string))
		}
		var start, done sync.WaitGroup
		var mu sync.Mutex
		var won []string
		start.Add(1)
		for i := range 6 {
			action := []string{community.ResolveHide, community.ResolveBan}[i%2]
			done.Go(func() {
				start.Wait()
				r := testapp.Call(t, http.MethodPost, base+"/api/reports/"+reports[i/2%2]+"/resolve", testapp.Token(testapp.Adam),
					map[string]any{"action": action, "reason": "r" + fmt.Sprint(i)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case r.Status == 200:
					won = append(won, action)
				case r.Status != 400 || r.Body["message"] != "This report was already resolved.":
					t.Errorf("trial %d, a concurrent %s: %d %s", trial, action, r.Status, r.Raw)
				}
			})
		}
		start.Done()
		done.Wait()
		if len(won) != 1 {
			t.Fatalf("trial %d: %d resolutions answered 200 (%v), want 1", trial, len(won), won)
		}
		p, _ := app.FindRecordById("posts", post.Id)
		u, _ := app.FindRecordById("users", writer.Id)
		lines, err := app.FindRecordsByFilter("moderation_log", "target_id = {:p} || target_id = {:u}", "created,id", 0, 0,
			dbx.Params{"p": post.Id, "u": writer.Id})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range lines {
			got = append(got, l.GetString("action")+" "+l.GetString("target_kind")+" "+l.GetString("reason"))
		}
		hidden, banned := !p.GetBool("is_visible"), u.GetBool("banned")
		var reason string // the winner's, "r0" to "r5"
		for _, l := range lines {
			if l.GetString("action") == community.ActionReportResolve {
				reason, _, _ = strings.Cut(l.GetString("reason"), " ")
			}
		}
		want := []string{"hide post " + reason, "report_resolve post " + reason + " hide (2 report(s))"}
		if won[0] == community.ResolveBan {
			want = []string{"ban user " + reason, "report_resolve post " + reason + " ban (2 report(s))"}
		}
		slices.Sort(got) // written in one transaction, often in the same millisecond
		if hidden != (won[0] == community.ResolveHide) || banned != (won[0] == community.ResolveBan) || !slices.Equal(got, want) {
			t.Fatalf("trial %d, %s won: hidden %v, banned %v, log\n got %q\nwant %q", trial, won[0], hidden, banned, got, want)
		}
		for _, id := range reports {
			if r, _ := app.FindRecordById("reports", id); r.GetString("status") != community.ReportActioned {
				t.Fatalf("trial %d: report %s %s", trial, id, r.GetString("status"))
			}
		}
	}
}

// logOf renders the moderation log's lines about target as "action kind
// actor actor_label reason", sorted: lines of requests made one after the
// other may share their created millisecond.
func logOf(t *testing.T, app core.App, target string) []string {
	t.Helper()
	lines, err := app.FindRecordsByFilter("moderation_log", "target_id = {:t}", "created,id", 0, 0, dbx.Params{"t": target})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, l := range lines {
		out = append(out, strings.Join([]string{l.GetString("action"), l.GetString("target_kind"), l.GetString("actor"),
			l.GetString("actor_label"), l.GetString("reason")}, " "))
	}
	slices.Sort(out)
	return out
}

// TestModeratorDeletesAndEditsLogged: an admin's or a superuser's delete
// or edit of what a member wrote, a board's creation and deletion, a post
// pinned at its creation and a change of a user's role are in the
// moderation log, with who did it and, for a delete, what was deleted (the
// record is gone); what went with a deleted record (a post's comments, a
// board's posts) is counted in its line, not logged apart. A writer
// deleting or editing their own is no moderator's action. Until 2026-12-04
// none of these was logged.
func TestModeratorDeletesAndEditsLogged(t *testing.T) {
	app, base := server(t)
	pub := testapp.ID(testapp.BoardPublic)
	su := "superuser:" + testapp.SuperuserEmail
	for _, mod := range []struct{ who, actor, label string }{{testapp.Adam, adam, "adam"}, {"root", "", su}} {
		actor := mod.actor + " " + mod.label
		post := testapp.CreatePost(t, app, pub, gina, "Buy  now\ncheap")
		reply := testapp.CreateComment(t, app, post.Id, bob, "")
		comment := testapp.CreateComment(t, app, testapp.VisiblePost(testapp.BoardPublic), gina, "")
		mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+post.Id, mod.who, map[string]any{"content": "[removed]"}, 200)
		mustCall(t, base, http.MethodPatch, "/api/collections/comments/records/"+comment.Id, mod.who, map[string]any{"content": "[removed]"}, 200)
		mustCall(t, base, http.MethodDelete, "/api/collections/comments/records/"+comment.Id, mod.who, nil, 204)
		mustCall(t, base, http.MethodDelete, "/api/collections/posts/records/"+post.Id, mod.who, nil, 204)
		for target, want := range map[string][]string{
			post.Id: {"delete post " + actor + ` "Buy now cheap" by ` + gina + " on board " + pub,
				"edit post " + actor + " content"},
			comment.Id: {"delete comment " + actor + ` "[removed]" by ` + gina + " on post " + testapp.VisiblePost(testapp.BoardPublic),
				"edit comment " + actor + " content"},
			reply.Id: {}, // went with the post
		} {
			if got := logOf(t, app, target); !slices.Equal(got, want) {
				t.Errorf("%s: log of %s\n got %q\nwant %q", mod.who, target, got, want)
			}
		}

		board := mustCall(t, base, http.MethodPost, "/api/collections/boards/records", mod.who,
			map[string]any{"name": "notice-" + mod.who, "read": "public", "write": "admins"}, 200).Body["id"].(string)
		pinned := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", mod.who,
			map[string]any{"board": board, "title": "rules", "content": "be kind", "is_pinned": true, "author": adam}, 200).Body["id"].(string)
		testapp.CreatePost(t, app, board, adam, "second")
		mustCall(t, base, http.MethodDelete, "/api/collections/boards/records/"+board, mod.who, nil, 204)
		for target, want := range map[string][]string{
			board: {"board_create board " + actor + " name: notice-" + mod.who + "; is_visible: true; read: public; write: admins",
				"board_delete board " + actor + ` "notice-` + mod.who + `" with 2 post(s)`},
			pinned: {"pin post " + actor + " "},
		} {
			if got := logOf(t, app, target); !slices.Equal(got, want) {
				t.Errorf("%s: log of %s\n got %q\nwant %q", mod.who, target, got, want)
			}
		}
	}

	// roles are a superuser's (an admin is refused) and the command line's
	snap := testapp.TakeSnapshot(t, app, "users", "moderation_log")
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+alice, testapp.Adam, map[string]any{"role": "admin"}, 403)
	snap.AssertUnchanged(t, app)
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+alice, "root", map[string]any{"role": "admin"}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+alice, "root", map[string]any{"role": "member"}, 200)
	if got, want := logOf(t, app, alice), []string{"role_change user  " + su + " admin → member", "role_change user  " + su + " member → admin"}; !slices.Equal(got, want) {
		t.Errorf("log of alice's roles\n got %q\nwant %q", got, want)
	}
	if _, err := testapp.RunCLI(t, app, "admin", "create", "mod@example.com", "Adm1n-secret-pw", "--name", "mod"); err != nil {
		t.Fatal(err)
	}
	if _, err := testapp.RunCLI(t, app, "boards", "create", "cli-board"); err != nil {
		t.Fatal(err)
	}
	mod, err := app.FindAuthRecordByEmail("users", "mod@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := logOf(t, app, mod.Id), []string{"role_change user  cli → admin (a new account)"}; !slices.Equal(got, want) {
		t.Errorf("log of the CLI's new admin\n got %q\nwant %q", got, want)
	}
	if n, _ := app.CountRecords("moderation_log", dbx.HashExp{"action": "board_create", "actor_label": "cli"}); n != 1 {
		t.Errorf("%d board_create lines by cli, want 1", n)
	}

	// a superuser deleting an account with its content deletes what it wrote
	members, _ := testapp.CreateMembers(t, app, "spam", 1)
	spam := testapp.CreatePost(t, app, pub, members[0].Id, "spam")
	mustCall(t, base, http.MethodDelete, "/api/collections/users/records/"+members[0].Id+"?content=remove", "root", nil, 204)
	if got, want := logOf(t, app, spam.Id), []string{"delete post  " + su + ` "spam" by ` + members[0].Id + " on board " + pub}; !slices.Equal(got, want) {
		t.Errorf("log of a post deleted with its account by a superuser\n got %q\nwant %q", got, want)
	}
}

// TestWritersOwnDeletesNotLogged: a member editing or deleting their own
// post or comment, or their account with its content, is no moderator's
// action: nothing is logged, neither of what went with it (others'
// comments under a deleted post).
func TestWritersOwnDeletesNotLogged(t *testing.T) {
	app, base := server(t)
	pub := testapp.ID(testapp.BoardPublic)
	post := testapp.CreatePost(t, app, pub, gina, "mine")
	testapp.CreateComment(t, app, post.Id, bob, "")
	comment := testapp.CreateComment(t, app, testapp.VisiblePost(testapp.BoardPublic), gina, "")
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+post.Id, testapp.Gina, map[string]any{"content": "changed"}, 200)
	mustCall(t, base, http.MethodPatch, "/api/collections/comments/records/"+comment.Id, testapp.Gina, map[string]any{"content": "changed"}, 200)
	mustCall(t, base, http.MethodDelete, "/api/collections/comments/records/"+comment.Id, testapp.Gina, nil, 204)
	mustCall(t, base, http.MethodDelete, "/api/collections/posts/records/"+post.Id, testapp.Gina, nil, 204)
	members, tokens := testapp.CreateMembers(t, app, "gone", 1)
	testapp.CreatePost(t, app, pub, members[0].Id, "going")
	testapp.CreateComment(t, app, testapp.VisiblePost(testapp.BoardPublic), members[0].Id, "")
	if r := testapp.Call(t, http.MethodDelete, base+"/api/collections/users/records/"+members[0].Id+"?content=remove", tokens[0], nil); r.Status != 204 {
		t.Fatalf("deleting the account: %d %s", r.Status, r.Raw)
	}
	if n, _ := app.CountRecords("posts", dbx.HashExp{"author": members[0].Id}); n != 0 {
		t.Fatalf("%d posts of the deleted account left", n)
	}
	if lines, _ := app.FindAllRecords("moderation_log"); len(lines) != 0 {
		for _, l := range lines {
			t.Errorf("logged: %s %s %s by %q: %s", l.GetString("action"), l.GetString("target_kind"), l.GetString("target_id"), l.GetString("actor_label"), l.GetString("reason"))
		}
	}
}

// TestModerationTextsRefuseControlCharacters: the texts moderators and
// operators read — a report's text, a resolution's reason, a ban's reason,
// a moderation's reason — refuse NUL and escape sequences with 400 naming
// the field, and nothing changes. Until 2026-12-04 they were stored and
// reached the banned member's sign-in, the CLI and the log.
func TestModerationTextsRefuseControlCharacters(t *testing.T) {
	app, base := server(t)
	post := testapp.VisiblePost(testapp.BoardPublic)
	report := mustCall(t, base, http.MethodPost, "/api/collections/reports/records", testapp.Alice,
		map[string]any{"target_kind": "post", "post": post, "reason": "spam"}, http.StatusOK)
	reportID := report.Body["id"].(string)
	snap := testapp.TakeSnapshot(t, app, "reports", "posts", "users", "moderation_log")
	for _, c := range []struct {
		name, who, method, path string
		body                    map[string]any
		field                   string
	}{
		{"a report's text", testapp.Bob, http.MethodPost, "/api/collections/reports/records",
			map[string]any{"target_kind": "post", "post": post, "reason": "spam", "text": "x\x1b]0;pwned\x07"}, "text"},
		{"a resolution's reason", testapp.Adam, http.MethodPost, "/api/reports/" + reportID + "/resolve",
			map[string]any{"action": "ban", "reason": "spam\x1b[31mRED"}, "reason"},
		{"a ban's reason", testapp.Adam, http.MethodPatch, "/api/collections/users/records/" + bob,
			map[string]any{"banned": true, "ban_reason": "a\x00b"}, "ban_reason"},
		{"a moderation's reason", testapp.Adam, http.MethodPost, "/api/users/" + bob + "/moderate",
			map[string]any{"action": "name_reset", "reason": "\u009bcut"}, "reason"},
	} {
		r := mustCall(t, base, c.method, c.path, c.who, c.body, http.StatusBadRequest)
		data, _ := r.Body["data"].(map[string]any)
		field, _ := data[c.field].(map[string]any)
		if field["code"] != "validation_control_character" || !strings.Contains(fmt.Sprint(field["message"]), "from "+c.field) {
			t.Errorf("%s: %s, want data.%s.code validation_control_character", c.name, r.Raw, c.field)
		}
	}
	snap.AssertUnchanged(t, app)
}

// TestConcurrentModerationLogsOnce: moderators hiding one post, banning one
// member or granting one board at the same moment write one log line and
// one notice between them — the first change; the others change nothing.
// Until 2026-12-04 each read the stored record before its transaction, so
// two or more logged a hide (and told its writer twice).
func TestConcurrentModerationLogsOnce(t *testing.T) {
	app, base := server(t)
	members, _ := testapp.CreateMembers(t, app, "conc", 3)
	moderators := []string{testapp.Adam, "root"}
	at := func(each func(i int, who string) testapp.Response) {
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range 6 {
			done.Go(func() {
				start.Wait()
				if r := each(i, moderators[i%2]); r.Status != 200 {
					t.Errorf("%d %s", r.Status, r.Raw)
				}
			})
		}
		start.Done()
		done.Wait()
	}
	for trial, writer := range members {
		post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), writer.Id, fmt.Sprint("trial ", trial))
		at(func(i int, who string) testapp.Response {
			return testapp.Call(t, http.MethodPatch, base+"/api/collections/posts/records/"+post.Id, testapp.Token(who),
				map[string]any{"is_visible": false})
		})
		if got := actionsOf(t, app, post.Id); !slices.Equal(got, []string{community.ActionHide}) {
			t.Fatalf("trial %d: six concurrent hides logged %q, want one hide", trial, got)
		}
		if n := notificationsOf(t, app, writer.Id); len(n) != 1 || n[0].GetString("kind") != community.KindModeration {
			t.Fatalf("trial %d: the writer got %d notices, want one moderation notice", trial, len(n))
		}

		// one ban: a ban with another reason changes it, and is logged as a
		// change (TestBanChangesLogged)
		at(func(i int, who string) testapp.Response {
			return testapp.Call(t, http.MethodPatch, base+"/api/collections/users/records/"+writer.Id, testapp.Token(who),
				map[string]any{"banned": true, "ban_reason": "spam", "boards+": testapp.ID(testapp.BoardGranted)})
		})
		if got := actionsOf(t, app, writer.Id); !slices.Equal(got, []string{community.ActionBan, community.ActionGrant}) {
			t.Fatalf("trial %d: six concurrent bans and grants logged %q, want one ban and one grant", trial, got)
		}
		if u, _ := app.FindRecordById("users", writer.Id); !u.GetBool("banned") || len(u.GetStringSlice("boards")) != 1 {
			t.Fatalf("trial %d: banned %v, boards %v", trial, u.GetBool("banned"), u.GetStringSlice("boards"))
		}
	}
}

// actionsOf lists the moderation log's actions about target, sorted.
func actionsOf(t *testing.T, app core.App, target string) []string {
	t.Helper()
	var out []string
	for _, line := range logOf(t, app, target) {
		action, _, _ := strings.Cut(line, " ")
		out = append(out, action)
	}
	return out
}
