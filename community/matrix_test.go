package community_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/community"
	"madang/internal/testapp"
)

// The permission matrix of the community collections and routes (issue 12,
// "Tests"): every collection and route × guest, member (the owner), other
// member, blocked member, banned member (ben: 401 on every request), admin
// and superuser. Each cell is one request on a fresh copy of the fixtures
// plus mxSeed; an allowed cell asserts the answer's essentials and the
// database after, a refused one (and every read) that the database did not
// change at all.

// The matrix's community fixtures, written by mxSeed into every cell's app.
// Blocks: alice blocks bob, gina blocks bob, bob blocks gina.
var (
	mxBobPost    = testapp.ID("mxbobpost")    // bob's visible post on the public board
	mxNAlice     = testapp.ID("mxnalice")     // alice's unread comment notification (actor gina)
	mxNAliceRead = testapp.ID("mxnaliceread") // alice's read reply notification
	mxNBob       = testapp.ID("mxnbob")       // bob's unread mention notification (actor alice, on his own post: he blocked gina, who wrote the public board's)
	mxRAlice     = testapp.ID("mxralice")     // alice's open report of the public board's visible post (gina's)
	mxRBob       = testapp.ID("mxrbob")       // bob's open report of the same post
	mxRAI        = testapp.ID("mxrai")        // the moderation assist's open report of the public board's visible comment
	mxLog        = testapp.ID("mxlog")        // adam hid the public board's hidden post
	mxBAlice     = testapp.ID("mxbalice")     // alice blocks bob
	mxBGina      = testapp.ID("mxbgina")      // gina blocks bob
	mxBBob       = testapp.ID("mxbbob")       // bob blocks gina
	mxKAlice     = testapp.ID("mxkalice")     // alice's bookmark of the public board's visible post
	mxKAliceBob  = testapp.ID("mxkalicebob")  // alice's bookmark of bob's post (whom she blocked)
	mxKBob       = testapp.ID("mxkbob")       // bob's bookmark of his own post
	mxKGina      = testapp.ID("mxkgina")      // gina's bookmark of the granted board's visible post
	mxCatPublic  = testapp.ID("mxcatpublic")  // "Tips" on the public board
	mxCatMembers = testapp.ID("mxcatmembers") // "Chat" on the members board
	mxCatGranted = testapp.ID("mxcatgranted") // "Secret" on the granted board
	mxCatHidden  = testapp.ID("mxcathidden")  // "Old" on the hidden board
	mxAlicePost  = testapp.ID("mxalicepost")  // alice's visible post on the public board
	mxClassifier = testapp.ID("mxclassifier") // a text_classifier model (draft)
	mxRegression = testapp.ID("mxregression") // a linear_regression model (draft)
)

func mxSeed(t testing.TB, app core.App) {
	t.Helper()
	pub := testapp.BoardPublic
	read := types.NowDateTime()
	for _, r := range []struct {
		collection string
		fields     map[string]any
	}{
		{"ais", map[string]any{"id": mxClassifier, "name": "mx-classifier", "kind": "text_classifier"}},
		{"ais", map[string]any{"id": mxRegression, "name": "mx-regression", "kind": "linear_regression"}},
		{"posts", map[string]any{"id": mxAlicePost, "board": testapp.ID(pub), "author": alice, "title": "alice writes", "content": "by alice", "is_visible": true}},
		{"posts", map[string]any{"id": mxBobPost, "board": testapp.ID(pub), "author": bob, "title": "bob writes", "content": "by bob", "is_visible": true}},
		{"notifications", map[string]any{"id": mxNAlice, "user": alice, "kind": "comment", "actor": gina, "post": testapp.VisiblePost(pub), "text": "a comment", "count": 1}},
		{"notifications", map[string]any{"id": mxNAliceRead, "user": alice, "kind": "reply", "actor": gina, "post": testapp.VisiblePost(pub), "text": "a reply", "count": 1, "read_at": read}},
		{"notifications", map[string]any{"id": mxNBob, "user": bob, "kind": "mention", "actor": alice, "post": mxBobPost, "text": "@bob", "count": 1}},
		{"reports", map[string]any{"id": mxRAlice, "reporter": alice, "target_kind": "post", "post": testapp.VisiblePost(pub), "reason": "spam", "status": "open"}},
		{"reports", map[string]any{"id": mxRBob, "reporter": bob, "target_kind": "post", "post": testapp.VisiblePost(pub), "reason": "abuse", "status": "open"}},
		{"reports", map[string]any{"id": mxRAI, "target_kind": "comment", "comment": testapp.VisibleComment(pub), "reason": "other", "status": "open", "ai_label": "spam", "ai_score": 0.93}},
		{"moderation_log", map[string]any{"id": mxLog, "actor": adam, "actor_label": "adam", "action": "hide", "target_kind": "post", "target_id": testapp.HiddenPost(pub)}},
		{"bookmarks", map[string]any{"id": mxKAlice, "user": alice, "post": testapp.VisiblePost(pub)}},
		{"bookmarks", map[string]any{"id": mxKAliceBob, "user": alice, "post": mxBobPost}},
		{"bookmarks", map[string]any{"id": mxKBob, "user": bob, "post": mxBobPost}},
		{"bookmarks", map[string]any{"id": mxKGina, "user": gina, "post": testapp.VisiblePost(testapp.BoardGranted)}},
		{"blocks", map[string]any{"id": mxBAlice, "user": alice, "blocked": bob}},
		{"blocks", map[string]any{"id": mxBGina, "user": gina, "blocked": bob}},
		{"blocks", map[string]any{"id": mxBBob, "user": bob, "blocked": gina}},
		{"board_categories", map[string]any{"id": mxCatPublic, "board": testapp.ID(pub), "name": "Tips", "sort": 1}},
		{"board_categories", map[string]any{"id": mxCatMembers, "board": testapp.ID(testapp.BoardMembers), "name": "Chat"}},
		{"board_categories", map[string]any{"id": mxCatGranted, "board": testapp.ID(testapp.BoardGranted), "name": "Secret"}},
		{"board_categories", map[string]any{"id": mxCatHidden, "board": testapp.ID(testapp.BoardHidden), "name": "Old"}},
	} {
		testapp.SaveRecord(t, app, r.collection, r.fields)
	}
}

// mxCell is one request of the matrix.
type mxCell struct {
	who         string // fixture user, "root" (the superuser) or "" (a guest)
	method, url string
	body        any
	status      int
	want        []string // what the answer holds (its essentials)
	ids         []string // a list: exactly these item ids, in any order (nil: not a list)
	// noop: an allowed write that must change nothing (e.g. marking someone
	// else's notification read); refusals and reads are checked anyway
	noop  bool
	after func(t testing.TB, app core.App, body map[string]any) // the database after an allowed write
}

func mxRole(who string) string {
	switch who {
	case "":
		return "guest"
	case "root":
		return "superuser"
	}
	return who
}

func (c mxCell) name() string {
	path, _, _ := strings.Cut(c.url, "?")
	return fmt.Sprintf("%s %s as %s: %d", c.method, path, mxRole(c.who), c.status)
}

// writes tells whether the cell is an allowed write: it gets an app of its
// own. Every other cell (refusals, reads, no-op writes) runs on one app
// shared by the whole matrix, which each must leave unchanged (one app per
// cell costs seconds under -race on a busy machine).
func (c mxCell) writes() bool {
	return !(c.status >= 400 || c.method == mxGet || c.noop)
}

// mxTables are the tables a community request could write by mistake:
// what every cell's "unchanged" compares (rendering every table of the
// database per cell costs seconds under -race).
var mxTables = []string{"notifications", "reports", "moderation_log", "blocks", "bookmarks", "board_categories",
	"users", "boards", "posts", "comments", "post_likes", "ai_logs"}

// check sends the cell's request to base (app's server) and asserts its
// answer and the database after: unchanged since before (a refusal, a
// read, a no-op), or as c.after says.
func (c mxCell) check(t *testing.T, app core.App, base string, before testapp.Snapshot) {
	r := testapp.Call(t, c.method, base+c.url, token(c.who), c.body)
	if r.Status != c.status {
		t.Fatalf("%d %s, want %d", r.Status, r.Raw, c.status)
	}
	want := slices.Clone(c.want)
	if c.status >= 400 {
		want = append(want, fmt.Sprintf(`"status":%d`, c.status))
	}
	for _, w := range want {
		if !strings.Contains(r.Raw, w) {
			t.Errorf("the answer lacks %s: %s", w, r.Raw)
		}
	}
	if c.ids != nil {
		list, _ := r.Body["items"].([]any)
		mxSameIDs(t, "listed", ids(list), c.ids)
	}
	if !c.writes() {
		before.AssertUnchanged(t, app)
	}
	if c.after != nil {
		c.after(t, app, r.Body)
	}
}

