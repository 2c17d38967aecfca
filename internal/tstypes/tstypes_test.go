package tstypes_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"madang/internal/testapp"
	"madang/internal/tstypes"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testapp.Cleanup()
	os.Exit(code)
}

// The committed definitions are what the generator writes for the
// migrated app now.
func TestCommittedDefinitionsAreFresh(t *testing.T) {
	app := testapp.New(t)
	want, err := tstypes.Generate(app, tstypes.WebClientSDK)
	if err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", filepath.FromSlash(tstypes.DefaultOut))
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run `go build -o madang . && ./madang types --out %s` and commit it", tstypes.DefaultOut, tstypes.DefaultOut)
	}
}

// `madang types --out FILE` writes the same definitions, importing the
// SDK's types as a TypeScript client does, from the npm package
// 'pocketbase', unless --sdk-import names another module; written into a
// pb_public/js folder they import the vendored build beside it, and the
// command the committed copy's header names writes that copy byte for
// byte. Until 2026-12-07 every output imported '../vendor/pocketbase.es.mjs',
// which resolves nowhere but in pb_public/js, and until 2026-12-08 every
// header told to regenerate it into pb_public/js.
func TestTypesCommand(t *testing.T) {
	app := testapp.New(t)
	dir := t.TempDir()
	types := func(args ...string) string {
		t.Helper()
		msg, err := testapp.RunCLI(t, app, append([]string{"types"}, args...)...)
		if err != nil {
			t.Fatalf("types %v: %v: %s", args, err, msg)
		}
		return msg
	}
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	imports := func(sdk string) string {
		return "import type PocketBase from '" + sdk + "';\n" +
			"import type { ListResult, RecordModel, RecordService } from '" + sdk + "';\n"
	}

	out := filepath.Join(dir, "src", "madang-types.d.ts")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	types("--out", out)
	written := read(out)
	want, err := tstypes.Generate(app, tstypes.SDKPackage)
	if err != nil {
		t.Fatal(err)
	}
	if written != string(want) {
		t.Fatal("types --out wrote something else than Generate")
	}
	if !strings.Contains(written, imports("pocketbase")) || strings.Contains(written, "vendor") || strings.Contains(written, "pb_public") {
		t.Errorf("types --out %s does not import the SDK from 'pocketbase':\n%.600s", out, written)
	}
	for _, s := range []string{"export interface PostsRecord<", "collection(idOrName: 'posts'): RecordService<PostsRecord>;",
		"'POST /api/ais/{id}/infer': {", "can_write: boolean;"} {
		if !strings.Contains(written, s) {
			t.Errorf("the definitions lack %q", s)
		}
	}
	if stdout := types(); stdout != written {
		t.Errorf("types to standard output differs from types --out:\n%.600s", stdout)
	}
	if stdout := types("--sdk-import", "./lib/pocketbase.mjs"); !strings.Contains(stdout, imports("./lib/pocketbase.mjs")) {
		t.Errorf("types --sdk-import ./lib/pocketbase.mjs:\n%.600s", stdout)
	}

	webClient := filepath.Join(dir, filepath.FromSlash(tstypes.DefaultOut))
	if err := os.MkdirAll(filepath.Dir(webClient), 0o755); err != nil {
		t.Fatal(err)
	}
	types("--out", webClient)
	committed := read(filepath.Join("..", "..", filepath.FromSlash(tstypes.DefaultOut)))
	if got := read(webClient); got != committed || !strings.Contains(got, imports(tstypes.WebClientSDK)) {
		t.Errorf("types --out %s differs from the committed copy:\n%.600s", tstypes.DefaultOut, got)
	}
	if got := types("--out", webClient, "--sdk-import", "pocketbase"); !strings.Contains(read(webClient), imports("pocketbase")) {
		t.Errorf("--sdk-import pocketbase in pb_public/js: %s", got)
	}
}

