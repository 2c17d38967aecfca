package sqlite_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"madang/internal/sqlite"
	"madang/internal/testapp"
)

// A create through PocketBase's records API checks its rule with a text
// Madang's connections keep compiled (createcheck.go): after three
// comments, one connection keeps the comments' create check, written as
// createCheckText writes it. Should PocketBase write the check otherwise,
// this fails, and createcheck.go needs to follow it.
func TestRecordsAPICreateCheckKept(t *testing.T) {
	app := testapp.NewWithContent(t)
	defer app.Cleanup()
	app.ConcurrentDB().(*dbx.DB).DB().SetMaxOpenConns(1) // one read connection: what it keeps is observable
	base := testapp.Serve(t, app)
	for i := range 3 {
		r := testapp.Call(t, http.MethodPost, base+"/api/collections/comments/records", testapp.Token(testapp.Alice),
			map[string]any{"post": testapp.VisiblePost(testapp.BoardPublic), "content": strings.Repeat("kept ", i+1)})
		if r.Status != http.StatusOK {
			t.Fatalf("comment %d: %d %s", i, r.Status, r.Raw)
		}
	}
	texts, err := sqlite.KeptTexts(app.ConcurrentDB().(*dbx.DB).DB())
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, text := range texts {
		if strings.HasPrefix(text, "WITH `comments__pb_create__000000` as (SELECT ") {
			found++
		}
		if strings.Contains(text, "__pb_create__") && !strings.Contains(text, "__pb_create__000000") {
			t.Errorf("a create check is kept with its random name: %.120s", text)
		}
	}
	if found != 1 {
		t.Errorf("the read connection keeps %d comments create checks among its %d statements, not 1", found, len(texts))
	}
}
