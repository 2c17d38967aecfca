package access_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/hooks"
	"madang/internal/testapp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testapp.Cleanup()
	os.Exit(code)
}

var (
	alice = testapp.ID(testapp.Alice)
	bob   = testapp.ID(testapp.Bob)
	gina  = testapp.ID(testapp.Gina)
	adam  = testapp.ID(testapp.Adam)
)

// roles are the requesters every table runs as ("" is a guest, root the superuser).
var roles = []string{"", testapp.Alice, testapp.Bob, testapp.Gina, testapp.Adam, "root"}

// community is the content fixtures plus what the oracle probes reach for:
// alice's and bob's posts, bob's private support chat and its read mark, a
// group chat of alice and bob, bob's AI job, and ben's ban reason.
func community(t testing.TB) *tests.TestApp {
	t.Helper()
	app := testapp.NewWithContent(t)
	for i, author := range []string{alice, bob, alice} {
		testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), author, fmt.Sprintf("fixture post %d of %s", i, author[:3]))
	}
	testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"id": testapp.ID("sbob"), "name": "bob needs help", "kind": "support", "owner": bob})
	testapp.SaveRecord(t, app, "chats", map[string]any{"session": testapp.ID("sbob"), "author": bob, "content": "my secret is zebra", "is_visible": true})
	testapp.SaveRecord(t, app, "chat_reads", map[string]any{"session": testapp.ID("sbob"), "user": bob, "last_read_at": "2026-01-02 03:04:05.000Z"})
	testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"id": testapp.ID("sgroup"), "name": "alice and bob", "kind": "group", "owner": alice, "members": []string{bob}})
	testapp.SaveRecord(t, app, "chats", map[string]any{"session": testapp.ID("sgroup"), "author": alice, "content": "hello bob", "is_visible": true})
	testapp.SaveRecord(t, app, "ais", map[string]any{"id": testapp.ID("model"), "name": "tone", "kind": "text_classifier", "status": "ready", "is_visible": false})
	testapp.SaveRecord(t, app, "ai_logs", map[string]any{"user": bob, "ai": testapp.ID("model"), "description": "bob's private job",
		"input": map[string]any{"text": "private words"}, "status": "succeeded"})
	return app
}

// handler is app's full router, without a network in between.
func handler(t testing.TB, app *tests.TestApp) http.Handler {
	t.Helper()
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router}, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		h = mux
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var requests int

type answer struct {
	Status int
	Body   map[string]any
	Raw    string
}