// The route table declares exactly the routes Madang registers besides
// PocketBase's own, so a new route cannot go without types.
func TestRoutesAreTheRegisteredOnes(t *testing.T) {
	app := testapp.New(t)
	r, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	pocketbase := routesOf(r) // before serving: PocketBase's own routes
	if err := app.OnServe().Trigger(&core.ServeEvent{App: app, Router: r}, func(*core.ServeEvent) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var registered []string
	for _, r := range routesOf(r) {
		// PocketBase's dashboard adds its routes on serve too, outside /api/
		if !slices.Contains(pocketbase, r) && strings.Contains(r, " /api/") {
			registered = append(registered, r)
		}
	}
	var declared []string
	for _, r := range tstypes.Routes {
		declared = append(declared, r.Method+" "+r.Path)
	}
	slices.Sort(registered)
	slices.Sort(declared)
	if !slices.Equal(registered, declared) {
		t.Fatalf("the routes in internal/tstypes/routes.go differ from the registered ones:\n declared   %q\n registered %q\n"+
			"declare each route's query, body and answer there, then run ./madang types --out %s", declared, registered, tstypes.DefaultOut)
	}
}

// routesOf lists a router's routes as "METHOD /path". The router keeps them
// in unexported fields; reflection reads them without changing anything.
func routesOf(r *router.Router[*core.RequestEvent]) []string {
	var out []string
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			v = v.Elem()
		}
		if children := v.FieldByName("children"); children.IsValid() {
			prefix += v.FieldByName("Prefix").String()
			for i := range children.Len() {
				walk(children.Index(i), prefix)
			}
			return
		}
		out = append(out, v.FieldByName("Method").String()+" "+prefix+v.FieldByName("Path").String())
	}
	walk(reflect.ValueOf(r.RouterGroup), "")
	return out
}