// mxRun runs cells: each allowed write on a fresh copy of the fixtures and
// mxSeed, every other cell on one shared copy, compared after each with
// the snapshot taken once it was seeded.
func mxRun(t *testing.T, cells []mxCell) {
	var shared core.App
	var sharedBase string
	var seeded testapp.Snapshot
	if slices.ContainsFunc(cells, func(c mxCell) bool { return !c.writes() }) {
		shared, sharedBase = server(t)
		mxSeed(t, shared)
		seeded = testapp.TakeSnapshot(t, shared, mxTables...)
	}
	for _, c := range cells {
		t.Run(c.name(), func(t *testing.T) {
			if !c.writes() {
				c.check(t, shared, sharedBase, seeded)
				return
			}
			app, base := server(t)
			mxSeed(t, app)
			c.check(t, app, base, testapp.Snapshot{})
		})
	}
}

// mxSameIDs fails t unless got and want hold the same ids.
func mxSameIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Errorf("%s %v, want exactly %v", what, g, w)
	}
}

// mxFilter is a list URL with a filter.
func mxFilter(collection, filter string) string {
	return "/api/collections/" + collection + "/records?filter=" + url.QueryEscape(filter)
}

func mxRecord(t testing.TB, app core.App, collection, id string) *core.Record {
	t.Helper()
	r, err := app.FindRecordById(collection, id)
	if err != nil {
		t.Fatalf("%s %s: %v", collection, id, err)
	}
	return r
}

func mxGone(t testing.TB, app core.App, collection string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := app.FindRecordById(collection, id); err == nil {
			t.Errorf("%s %s is still there", collection, id)
		}
	}
}

// mxIDsWhere returns the ids of collection's records matching filter.
func mxIDsWhere(t testing.TB, app core.App, collection, filter string, params dbx.Params) []string {
	t.Helper()
	records, err := app.FindRecordsByFilter(collection, filter, "", 0, 0, params)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, r := range records {
		out = append(out, r.Id)
	}
	return out
}

// mxBlocking checks whom user blocks, as the read rules see it
// (users.blocking) and as the blocks records say.
func mxBlocking(t testing.TB, app core.App, user string, want ...string) {
	t.Helper()
	mxSameIDs(t, "users.blocking of "+user, mxRecord(t, app, "users", user).GetStringSlice("blocking"), want)
	var blocked []string
	for _, id := range mxIDsWhere(t, app, "blocks", "user = {:u}", dbx.Params{"u": user}) {
		blocked = append(blocked, mxRecord(t, app, "blocks", id).GetString("blocked"))
	}
	mxSameIDs(t, "blocks records of "+user, blocked, want)
}

// mxField checks a record's stored field.
func mxField(t testing.TB, app core.App, collection, id, field string, want any) {
	t.Helper()
	if got := mxRecord(t, app, collection, id).Get(field); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s %s: %s = %v, want %v", collection, id, field, got, want)
	}
}

// The matrix's methods and roles (fixture users are testapp's names).
const (
	mxGet    = http.MethodGet
	mxPost   = http.MethodPost
	mxPatch  = http.MethodPatch
	mxDelete = http.MethodDelete
	mxRoot   = "root" // the superuser
	mxGuest  = ""
)