// get answers one request. Each comes from an address of its own: the
// list API throttles an address whose filters keep finding nothing (a
// timing defence these tables would trip thousands of times).
func get(h http.Handler, who, path string, query url.Values) answer {
	req := httptest.NewRequest(http.MethodGet, path+"?"+query.Encode(), nil)
	requests++
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1234", requests>>16&255, requests>>8&255, requests&255)
	if who != "" {
		req.Header.Set("Authorization", testapp.Token(who))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{Status: rec.Code, Raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &a.Body)
	return a
}

// ids lists the ids of a list answer's items, in order.
func (a answer) ids() []string {
	items, _ := a.Body["items"].([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// fieldPaths lists every field path a filter or sort can name from c,
// through relations and back-relations, up to hops relation steps.
func fieldPaths(app core.App, c *core.Collection, hops int, prefix string) []string {
	all, _ := app.FindAllCollections()
	var out []string
	for _, f := range c.Fields {
		p := prefix + f.GetName()
		out = append(out, p)
		if rel, ok := f.(*core.RelationField); ok && hops > 0 {
			if target, err := app.FindCachedCollectionByNameOrId(rel.CollectionId); err == nil {
				out = append(out, fieldPaths(app, target, hops-1, p+".")...)
			}
		}
	}
	if hops == 0 {
		return out
	}
	for _, back := range all {
		for _, f := range back.Fields {
			if rel, ok := f.(*core.RelationField); ok && rel.CollectionId == c.Id {
				out = append(out, fieldPaths(app, back, hops-1, prefix+back.Name+"_via_"+f.GetName()+".")...)
			}
		}
	}
	return out
}

// probes are the client queries tried on every path: sorts both ways and
// filters that select by the value.
func probes(path string) []url.Values {
	return []url.Values{
		{"sort": {path + ",id"}},
		{"sort": {"-" + path + ",id"}},
		{"filter": {path + ` ~ "e"`}},
		{"filter": {path + ` != ""`}},
		{"filter": {path + ` > "m"`}},
	}
}

// change is one record's new values, written with raw SQL.
type change struct {
	table, id string
	set       dbx.Params
}

// unreadableChanges plans new values for everything who cannot read: every
// field of a record their view request does not answer, and every field the
// answer leaves out (hidden and private fields); relations will point
// nowhere. Their own password and token key stay, so that their token
// keeps working.
func unreadableChanges(t testing.TB, app core.App, h http.Handler, who string) []change {
	t.Helper()
	rnd := rand.New(rand.NewPCG(7, 11))
	all, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	var changes []change
	for _, c := range all {
		if c.IsView() || c.Name == core.CollectionNameSuperusers || strings.HasPrefix(c.Name, "_") {
			continue
		}
		var ids []string
		if err := app.DB().Select("id").From(c.Name).Column(&ids); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			seen := map[string]any{}
			if r := get(h, who, "/api/collections/"+c.Name+"/records/"+id, nil); r.Status == http.StatusOK {
				seen = r.Body
			}
			set := dbx.Params{}
			for _, f := range c.Fields {
				name := f.GetName()
				if _, ok := seen[name]; ok || name == "id" {
					continue
				}
				if who != "" && who != "root" && id == testapp.ID(who) && (name == core.FieldNamePassword || name == core.FieldNameTokenKey) {
					continue
				}
				// select and visibility values stay: the rules read them,
				// and a change could make the record readable (no oracle)
				switch f.Type() {
				case core.FieldTypeSelect:
					continue
				case core.FieldTypeBool:
					if name == "is_visible" {
						continue
					}
					set[name] = rnd.IntN(2) == 1
				case core.FieldTypeNumber:
					set[name] = rnd.IntN(1000)
				case core.FieldTypeJSON:
					set[name] = fmt.Sprintf(`{"x":"%x"}`, rnd.Uint64())
				case core.FieldTypeDate, core.FieldTypeAutodate:
					set[name] = fmt.Sprintf("20%02d-01-01 00:00:00.000Z", rnd.IntN(99))
				default:
					set[name] = fmt.Sprintf("%x", rnd.Uint64())
				}
			}
			if len(set) > 0 {
				changes = append(changes, change{c.Name, id, set})
			}
		}
	}
	return changes
}

func apply(t testing.TB, app core.App, changes []change) {
	t.Helper()
	for _, ch := range changes {
		if _, err := app.DB().Update(ch.table, ch.set, dbx.HashExp{"id": ch.id}).Execute(); err != nil {
			t.Fatalf("changing %s %s: %v", ch.table, ch.id, err)
		}
	}
}

// TestFiltersAndSortsAreNoOracle: for every requester but superusers, every
// filter or sort the list API or search accepts, on every field path from
// posts up to two relations away (relations and back-relations into users,
// chats, chat_reads, ai_logs, …), selects and orders exactly the same rows
// after every value the requester cannot read has changed. A path that
// could reveal such a value must be refused instead.
func TestFiltersAndSortsAreNoOracle(t *testing.T) {
	for _, who := range []string{"", testapp.Alice, testapp.Gina, testapp.Adam} {
		t.Run("as "+cmpName(who), func(t *testing.T) {
			app := community(t)
			h := handler(t, app)
			posts, _ := app.FindCachedCollectionByNameOrId("posts")
			paths := fieldPaths(app, posts, 2, "")

			type run struct {
				route string
				query url.Values
			}
			var runs []run
			for _, p := range paths {
				for _, q := range probes(p) {
					runs = append(runs, run{"/api/collections/posts/records", q})
				}
				runs = append(runs, run{"/api/posts/search", url.Values{"q": {"fixture"}, "sort": {p + ",id"}}})
			}

			// view requests count views: discover what is readable first,
			// then settle the counts, then take the baseline
			changes := unreadableChanges(t, app, h, who)
			if err := hooks.FlushViews(app); err != nil {
				t.Fatal(err)
			}
			before := make([]answer, len(runs))
			accepted := 0
			for i, r := range runs {
				before[i] = get(h, who, r.route, r.query)
				if before[i].Status == http.StatusOK {
					accepted++
				}
			}
			apply(t, app, changes)
			for i, r := range runs {
				after := get(h, who, r.route, r.query)
				if after.Status != before[i].Status {
					t.Errorf("%s %v: status %d, then %d after unreadable values changed", r.route, r.query, before[i].Status, after.Status)
					continue
				}
				if before[i].Status == http.StatusOK && !slices.Equal(before[i].ids(), after.ids()) {
					t.Errorf("%s %v is an oracle: %v, then %v after unreadable values changed", r.route, r.query, before[i].ids(), after.ids())
				}
			}
			t.Logf("%d paths, %d queries, %d accepted", len(paths), len(runs), accepted)
			if accepted == 0 {
				t.Fatal("no query accepted: the probe proves nothing")
			}
		})
	}
}

func cmpName(who string) string {
	if who == "" {
		return "guest"
	}
	return who
}