// Every route answers, on a real app, with the keys its declaration names,
// and every record in the answers matches its collection's record type.
func TestRouteAnswers(t *testing.T) {
	app := testapp.NewWithContent(t)
	for _, f := range []struct{ collection, id string }{{"boards", testapp.ID(testapp.BoardPublic)}} {
		r, err := app.FindRecordById(f.collection, f.id)
		if err != nil {
			t.Fatal(err)
		}
		r.Set("anonymous", true)
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	model := testapp.SaveRecord(t, app, "ais", map[string]any{"name": "line", "kind": "linear_regression",
		"status": "ready", "is_visible": true, "options": `{"target":"y"}`,
		"model": `{"features":["x0"],"coefficients":[2],"intercept":1,"target":"y"}`})
	chatModel := testapp.SaveRecord(t, app, "ais", map[string]any{"name": "talk", "kind": "openai_chat",
		"status": "draft", "is_visible": true, "options": `{"base_url":"https://example.invalid/v1","model":"m"}`})
	base := testapp.Serve(t, app)
	alice, bob, adam := testapp.Token(testapp.Alice), testapp.Token(testapp.Bob), testapp.Token(testapp.Adam)
	public := testapp.ID(testapp.BoardPublic)

	call := func(method, path, token string, body any) testapp.Response {
		t.Helper()
		return testapp.Call(t, method, base+path, token, body)
	}
	post := call(http.MethodPost, "/api/collections/posts/records", alice,
		map[string]any{"board": public, "title": "hello typed world", "content": "anonymous hello"}).Body
	call(http.MethodPost, "/api/collections/comments/records", bob, map[string]any{"post": post["id"], "content": "hello back"})
	session := call(http.MethodPost, "/api/collections/chat_sessions/records", alice,
		map[string]any{"name": "typed", "kind": "group", "members": []string{testapp.ID(testapp.Bob)}}).Body
	call(http.MethodPost, "/api/collections/chats/records", alice, map[string]any{"session": session["id"], "content": "hi bob"})
	report := call(http.MethodPost, "/api/collections/reports/records", bob,
		map[string]any{"target_kind": "post", "post": testapp.VisiblePost(testapp.BoardMembers), "reason": "spam"}).Body
	var job string

	// calls are each route's request, in an order whose setup holds
	calls := []struct {
		route       string
		token, path string
		body        any
		off         int // the status when the Centrifugo tier is off, as in tests (its answer is then not checked)
	}{
		{"GET /api/posts/search", alice, "/api/posts/search?q=hello", nil, 0},
		{"GET /api/comments/search", alice, "/api/comments/search?q=fixture&perPage=3", nil, 0},
		{"GET /api/feed/recent", alice, "/api/feed/recent", nil, 0},
		{"GET /api/feed/popular", "", "/api/feed/popular?perPage=5", nil, 0},
		{"GET /api/users/suggest", alice, "/api/users/suggest?q=b", nil, 0},
		{"GET /api/notifications/unread", alice, "/api/notifications/unread", nil, 0},
		{"POST /api/notifications/read", alice, "/api/notifications/read", map[string]any{"all": true}, 0},
		{"GET /api/reports/queue", adam, "/api/reports/queue", nil, 0},
		{"POST /api/reports/{id}/resolve", adam, "/api/reports/" + report["id"].(string) + "/resolve", map[string]any{"action": "dismiss", "reason": "fine"}, 0},
		{"GET /api/reports/ai-export", adam, "/api/reports/ai-export", nil, 0},
		{"POST /api/ais/{id}/train", adam, "/api/ais/" + chatModel.Id + "/train", nil, 0},
		{"POST /api/ais/{id}/infer", alice, "/api/ais/" + model.Id + "/infer", map[string]any{"input": map[string]any{"features": map[string]any{"x0": 1}}}, 0},
		{"POST /api/ai_logs/{id}/cancel", alice, "/api/ai_logs/{job}/cancel", nil, 0},
		{"GET /api/ai/stats", adam, "/api/ai/stats", nil, 0},
		{"POST /api/chat/ticket", alice, "/api/chat/ticket", nil, 0},
		{"GET /api/chat/ws", "", "/api/chat/ws", nil, 0},
		{"POST /api/chat/sessions/{id}/typing", alice, "/api/chat/sessions/" + session["id"].(string) + "/typing", nil, 0},
		{"POST /api/chat/sessions/{id}/read", bob, "/api/chat/sessions/" + session["id"].(string) + "/read", nil, 0},
		{"GET /api/chat/unread", bob, "/api/chat/unread", nil, 0},
		{"GET /api/metrics", testapp.Token("root"), "/api/metrics", nil, 0},
		{"GET /api/realtime/config", "", "/api/realtime/config", nil, 0},
		{"GET /api/realtime/token", alice, "/api/realtime/token", nil, http.StatusNotFound},
		{"POST /api/realtime/token", alice, "/api/realtime/token", nil, http.StatusNotFound},
		{"POST /api/realtime/subscribe", "", "/api/realtime/subscribe", map[string]any{"user": testapp.ID(testapp.Alice), "channel": "x"}, http.StatusNotFound},
		{"POST /api/chat/sessions/{id}/leave", bob, "/api/chat/sessions/" + session["id"].(string) + "/leave", nil, 0},
		{"POST /api/users/{id}/moderate", adam, "/api/users/" + testapp.ID(testapp.Bob) + "/moderate", map[string]any{"action": "name_reset", "reason": "rude"}, 0},
		{"GET /api/users/me/export", alice, "/api/users/me/export", nil, 0},
		{"POST /api/users/sign-out-everywhere", testapp.Token(testapp.Gina), "/api/users/sign-out-everywhere", nil, 0},
	}
	routes := map[string]tstypes.Route{}
	for _, r := range tstypes.Routes {
		routes[r.Method+" "+r.Path] = r
	}
	for _, c := range calls {
		route, ok := routes[c.route]
		if !ok {
			t.Errorf("%s is called here but not declared", c.route)
			continue
		}
		delete(routes, c.route)
		path := strings.Replace(c.path, "{job}", job, 1)
		if route.Path == "/api/chat/ws" {
			ticket := call(http.MethodPost, "/api/chat/ticket", alice, nil).Body["ticket"].(string)
			dialWebSocket(t, strings.Replace(base, "http", "ws", 1)+path+"?ticket="+ticket)
			continue
		}
		res := call(route.Method, path, c.token, c.body)
		if c.off != 0 {
			if res.Status != c.off {
				t.Errorf("%s: status %d with the realtime tier off, want %d: %s", c.route, res.Status, c.off, res.Raw)
			}
			continue
		}
		if res.Status != route.Status {
			t.Errorf("%s: status %d, declared %d: %s", c.route, res.Status, route.Status, res.Raw)
			continue
		}
		if route.Path == "/api/ais/{id}/infer" {
			job = res.Body["id"].(string)
		}
		if res.Status == http.StatusNoContent || route.Path == "/api/reports/ai-export" {
			continue
		}
		for _, p := range route.CheckAnswer(app, res.Body) {
			t.Errorf("%s: %s", c.route, p)
		}
	}
	for r := range routes {
		t.Errorf("%s is declared but not called by this test: add a call", r)
	}

	// every collection's records, as an admin and a member see them
	collections, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range collections {
		if col.System {
			continue
		}
		for _, who := range []string{adam, alice, testapp.Token("root")} {
			res := call(http.MethodGet, "/api/collections/"+col.Name+"/records?perPage=20", who, nil)
			items, _ := res.Body["items"].([]any)
			for _, item := range items {
				for _, p := range tstypes.CheckRecord(app, col.Name, item) {
					t.Errorf("records of %s: %s", col.Name, p)
				}
			}
		}
	}
}

func dialWebSocket(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Errorf("GET /api/chat/ws: %v", err)
		return
	}
	defer ws.CloseNow()
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("GET /api/chat/ws: status %d", res.StatusCode)
	}
}
