package community_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

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

func token(who string) string {
	if who == "" {
		return ""
	}
	return testapp.Token(who)
}

// server is a fixture app with content, served on loopback.
func server(t testing.TB) (*tests.TestApp, string) {
	t.Helper()
	app := testapp.NewWithContent(t)
	return app, testapp.Serve(t, app)
}

func call(t testing.TB, base, method, path, who string, body any) testapp.Response {
	t.Helper()
	return testapp.Call(t, method, base+path, token(who), body)
}

func mustCall(t testing.TB, base, method, path, who string, body any, status int) testapp.Response {
	t.Helper()
	r := call(t, base, method, path, who, body)
	if r.Status != status {
		t.Fatalf("%s %s as %q: %d %s, want %d", method, path, who, r.Status, r.Raw, status)
	}
	return r
}

// notificationsOf returns user's notifications, newest first.
func notificationsOf(t *testing.T, app core.App, user string) []*core.Record {
	t.Helper()
	records, err := app.FindRecordsByFilter("notifications", "user = {:u}", "-created,-id", 0, 0, map[string]any{"u": user})
	if err != nil {
		t.Fatal(err)
	}
	return records
}

func ids(items []any) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func items(r testapp.Response) []any {
	items, _ := r.Body["items"].([]any)
	return items
}

var _ = http.MethodGet