// TestMatrixNotifications: only the owner lists, views and deletes their
// notifications; nobody but a superuser creates or edits them; filters
// select nothing of others'; a blocked member's actions do not notify the
// blocker.
func TestMatrixNotifications(t *testing.T) {
	list := "/api/collections/notifications/records"
	one := list + "/" + mxNAlice
	forged := map[string]any{"user": alice, "kind": "mention", "text": "forged"}
	idIs := `"id":"` + mxNAlice + `"`
	comment := map[string]any{"post": mxAlicePost, "content": "hello alice"}
	mxRun(t, []mxCell{
		{who: mxGuest, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Alice, method: mxGet, url: list, status: 200, ids: []string{mxNAlice, mxNAliceRead}},
		{who: testapp.Bob, method: mxGet, url: list, status: 200, ids: []string{mxNBob}},
		{who: testapp.Gina, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Adam, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Ben, method: mxGet, url: list, status: 401},
		{who: mxRoot, method: mxGet, url: list, status: 200, ids: []string{mxNAlice, mxNAliceRead, mxNBob}},
		// no oracle: others' rows are not there to filter, nor to count
		{who: testapp.Bob, method: mxGet, url: mxFilter("notifications", `user = "`+alice+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},
		{who: testapp.Bob, method: mxGet, url: mxFilter("notifications", `user = "`+alice+`" || user = "`+bob+`"`), status: 200, ids: []string{mxNBob}},
		{who: testapp.Bob, method: mxGet, url: mxFilter("notifications", `actor = "`+bob+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},
		{who: testapp.Adam, method: mxGet, url: mxFilter("notifications", `user = "`+alice+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},

		{who: testapp.Alice, method: mxGet, url: one, status: 200, want: []string{idIs, `"kind":"comment"`}},
		{who: testapp.Bob, method: mxGet, url: one, status: 404},
		{who: mxGuest, method: mxGet, url: one, status: 404},
		{who: testapp.Adam, method: mxGet, url: one, status: 404},
		{who: testapp.Ben, method: mxGet, url: one, status: 401},
		{who: mxRoot, method: mxGet, url: one, status: 200, want: []string{idIs}},

		{who: mxGuest, method: mxPost, url: list, body: forged, status: 403},
		{who: testapp.Alice, method: mxPost, url: list, body: forged, status: 403},
		{who: testapp.Bob, method: mxPost, url: list, body: forged, status: 403},
		{who: testapp.Adam, method: mxPost, url: list, body: forged, status: 403},
		{who: testapp.Ben, method: mxPost, url: list, body: forged, status: 401},
		{who: mxRoot, method: mxPost, url: list, body: forged, status: 200, want: []string{`"text":"forged"`},
			after: func(t testing.TB, app core.App, body map[string]any) {
				mxField(t, app, "notifications", body["id"].(string), "user", alice)
			}},

		{who: mxGuest, method: mxPatch, url: one, body: map[string]any{"text": "x"}, status: 403},
		{who: testapp.Alice, method: mxPatch, url: one, body: map[string]any{"text": "x", "read_at": types.NowDateTime()}, status: 403},
		{who: testapp.Bob, method: mxPatch, url: one, body: map[string]any{"text": "x"}, status: 403},
		{who: testapp.Adam, method: mxPatch, url: one, body: map[string]any{"text": "x"}, status: 403},
		{who: testapp.Ben, method: mxPatch, url: one, body: map[string]any{"text": "x"}, status: 401},
		{who: mxRoot, method: mxPatch, url: one, body: map[string]any{"text": "x"}, status: 200, want: []string{idIs},
			after: func(t testing.TB, app core.App, _ map[string]any) {
				mxField(t, app, "notifications", mxNAlice, "text", "x")
			}},

		{who: testapp.Alice, method: mxDelete, url: one, status: 204,
			after: func(t testing.TB, app core.App, _ map[string]any) {
				mxGone(t, app, "notifications", mxNAlice)
				mxSameIDs(t, "notifications left", mxIDsWhere(t, app, "notifications", "", nil), []string{mxNAliceRead, mxNBob})
			}},
		{who: testapp.Bob, method: mxDelete, url: one, status: 404},
		{who: mxGuest, method: mxDelete, url: one, status: 404},
		{who: testapp.Adam, method: mxDelete, url: one, status: 404},
		{who: testapp.Ben, method: mxDelete, url: one, status: 401},
		{who: mxRoot, method: mxDelete, url: one, status: 204,
			after: func(t testing.TB, app core.App, _ map[string]any) { mxGone(t, app, "notifications", mxNAlice) }},

		// alice blocked bob: his comment on her post does not notify her; gina's does
		{who: testapp.Bob, method: mxPost, url: "/api/collections/comments/records", body: comment, status: 200,
			want: []string{`"post":"` + mxAlicePost + `"`},
			after: func(t testing.TB, app core.App, _ map[string]any) {
				mxSameIDs(t, "alice's notifications", mxIDsWhere(t, app, "notifications", "user = {:u}", dbx.Params{"u": alice}),
					[]string{mxNAlice, mxNAliceRead})
			}},
		{who: testapp.Gina, method: mxPost, url: "/api/collections/comments/records", body: comment, status: 200,
			want: []string{`"post":"` + mxAlicePost + `"`},
			after: func(t testing.TB, app core.App, body map[string]any) {
				n := mxIDsWhere(t, app, "notifications", "user = {:u} && comment = {:c} && kind = 'comment' && actor = {:g}",
					dbx.Params{"u": alice, "c": body["id"], "g": gina})
				if len(n) != 1 {
					t.Errorf("alice's notifications of gina's comment: %v, want one", n)
				}
			}},
	})
}

// TestMatrixReports: members (and admins) report; reporters list and view
// only their own, admins all; nobody but a superuser edits or deletes a
// report through the records API; filters select nothing of others'.
func TestMatrixReports(t *testing.T) {
	list := "/api/collections/reports/records"
	one := list + "/" + mxRAlice
	idIs := `"id":"` + mxRAlice + `"`
	ofGina := map[string]any{"target_kind": "user", "user": gina, "reason": "abuse", "text": "rude"}
	reported := func(reporter, kind, target string) func(testing.TB, core.App, map[string]any) {
		return func(t testing.TB, app core.App, body map[string]any) {
			r := mxRecord(t, app, "reports", body["id"].(string))
			if r.GetString("reporter") != reporter || r.GetString("status") != community.ReportOpen || r.GetString(kind) != target {
				t.Errorf("stored report: reporter %q status %q %s %q", r.GetString("reporter"), r.GetString("status"), kind, r.GetString(kind))
			}
		}
	}
	open := []string{`"status":"open"`}
	mxRun(t, []mxCell{
		{who: mxGuest, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Alice, method: mxGet, url: list, status: 200, ids: []string{mxRAlice}},
		{who: testapp.Bob, method: mxGet, url: list, status: 200, ids: []string{mxRBob}},
		{who: testapp.Gina, method: mxGet, url: list, status: 200, ids: []string{}}, // the reported author
		{who: testapp.Adam, method: mxGet, url: list, status: 200, ids: []string{mxRAlice, mxRBob, mxRAI}},
		{who: testapp.Ben, method: mxGet, url: list, status: 401},
		{who: mxRoot, method: mxGet, url: list, status: 200, ids: []string{mxRAlice, mxRBob, mxRAI}},
		{who: testapp.Alice, method: mxGet, url: mxFilter("reports", `reporter = "`+bob+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},
		{who: testapp.Alice, method: mxGet, url: mxFilter("reports", `post = "`+testapp.VisiblePost(testapp.BoardPublic)+`"`), status: 200, ids: []string{mxRAlice}},
		{who: testapp.Alice, method: mxGet, url: mxFilter("reports", `reporter = ""`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},
		{who: testapp.Gina, method: mxGet, url: mxFilter("reports", `target_kind = "post"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},

		{who: testapp.Alice, method: mxGet, url: one, status: 200, want: []string{idIs}},
		{who: testapp.Bob, method: mxGet, url: one, status: 404},
		{who: testapp.Gina, method: mxGet, url: one, status: 404},
		{who: mxGuest, method: mxGet, url: one, status: 404},
		{who: testapp.Adam, method: mxGet, url: one, status: 200, want: []string{idIs}},
		{who: testapp.Ben, method: mxGet, url: one, status: 401},
		{who: mxRoot, method: mxGet, url: one, status: 200, want: []string{idIs}},
		{who: testapp.Alice, method: mxGet, url: list + "/" + mxRAI, status: 404},

		{who: mxGuest, method: mxPost, url: list, body: ofGina, status: 400},
		{who: testapp.Alice, method: mxPost, url: list, body: ofGina, status: 200, want: open, after: reported(alice, "user", gina)},
		{who: testapp.Bob, method: mxPost, url: list, body: ofGina, status: 200, want: open, after: reported(bob, "user", gina)},
		// the blocker reports whom she blocked, the blocked member the blocker
		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"target_kind": "user", "user": bob, "reason": "abuse"}, status: 200,
			want: open, after: reported(alice, "user", bob)},
		{who: testapp.Bob, method: mxPost, url: list, body: map[string]any{"target_kind": "user", "user": alice, "reason": "abuse"}, status: 200,
			want: open, after: reported(bob, "user", alice)},
		{who: testapp.Adam, method: mxPost, url: list, body: ofGina, status: 200, want: open, after: reported(adam, "user", gina)},
		{who: testapp.Ben, method: mxPost, url: list, body: ofGina, status: 401},
		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"target_kind": "post", "post": testapp.VisiblePost(testapp.BoardPublic), "reason": "other"}, status: 400},
		{who: mxRoot, method: mxPost, url: list, body: map[string]any{"target_kind": "user", "user": gina, "reason": "abuse", "reporter": bob}, status: 200,
			after: reported(bob, "user", gina)},

		{who: mxGuest, method: mxPatch, url: one, body: map[string]any{"status": "dismissed"}, status: 403},
		{who: testapp.Alice, method: mxPatch, url: one, body: map[string]any{"status": "dismissed"}, status: 403},
		{who: testapp.Adam, method: mxPatch, url: one, body: map[string]any{"status": "dismissed"}, status: 403},
		{who: testapp.Ben, method: mxPatch, url: one, body: map[string]any{"status": "dismissed"}, status: 401},
		{who: mxRoot, method: mxPatch, url: one, body: map[string]any{"status": "dismissed"}, status: 200, want: []string{`"status":"dismissed"`},
			after: func(t testing.TB, app core.App, _ map[string]any) {
				mxField(t, app, "reports", mxRAlice, "status", "dismissed")
			}},

		{who: mxGuest, method: mxDelete, url: one, status: 403},
		{who: testapp.Alice, method: mxDelete, url: one, status: 403},
		{who: testapp.Adam, method: mxDelete, url: one, status: 403},
		{who: testapp.Ben, method: mxDelete, url: one, status: 401},
		{who: mxRoot, method: mxDelete, url: one, status: 204,
			after: func(t testing.TB, app core.App, _ map[string]any) { mxGone(t, app, "reports", mxRAlice) }},
	})
}

// TestMatrixModerationLog: admins (and superusers) read the log; nobody
// else reads it, and nobody — superusers included — writes, edits or
// deletes it through the API.
func TestMatrixModerationLog(t *testing.T) {
	list := "/api/collections/moderation_log/records"
	one := list + "/" + mxLog
	idIs := `"id":"` + mxLog + `"`
	line := map[string]any{"action": "hide", "target_kind": "post", "target_id": testapp.VisiblePost(testapp.BoardPublic)}
	cells := []mxCell{
		{who: mxGuest, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Alice, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Bob, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Adam, method: mxGet, url: list, status: 200, ids: []string{mxLog}},
		{who: testapp.Ben, method: mxGet, url: list, status: 401},
		{who: mxRoot, method: mxGet, url: list, status: 200, ids: []string{mxLog}},
		{who: testapp.Alice, method: mxGet, url: mxFilter("moderation_log", `action = "hide"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},

		{who: mxGuest, method: mxGet, url: one, status: 404},
		{who: testapp.Alice, method: mxGet, url: one, status: 404},
		{who: testapp.Adam, method: mxGet, url: one, status: 200, want: []string{idIs}},
		{who: testapp.Ben, method: mxGet, url: one, status: 401},
		{who: mxRoot, method: mxGet, url: one, status: 200, want: []string{idIs}},

		// append-only, superusers included: the server writes it, nobody edits it
		{who: mxRoot, method: mxPost, url: list, body: line, status: 403},
		{who: mxRoot, method: mxPatch, url: one, body: map[string]any{"reason": "x"}, status: 403},
		{who: mxRoot, method: mxDelete, url: one, status: 403},
	}
	for _, who := range []string{mxGuest, testapp.Alice, testapp.Adam} {
		cells = append(cells,
			mxCell{who: who, method: mxPost, url: list, body: line, status: 403},
			mxCell{who: who, method: mxPatch, url: one, body: map[string]any{"reason": "x"}, status: 403},
			mxCell{who: who, method: mxDelete, url: one, status: 403})
	}
	cells = append(cells,
		mxCell{who: testapp.Ben, method: mxPost, url: list, body: line, status: 401},
		mxCell{who: testapp.Ben, method: mxPatch, url: one, body: map[string]any{"reason": "x"}, status: 401},
		mxCell{who: testapp.Ben, method: mxDelete, url: one, status: 401})
	mxRun(t, cells)
}

// TestMatrixBlocks: blocks are the blocker's alone — the blocked member
// never sees one, nor do admins; users.blocking (what the read rules check)
// follows every create, update and delete of a block.
func TestMatrixBlocks(t *testing.T) {
	list := "/api/collections/blocks/records"
	one := list + "/" + mxBAlice
	idIs := `"id":"` + mxBAlice + `"`
	mxRun(t, []mxCell{
		{who: mxGuest, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Alice, method: mxGet, url: list, status: 200, ids: []string{mxBAlice}},
		{who: testapp.Bob, method: mxGet, url: list, status: 200, ids: []string{mxBBob}}, // blocked by alice and gina
		{who: testapp.Gina, method: mxGet, url: list, status: 200, ids: []string{mxBGina}},
		{who: testapp.Adam, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Ben, method: mxGet, url: list, status: 401},
		{who: mxRoot, method: mxGet, url: list, status: 200, ids: []string{mxBAlice, mxBGina, mxBBob}},
		{who: testapp.Bob, method: mxGet, url: mxFilter("blocks", `blocked = "`+bob+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},
		{who: testapp.Gina, method: mxGet, url: mxFilter("blocks", `user = "`+alice+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},
		{who: testapp.Adam, method: mxGet, url: mxFilter("blocks", `blocked = "`+bob+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},

		{who: testapp.Alice, method: mxGet, url: one, status: 200, want: []string{idIs}},
		{who: testapp.Bob, method: mxGet, url: one, status: 404},
		{who: testapp.Gina, method: mxGet, url: one, status: 404},
		{who: mxGuest, method: mxGet, url: one, status: 404},
		{who: testapp.Adam, method: mxGet, url: one, status: 404},
		{who: testapp.Ben, method: mxGet, url: one, status: 401},
		{who: mxRoot, method: mxGet, url: one, status: 200, want: []string{idIs}},

		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"blocked": gina, "user": gina}, status: 200, want: []string{`"user":"` + alice + `"`},
			after: func(t testing.TB, app core.App, _ map[string]any) { mxBlocking(t, app, alice, bob, gina) }},
		{who: testapp.Bob, method: mxPost, url: list, body: map[string]any{"blocked": alice}, status: 200, want: []string{`"user":"` + bob + `"`},
			after: func(t testing.TB, app core.App, _ map[string]any) { mxBlocking(t, app, bob, gina, alice) }},
		{who: mxGuest, method: mxPost, url: list, body: map[string]any{"blocked": alice}, status: 400},
		{who: testapp.Ben, method: mxPost, url: list, body: map[string]any{"blocked": alice}, status: 401},
		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"blocked": bob}, status: 400}, // twice
		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"blocked": adam}, status: 400},
		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"blocked": alice}, status: 400},
		{who: mxRoot, method: mxPost, url: list, body: map[string]any{"user": alice, "blocked": gina}, status: 200,
			after: func(t testing.TB, app core.App, _ map[string]any) { mxBlocking(t, app, alice, bob, gina) }},

		{who: mxGuest, method: mxPatch, url: one, body: map[string]any{"blocked": gina}, status: 403},
		{who: testapp.Alice, method: mxPatch, url: one, body: map[string]any{"blocked": gina}, status: 403},
		{who: testapp.Bob, method: mxPatch, url: one, body: map[string]any{"blocked": gina}, status: 403},
		{who: testapp.Adam, method: mxPatch, url: one, body: map[string]any{"blocked": gina}, status: 403},
		{who: testapp.Ben, method: mxPatch, url: one, body: map[string]any{"blocked": gina}, status: 401},
		{who: mxRoot, method: mxPatch, url: one, body: map[string]any{"blocked": gina}, status: 200, want: []string{`"blocked":"` + gina + `"`},
			after: func(t testing.TB, app core.App, _ map[string]any) { mxBlocking(t, app, alice, gina) }},

		{who: testapp.Alice, method: mxDelete, url: one, status: 204,
			after: func(t testing.TB, app core.App, _ map[string]any) {
				mxGone(t, app, "blocks", mxBAlice)
				mxBlocking(t, app, alice)
				mxBlocking(t, app, gina, bob)
			}},
		{who: testapp.Bob, method: mxDelete, url: one, status: 404},
		{who: testapp.Gina, method: mxDelete, url: one, status: 404},
		{who: mxGuest, method: mxDelete, url: one, status: 404},
		{who: testapp.Adam, method: mxDelete, url: one, status: 404},
		{who: testapp.Ben, method: mxDelete, url: one, status: 401},
		{who: mxRoot, method: mxDelete, url: one, status: 204,
			after: func(t testing.TB, app core.App, _ map[string]any) { mxBlocking(t, app, alice) }},
	})
}

// TestMatrixBookmarks: bookmarks are their owner's, and only while the
// owner can read the post (a blocked author's post included); nobody but a
// superuser edits one.
func TestMatrixBookmarks(t *testing.T) {
	list := "/api/collections/bookmarks/records"
	one := list + "/" + mxKAlice
	idIs := `"id":"` + mxKAlice + `"`
	bookmarked := func(user, postID string) func(testing.TB, core.App, map[string]any) {
		return func(t testing.TB, app core.App, body map[string]any) {
			r := mxRecord(t, app, "bookmarks", body["id"].(string))
			if r.GetString("user") != user || r.GetString("post") != postID {
				t.Errorf("stored bookmark: user %q post %q, want %q %q", r.GetString("user"), r.GetString("post"), user, postID)
			}
		}
	}
	pv, ph := testapp.VisiblePost, testapp.HiddenPost
	mxRun(t, []mxCell{
		{who: mxGuest, method: mxGet, url: list, status: 200, ids: []string{}},
		// alice's bookmark of bob's post, whom she blocked, does not show
		{who: testapp.Alice, method: mxGet, url: list, status: 200, ids: []string{mxKAlice}},
		{who: testapp.Bob, method: mxGet, url: list, status: 200, ids: []string{mxKBob}},
		{who: testapp.Gina, method: mxGet, url: list, status: 200, ids: []string{mxKGina}},
		{who: testapp.Adam, method: mxGet, url: list, status: 200, ids: []string{}},
		{who: testapp.Ben, method: mxGet, url: list, status: 401},
		{who: mxRoot, method: mxGet, url: list, status: 200, ids: []string{mxKAlice, mxKAliceBob, mxKBob, mxKGina}},
		{who: testapp.Alice, method: mxGet, url: mxFilter("bookmarks", `user = "`+bob+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},
		{who: testapp.Bob, method: mxGet, url: mxFilter("bookmarks", `post = "`+pv(testapp.BoardPublic)+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},

		{who: testapp.Alice, method: mxGet, url: one, status: 200, want: []string{idIs}},
		{who: testapp.Alice, method: mxGet, url: list + "/" + mxKAliceBob, status: 404},
		{who: testapp.Bob, method: mxGet, url: one, status: 404},
		{who: testapp.Adam, method: mxGet, url: one, status: 404},
		{who: mxGuest, method: mxGet, url: one, status: 404},
		{who: testapp.Ben, method: mxGet, url: one, status: 401},
		{who: mxRoot, method: mxGet, url: one, status: 200, want: []string{idIs}},

		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"post": pv(testapp.BoardMembers), "user": bob}, status: 200,
			want: []string{`"user":"` + alice + `"`}, after: bookmarked(alice, pv(testapp.BoardMembers))},
		{who: testapp.Gina, method: mxPost, url: list, body: map[string]any{"post": pv(testapp.BoardGrantW)}, status: 200,
			after: bookmarked(gina, pv(testapp.BoardGrantW))},
		{who: testapp.Adam, method: mxPost, url: list, body: map[string]any{"post": ph(testapp.BoardPublic)}, status: 200,
			after: bookmarked(adam, ph(testapp.BoardPublic))},
		{who: mxRoot, method: mxPost, url: list, body: map[string]any{"post": pv(testapp.BoardAdmins), "user": bob}, status: 200,
			after: bookmarked(bob, pv(testapp.BoardAdmins))},
		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"post": pv(testapp.BoardGranted)}, status: 400},
		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"post": ph(testapp.BoardPublic)}, status: 400},
		{who: testapp.Alice, method: mxPost, url: list, body: map[string]any{"post": pv(testapp.BoardPublic)}, status: 400}, // twice
		{who: mxGuest, method: mxPost, url: list, body: map[string]any{"post": pv(testapp.BoardPublic)}, status: 400},
		{who: testapp.Ben, method: mxPost, url: list, body: map[string]any{"post": pv(testapp.BoardPublic)}, status: 401},

		{who: mxGuest, method: mxPatch, url: one, body: map[string]any{"post": pv(testapp.BoardMembers)}, status: 403},
		{who: testapp.Alice, method: mxPatch, url: one, body: map[string]any{"post": pv(testapp.BoardMembers)}, status: 403},
		{who: testapp.Adam, method: mxPatch, url: one, body: map[string]any{"post": pv(testapp.BoardMembers)}, status: 403},
		{who: testapp.Ben, method: mxPatch, url: one, body: map[string]any{"post": pv(testapp.BoardMembers)}, status: 401},
		{who: mxRoot, method: mxPatch, url: one, body: map[string]any{"post": pv(testapp.BoardMembers)}, status: 200, want: []string{idIs},
			after: func(t testing.TB, app core.App, _ map[string]any) {
				mxField(t, app, "bookmarks", mxKAlice, "post", pv(testapp.BoardMembers))
			}},

		{who: testapp.Alice, method: mxDelete, url: one, status: 204,
			after: func(t testing.TB, app core.App, _ map[string]any) { mxGone(t, app, "bookmarks", mxKAlice) }},
		{who: testapp.Bob, method: mxDelete, url: one, status: 404},
		{who: testapp.Adam, method: mxDelete, url: one, status: 404},
		{who: mxGuest, method: mxDelete, url: one, status: 404},
		{who: testapp.Ben, method: mxDelete, url: one, status: 401},
		{who: mxRoot, method: mxDelete, url: one, status: 204,
			after: func(t testing.TB, app core.App, _ map[string]any) { mxGone(t, app, "bookmarks", mxKAlice) }},
	})
}

// TestMatrixCategories: the readers of a board read its categories;
// admins and superusers write them (a category's board is fixed).
func TestMatrixCategories(t *testing.T) {
	list := "/api/collections/board_categories/records"
	one := list + "/" + mxCatPublic
	secret := list + "/" + mxCatGranted
	fresh := map[string]any{"board": testapp.ID(testapp.BoardPublic), "name": "정보", "sort": 2}
	created := func(t testing.TB, app core.App, body map[string]any) {
		mxField(t, app, "board_categories", body["id"].(string), "name", "정보")
		mxField(t, app, "board_categories", body["id"].(string), "board", testapp.ID(testapp.BoardPublic))
	}
	renamed := func(t testing.TB, app core.App, _ map[string]any) {
		mxField(t, app, "board_categories", mxCatPublic, "name", "질문")
	}
	gone := func(t testing.TB, app core.App, _ map[string]any) { mxGone(t, app, "board_categories", mxCatPublic) }
	all := []string{mxCatPublic, mxCatMembers, mxCatGranted, mxCatHidden}
	mxRun(t, []mxCell{
		{who: mxGuest, method: mxGet, url: list, status: 200, ids: []string{mxCatPublic}},
		{who: testapp.Alice, method: mxGet, url: list, status: 200, ids: []string{mxCatPublic, mxCatMembers}},
		{who: testapp.Gina, method: mxGet, url: list, status: 200, ids: []string{mxCatPublic, mxCatMembers, mxCatGranted}},
		{who: testapp.Adam, method: mxGet, url: list, status: 200, ids: all},
		{who: testapp.Ben, method: mxGet, url: list, status: 401},
		{who: mxRoot, method: mxGet, url: list, status: 200, ids: all},
		{who: testapp.Alice, method: mxGet, url: mxFilter("board_categories", `board = "`+testapp.ID(testapp.BoardGranted)+`"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},
		{who: mxGuest, method: mxGet, url: mxFilter("board_categories", `name = "Secret" || name = "Old"`), status: 200, ids: []string{}, want: []string{`"totalItems":0`}},

		{who: testapp.Alice, method: mxGet, url: secret, status: 404},
		{who: testapp.Gina, method: mxGet, url: secret, status: 200, want: []string{`"name":"Secret"`}},
		{who: mxGuest, method: mxGet, url: secret, status: 404},
		{who: testapp.Adam, method: mxGet, url: secret, status: 200, want: []string{`"name":"Secret"`}},
		{who: testapp.Ben, method: mxGet, url: secret, status: 401},
		{who: mxRoot, method: mxGet, url: secret, status: 200, want: []string{`"name":"Secret"`}},

		{who: mxGuest, method: mxPost, url: list, body: fresh, status: 400},
		{who: testapp.Alice, method: mxPost, url: list, body: fresh, status: 400},
		{who: testapp.Gina, method: mxPost, url: list, body: fresh, status: 400},
		{who: testapp.Ben, method: mxPost, url: list, body: fresh, status: 401},
		{who: testapp.Adam, method: mxPost, url: list, body: fresh, status: 200, after: created},
		{who: mxRoot, method: mxPost, url: list, body: fresh, status: 200, after: created},
		{who: testapp.Adam, method: mxPost, url: list, body: map[string]any{"board": testapp.ID(testapp.BoardPublic), "name": "TIPS"}, status: 400},

		{who: mxGuest, method: mxPatch, url: one, body: map[string]any{"name": "질문"}, status: 404},
		{who: testapp.Alice, method: mxPatch, url: one, body: map[string]any{"name": "질문"}, status: 404},
		{who: testapp.Ben, method: mxPatch, url: one, body: map[string]any{"name": "질문"}, status: 401},
		{who: testapp.Adam, method: mxPatch, url: one, body: map[string]any{"name": "질문"}, status: 200, want: []string{`"name":"질문"`}, after: renamed},
		{who: mxRoot, method: mxPatch, url: one, body: map[string]any{"name": "질문"}, status: 200, want: []string{`"name":"질문"`}, after: renamed},
		// a category stays on its board, for every writer: its posts were
		// checked against it (a superuser moved it until 2026-12-03)
		{who: testapp.Adam, method: mxPatch, url: one, body: map[string]any{"board": testapp.ID(testapp.BoardMembers)}, status: 400, want: []string{`"board":{"code":"fixed_field"`}},
		{who: mxRoot, method: mxPatch, url: one, body: map[string]any{"board": testapp.ID(testapp.BoardMembers)}, status: 400, want: []string{`"board":{"code":"fixed_field"`}},
		{who: testapp.Alice, method: mxPatch, url: one, body: map[string]any{"board": testapp.ID(testapp.BoardMembers)}, status: 404},
		{who: testapp.Adam, method: mxPatch, url: one, body: map[string]any{"board": testapp.ID(testapp.BoardPublic), "name": "질문"}, status: 200, want: []string{`"name":"질문"`}, after: renamed},

		{who: mxGuest, method: mxDelete, url: one, status: 404},
		{who: testapp.Alice, method: mxDelete, url: one, status: 404},
		{who: testapp.Ben, method: mxDelete, url: one, status: 401},
		{who: testapp.Adam, method: mxDelete, url: one, status: 204, after: gone},
		{who: mxRoot, method: mxDelete, url: one, status: 204, after: gone},
	})
}

// TestMatrixBoardFields: only admins and superusers set a board's
// community fields; each change is in the moderation log, by who made it.
// (Members are not asserted to see moderation_ai, moderation_threshold or
// auto_hide_reports: they are the admins'.)
func TestMatrixBoardFields(t *testing.T) {
	board := "/api/collections/boards/records/" + testapp.ID(testapp.BoardPublic)
	var cells []mxCell
	for _, f := range []struct {
		field string
		value any
	}{
		{"anonymous", true}, {"category_required", true}, {"moderation_ai", mxClassifier},
		{"moderation_threshold", 0.5}, {"auto_hide_reports", 3},
	} {
		body := map[string]any{f.field: f.value}
		for _, who := range []string{mxGuest, testapp.Alice, testapp.Gina} {
			cells = append(cells, mxCell{who: who, method: mxPatch, url: board, body: body, status: 404})
		}
		cells = append(cells, mxCell{who: testapp.Ben, method: mxPatch, url: board, body: body, status: 401})
		for who, label := range map[string]string{testapp.Adam: "adam", mxRoot: "superuser:" + testapp.SuperuserEmail} {
			cells = append(cells, mxCell{who: who, method: mxPatch, url: board, body: body, status: 200,
				want: []string{`"id":"` + testapp.ID(testapp.BoardPublic) + `"`},
				after: func(t testing.TB, app core.App, _ map[string]any) {
					mxField(t, app, "boards", testapp.ID(testapp.BoardPublic), f.field, f.value)
					lines, err := app.FindRecordsByFilter("moderation_log", "action = 'board_change' && target_id = {:b}", "", 0, 0,
						dbx.Params{"b": testapp.ID(testapp.BoardPublic)})
					if err != nil || len(lines) != 1 || lines[0].GetString("actor_label") != label || !strings.Contains(lines[0].GetString("reason"), f.field) {
						t.Errorf("board_change log lines: %v (%v), want one by %s naming %s", lines, err, label, f.field)
					}
				}})
		}
	}
	cells = append(cells,
		mxCell{who: testapp.Adam, method: mxPatch, url: board, body: map[string]any{"moderation_threshold": 1.5}, status: 400},
		mxCell{who: testapp.Adam, method: mxPatch, url: board, body: map[string]any{"auto_hide_reports": -1}, status: 400},
		mxCell{who: testapp.Adam, method: mxPatch, url: board, body: map[string]any{"moderation_ai": mxRegression}, status: 400})
	mxRun(t, cells)
}

// TestMatrixNotificationRoutes: the unread counts and marking read are
// each user's own; others' ids are ignored, not revealed.
func TestMatrixNotificationRoutes(t *testing.T) {
	unread, read := "/api/notifications/unread", "/api/notifications/read"
	marked := func(t testing.TB, app core.App, _ map[string]any) {
		if mxRecord(t, app, "notifications", mxNAlice).GetString("read_at") == "" {
			t.Error("alice's notification is still unread")
		}
		if mxRecord(t, app, "notifications", mxNBob).GetString("read_at") != "" {
			t.Error("bob's notification was marked read by alice")
		}
	}
	mxRun(t, []mxCell{
		{who: mxGuest, method: mxGet, url: unread, status: 401},
		{who: testapp.Ben, method: mxGet, url: unread, status: 401},
		{who: mxRoot, method: mxGet, url: unread, status: 403},
		{who: testapp.Alice, method: mxGet, url: unread, status: 200, want: []string{`"total":1`, `"kinds":{"comment":1}`}},
		{who: testapp.Bob, method: mxGet, url: unread, status: 200, want: []string{`"total":1`, `"kinds":{"mention":1}`}},
		{who: testapp.Adam, method: mxGet, url: unread, status: 200, want: []string{`"total":0`, `"kinds":{}`}},

		{who: testapp.Alice, method: mxPost, url: read, body: map[string]any{"ids": []string{mxNAlice}}, status: 200, want: []string{`"marked":1`}, after: marked},
		{who: testapp.Alice, method: mxPost, url: read, body: map[string]any{"all": true}, status: 200, want: []string{`"marked":1`}, after: marked},
		{who: testapp.Alice, method: mxPost, url: read, body: map[string]any{"ids": []string{mxNBob}}, status: 200, want: []string{`"marked":0`}, noop: true},
		{who: testapp.Bob, method: mxPost, url: read, body: map[string]any{"ids": []string{mxNAlice}}, status: 200, want: []string{`"marked":0`}, noop: true},
		{who: testapp.Adam, method: mxPost, url: read, body: map[string]any{"all": true}, status: 200, want: []string{`"marked":0`}, noop: true},
		{who: testapp.Adam, method: mxPost, url: read, body: map[string]any{"ids": []string{mxNAlice, mxNBob}}, status: 200, want: []string{`"marked":0`}, noop: true},
		{who: testapp.Alice, method: mxPost, url: read, body: map[string]any{}, status: 400},
		{who: mxGuest, method: mxPost, url: read, body: map[string]any{"all": true}, status: 401},
		{who: testapp.Ben, method: mxPost, url: read, body: map[string]any{"all": true}, status: 401},
		{who: mxRoot, method: mxPost, url: read, body: map[string]any{"all": true}, status: 403},
	})
}

// TestMatrixReportRoutes: only admins and superusers read the queue and
// resolve reports; a resolution changes the target, every open report of
// it, the log and the notices in one call.
func TestMatrixReportRoutes(t *testing.T) {
	queue := "/api/reports/queue"
	resolve := func(id string) string { return "/api/reports/" + id + "/resolve" }
	pv := testapp.VisiblePost(testapp.BoardPublic)
	cv := testapp.VisibleComment(testapp.BoardPublic)
	dismiss := map[string]any{"action": "dismiss", "reason": "not spam"}
	statusOf := func(t testing.TB, app core.App, want map[string]string) {
		t.Helper()
		for id, status := range want {
			if r := mxRecord(t, app, "reports", id); r.GetString("status") != status {
				t.Errorf("report %s is %q, want %q", id, r.GetString("status"), status)
			} else if status != community.ReportOpen && r.GetString("resolved_by") != adam {
				t.Errorf("report %s resolved by %q, want adam", id, r.GetString("resolved_by"))
			}
		}
	}
	logged := func(t testing.TB, app core.App, target string, actions ...string) {
		t.Helper()
		lines, err := app.FindRecordsByFilter("moderation_log", "target_id = {:t}", "created,id", 0, 0, dbx.Params{"t": target})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range lines {
			got = append(got, l.GetString("action"))
			if l.GetString("actor") != adam {
				t.Errorf("log line %s by %q, want adam", l.GetString("action"), l.GetString("actor"))
			}
		}
		mxSameIDs(t, "log of "+target, got, actions)
	}
	told := func(t testing.TB, app core.App, users ...string) {
		t.Helper()
		for _, u := range users {
			if n := mxIDsWhere(t, app, "notifications", "user = {:u} && kind = 'moderation'", dbx.Params{"u": u}); len(n) != 1 {
				t.Errorf("%s's moderation notifications: %v, want one", u, n)
			}
		}
	}
	cells := []mxCell{
		{who: testapp.Adam, method: mxPost, url: resolve(mxRAlice), body: dismiss, status: 200,
			want: []string{`"status":"dismissed"`, `"resolved_by":"` + adam + `"`},
			after: func(t testing.TB, app core.App, _ map[string]any) {
				statusOf(t, app, map[string]string{mxRAlice: community.ReportDismissed, mxRBob: community.ReportDismissed, mxRAI: community.ReportOpen})
				logged(t, app, pv, community.ActionReportResolve)
				told(t, app, alice, bob)
				mxField(t, app, "posts", pv, "is_visible", true)
			}},
		{who: testapp.Adam, method: mxPost, url: resolve(mxRAI), body: map[string]any{"action": "hide", "reason": "spam"}, status: 200,
			want: []string{`"status":"actioned"`},
			after: func(t testing.TB, app core.App, _ map[string]any) {
				statusOf(t, app, map[string]string{mxRAI: community.ReportActioned, mxRAlice: community.ReportOpen, mxRBob: community.ReportOpen})
				mxField(t, app, "comments", cv, "is_visible", false)
				logged(t, app, cv, community.ActionHide, community.ActionReportResolve)
				told(t, app, gina)
			}},
		{who: testapp.Adam, method: mxPost, url: resolve(mxRBob), body: map[string]any{"action": "ban", "reason": "spammer"}, status: 200,
			want: []string{`"status":"actioned"`},
			after: func(t testing.TB, app core.App, _ map[string]any) {
				statusOf(t, app, map[string]string{mxRAlice: community.ReportActioned, mxRBob: community.ReportActioned, mxRAI: community.ReportOpen})
				mxField(t, app, "users", gina, "banned", true)
				logged(t, app, gina, community.ActionBan)
				logged(t, app, pv, community.ActionReportResolve)
				told(t, app, alice, bob)
			}},
		{who: testapp.Adam, method: mxPost, url: resolve(testapp.ID("mxnosuch")), body: dismiss, status: 404},
		{who: testapp.Adam, method: mxPost, url: resolve(mxRAlice), body: map[string]any{"action": "delete"}, status: 400},

		{who: testapp.Adam, method: mxGet, url: queue, status: 200,
			want: []string{`"items":[`},
			after: func(t testing.TB, app core.App, body map[string]any) {
				items, _ := body["items"].([]any)
				var got []string
				for _, it := range items {
					m := it.(map[string]any)
					got = append(got, fmt.Sprint(m["target_kind"], " ", m["target_id"], " ", m["reports"], " ", m["reporters"], " ", m["from_ai"]))
				}
				want := []string{"post " + pv + " 2 2 false", "comment " + cv + " 1 0 true"}
				if !slices.Equal(got, want) {
					t.Errorf("queue %v, want %v", got, want)
				}
			}},
	}
	// superusers pass every rule: they resolve too, as nobody in users
	cells = append(cells,
		mxCell{who: mxRoot, method: mxPost, url: resolve(mxRAlice), body: dismiss, status: 200,
			want: []string{`"status":"dismissed"`, `"resolved_by":""`},
			after: func(t testing.TB, app core.App, _ map[string]any) {
				for _, id := range []string{mxRAlice, mxRBob} {
					if r := mxRecord(t, app, "reports", id); r.GetString("status") != community.ReportDismissed || r.GetString("resolved_by") != "" {
						t.Errorf("report %s: %q by %q, want dismissed by nobody", id, r.GetString("status"), r.GetString("resolved_by"))
					}
				}
				lines, err := app.FindRecordsByFilter("moderation_log", "target_id = {:t}", "", 0, 0, dbx.Params{"t": pv})
				if err != nil || len(lines) != 1 || lines[0].GetString("actor") != "" || lines[0].GetString("actor_label") != "superuser:"+testapp.SuperuserEmail {
					t.Errorf("log of the superuser's resolution: %v %v", lines, err)
				}
				told(t, app, alice, bob)
				mxField(t, app, "posts", pv, "is_visible", true)
			}},
		mxCell{who: mxRoot, method: mxGet, url: queue, status: 200, want: []string{`"items":[`}})
	for who, status := range map[string]int{mxGuest: 401, testapp.Ben: 401, testapp.Alice: 403, testapp.Bob: 403, testapp.Gina: 403} {
		cells = append(cells,
			mxCell{who: who, method: mxPost, url: resolve(mxRAlice), body: dismiss, status: status},
			mxCell{who: who, method: mxPost, url: resolve(mxRAI), body: map[string]any{"action": "hide"}, status: status},
			mxCell{who: who, method: mxGet, url: queue, status: status})
	}
	mxRun(t, cells)
}

// TestMatrixFeeds: each feed lists the visible posts of exactly the boards
// the requester reads, without the authors they blocked (alice and gina
// blocked bob, bob blocked gina).
func TestMatrixFeeds(t *testing.T) {
	pv := testapp.VisiblePost
	public := []string{pv(testapp.BoardPublic), pv(testapp.BoardAdmins), mxAlicePost}
	members := append(slices.Clone(public), pv(testapp.BoardMembers), pv(testapp.BoardGrantW))
	var cells []mxCell
	for _, feed := range []string{"/api/feed/recent?perPage=50", "/api/feed/popular?perPage=50"} {
		cells = append(cells,
			mxCell{who: mxGuest, method: mxGet, url: feed, status: 200, ids: append(slices.Clone(public), mxBobPost)},
			mxCell{who: testapp.Alice, method: mxGet, url: feed, status: 200, ids: members}, // she blocked bob
			// bob blocked gina, who wrote every fixture post
			mxCell{who: testapp.Bob, method: mxGet, url: feed, status: 200, ids: []string{mxAlicePost, mxBobPost}},
			mxCell{who: testapp.Gina, method: mxGet, url: feed, status: 200, ids: append(slices.Clone(members), pv(testapp.BoardGranted))},
			mxCell{who: testapp.Adam, method: mxGet, url: feed, status: 200, ids: append(slices.Clone(members), pv(testapp.BoardGranted), pv(testapp.BoardHidden), mxBobPost)},
			mxCell{who: mxRoot, method: mxGet, url: feed, status: 200, ids: append(slices.Clone(members), pv(testapp.BoardGranted), pv(testapp.BoardHidden), mxBobPost)},
			mxCell{who: testapp.Ben, method: mxGet, url: feed, status: 401},
		)
	}
	for i := range cells {
		if cells[i].status == 200 {
			cells[i].want = []string{`"totalItems":-1`}
		}
	}
	mxRun(t, cells)
}

// TestMatrixAccountRoutes: the export holds exactly the requester's own
// rows; signing out everywhere ends only the requester's sessions; an
// account is deleted only by its owner (or a superuser), with or without
// its content.
func TestMatrixAccountRoutes(t *testing.T) {
	export := "/api/users/me/export"
	exported := func(me string, want map[string][]string) func(testing.TB, core.App, map[string]any) {
		return func(t testing.TB, _ core.App, body map[string]any) {
			profile, _ := body["profile"].(map[string]any)
			if profile["id"] != me || profile["password"] != nil || profile["tokenKey"] != nil {
				t.Errorf("exported profile: %v", profile)
			}
			for collection, ids := range want {
				list, _ := body[collection].([]any)
				mxSameIDs(t, "exported "+collection, mxIDsOf(list), ids)
			}
		}
	}
	signedOut := func(who string) func(testing.TB, core.App, map[string]any) {
		return func(t testing.TB, app core.App, _ map[string]any) {
			if _, err := app.FindAuthRecordByToken(testapp.Token(who), core.TokenTypeAuth); err == nil {
				t.Errorf("%s's token still works", who)
			}
			for _, other := range []string{testapp.Alice, testapp.Bob, testapp.Adam} {
				if _, err := app.FindAuthRecordByToken(testapp.Token(other), core.TokenTypeAuth); other != who && err != nil {
					t.Errorf("%s's token stopped working: %v", other, err)
				}
			}
		}
	}
	user := func(id string) string { return "/api/collections/users/records/" + id }
	aliceLeft := func(t testing.TB, app core.App, _ map[string]any) {
		mxGone(t, app, "users", alice)
		mxGone(t, app, "notifications", mxNAlice, mxNAliceRead)
		mxGone(t, app, "bookmarks", mxKAlice, mxKAliceBob)
		mxGone(t, app, "blocks", mxBAlice)
		// her report is evidence: it stays, without a reporter (migration 1795900840)
		mxField(t, app, "reports", mxRAlice, "reporter", "")
		for collection, ids := range map[string][]string{"notifications": {mxNBob}, "reports": {mxRAlice, mxRBob, mxRAI},
			"bookmarks": {mxKBob, mxKGina}, "blocks": {mxBGina, mxBBob}} {
			mxSameIDs(t, collection+" left", mxIDsWhere(t, app, collection, "", nil), ids)
		}
	}
	mxRun(t, []mxCell{
		{who: mxGuest, method: mxGet, url: export, status: 401},
		{who: testapp.Ben, method: mxGet, url: export, status: 401},
		{who: mxRoot, method: mxGet, url: export, status: 403},
		{who: testapp.Alice, method: mxGet, url: export, status: 200, want: []string{`"exported_at"`},
			after: exported(alice, map[string][]string{"notifications": {mxNAlice, mxNAliceRead}, "reports": {mxRAlice},
				"bookmarks": {mxKAlice, mxKAliceBob}, "blocks": {mxBAlice}, "posts": {mxAlicePost}, "comments": {}})},
		{who: testapp.Bob, method: mxGet, url: export, status: 200, want: []string{`"exported_at"`},
			after: exported(bob, map[string][]string{"notifications": {mxNBob}, "reports": {mxRBob},
				"bookmarks": {mxKBob}, "blocks": {mxBBob}, "posts": {mxBobPost}, "comments": {}})},
		{who: testapp.Adam, method: mxGet, url: export, status: 200, want: []string{`"exported_at"`},
			after: exported(adam, map[string][]string{"notifications": {}, "reports": {}, "bookmarks": {}, "blocks": {}, "posts": {}})},

		{who: mxGuest, method: mxPost, url: "/api/users/sign-out-everywhere", status: 401},
		{who: testapp.Ben, method: mxPost, url: "/api/users/sign-out-everywhere", status: 401},
		{who: mxRoot, method: mxPost, url: "/api/users/sign-out-everywhere", status: 403},
		{who: testapp.Alice, method: mxPost, url: "/api/users/sign-out-everywhere", status: 204, after: signedOut(testapp.Alice)},
		{who: testapp.Adam, method: mxPost, url: "/api/users/sign-out-everywhere", status: 204, after: signedOut(testapp.Adam)},

		{who: testapp.Alice, method: mxDelete, url: user(alice), status: 204,
			after: func(t testing.TB, app core.App, body map[string]any) {
				aliceLeft(t, app, body)
				mxField(t, app, "posts", mxAlicePost, "author", "")
			}},
		{who: testapp.Alice, method: mxDelete, url: user(alice) + "?content=remove", status: 204,
			after: func(t testing.TB, app core.App, body map[string]any) {
				aliceLeft(t, app, body)
				mxGone(t, app, "posts", mxAlicePost)
			}},
		{who: mxRoot, method: mxDelete, url: user(alice), status: 204, after: aliceLeft},
		// the member alice and gina blocked leaves: their blocks of him go, and so does he from their users.blocking
		{who: testapp.Bob, method: mxDelete, url: user(bob), status: 204,
			after: func(t testing.TB, app core.App, _ map[string]any) {
				mxGone(t, app, "users", bob)
				mxBlocking(t, app, alice)
				mxBlocking(t, app, gina)
				mxField(t, app, "posts", mxBobPost, "author", "")
			}},
		{who: testapp.Bob, method: mxDelete, url: user(alice), status: 404},
		{who: testapp.Bob, method: mxDelete, url: user(alice) + "?content=remove", status: 404},
		{who: testapp.Adam, method: mxDelete, url: user(alice), status: 404},
		{who: testapp.Adam, method: mxDelete, url: user(alice) + "?content=remove", status: 404},
		{who: mxGuest, method: mxDelete, url: user(alice) + "?content=remove", status: 404},
		{who: testapp.Ben, method: mxDelete, url: user(testapp.ID(testapp.Ben)), status: 401},
	})
}

// mxIDsOf returns the ids of exported records.
func mxIDsOf(list []any) []string {
	out := []string{}
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			out = append(out, fmt.Sprint(m["id"]))
		}
	}
	return out
}

// TestMatrixConcurrentReports: one member sending the same report many
// times at once gets exactly one open report; many members reporting one
// post at once hide it exactly once (one log line, one notice to its
// author), and every accepted report is stored.
func TestMatrixConcurrentReports(t *testing.T) {
	app, base := server(t)
	board, err := app.FindRecordById("boards", testapp.ID(testapp.BoardPublic))
	if err != nil {
		t.Fatal(err)
	}
	board.Set("auto_hide_reports", 4)
	if err := app.Save(board); err != nil {
		t.Fatal(err)
	}
	target := testapp.CreatePost(t, app, board.Id, gina, "reported at once")
	body := map[string]any{"target_kind": "post", "post": target.Id, "reason": "spam"}
	reportsURL := base + "/api/collections/reports/records"

	// alice, 12 times at once
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 12 {
		wg.Go(func() {
			r := testapp.Call(t, http.MethodPost, reportsURL, token(testapp.Alice), body)
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[200] != 1 || statuses[400] != 11 {
		t.Fatalf("12 identical reports at once: statuses %v, want one 200 and eleven 400", statuses)
	}
	if n, _ := app.CountRecords("reports", dbx.HashExp{"reporter": alice, "post": target.Id, "status": "open"}); n != 1 {
		t.Fatalf("alice has %d open reports of the post, want 1", n)
	}

	// 10 more members at once: the post hides once 4 distinct reporters
	// reported it; who comes after can no longer read it (400)
	_, tokens := testapp.CreateMembers(t, app, "mxrep", 10)
	accepted := 1
	for _, tok := range tokens {
		wg.Go(func() {
			r := testapp.Call(t, http.MethodPost, reportsURL, tok, body)
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
	stored, _ := app.FindRecordById("posts", target.Id)
	open, _ := app.CountRecords("reports", dbx.HashExp{"post": target.Id, "status": "open"})
	if stored.GetBool("is_visible") || int(open) != accepted || accepted < 4 {
		t.Fatalf("after the reports: visible %v, %d open reports, %d accepted", stored.GetBool("is_visible"), open, accepted)
	}
	hides := mxIDsWhere(t, app, "moderation_log", "action = 'hide' && target_id = {:p}", dbx.Params{"p": target.Id})
	if len(hides) != 1 || mxRecord(t, app, "moderation_log", hides[0]).GetString("actor_label") != "system" {
		t.Fatalf("hide log lines of the post: %v, want one by the system", hides)
	}
	if n := mxIDsWhere(t, app, "notifications", "user = {:u} && kind = 'moderation' && post = {:p}", dbx.Params{"u": gina, "p": target.Id}); len(n) != 1 {
		t.Fatalf("gina's moderation notices of her post: %v, want one", n)
	}
}

// TestMatrixConcurrentChatNotifications: 40 messages at once from two
// members leave every other member exactly one unread chat notification of
// the session (count 1: it stands for "new messages here"), one of the
// messages' text; the exact numbers are /api/chat/unread's. Read, the next
// burst makes exactly one new one.
func TestMatrixConcurrentChatNotifications(t *testing.T) {
	app, base := server(t)
	others, tokens := testapp.CreateMembers(t, app, "mxchat", 3)
	members := []string{bob, gina}
	for _, o := range others {
		members = append(members, o.Id)
	}
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "burst", "kind": "group", "owner": alice, "members": members})
	sent := map[string]bool{}
	burst := func(round int) {
		var wg sync.WaitGroup
		for i := range 40 {
			who := []string{testapp.Alice, testapp.Bob}[i%2]
			text := fmt.Sprintf("round %d message %d", round, i)
			sent[text] = true
			wg.Go(func() {
				if r := testapp.Call(t, http.MethodPost, base+"/api/collections/chats/records", token(who), map[string]any{"session": session.Id, "content": text}); r.Status != 200 {
					t.Errorf("message %q: %d %s", text, r.Status, r.Raw)
				}
			})
		}
		wg.Wait()
	}
	check := func(round int) {
		t.Helper()
		recipients := map[string]string{alice: token(testapp.Alice), bob: token(testapp.Bob), gina: token(testapp.Gina)}
		for i, o := range others {
			recipients[o.Id] = tokens[i]
		}
		for user, tok := range recipients {
			all := notificationsOf(t, app, user)
			var unread []*core.Record
			for _, n := range all {
				if n.GetString("read_at") == "" {
					unread = append(unread, n)
				}
			}
			if len(all) != round || len(unread) != 1 || unread[0].GetString("kind") != community.KindChat ||
				unread[0].GetInt("count") != 1 || unread[0].GetString("session") != session.Id || !sent[unread[0].GetString("text")] {
				t.Fatalf("round %d, %s: %d notifications, unread %v", round, user, len(all), unread)
			}
			u := testapp.Call(t, http.MethodGet, base+"/api/notifications/unread", tok, nil)
			if u.Body["total"] != 1.0 || u.Body["kinds"].(map[string]any)[community.KindChat] != 1.0 {
				t.Fatalf("round %d, %s's unread notifications: %s", round, user, u.Raw)
			}
			// unread messages (no chat was opened): 40 a round, 20 for
			// alice and bob (the other's)
			want := float64(40 * round)
			if user == alice || user == bob {
				want = float64(20 * round)
			}
			if c := testapp.Call(t, http.MethodGet, base+"/api/chat/unread", tok, nil); c.Body["total"] != want {
				t.Fatalf("round %d, %s's unread messages: %s, want %v", round, user, c.Raw, want)
			}
			if r := testapp.Call(t, http.MethodPost, base+"/api/notifications/read", tok, map[string]any{"all": true}); r.Status != 200 {
				t.Fatalf("marking read: %d %s", r.Status, r.Raw)
			}
		}
	}
	burst(1)
	check(1)
	burst(2)
	check(2)
}
