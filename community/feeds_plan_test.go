package community_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"madang/internal/testapp"
)

// TestFeedsUseIndexes: the feeds' queries, as the routes build them for a
// member, walk an index of posts — never a full scan — so a page costs the
// same at 100,000 posts as at 100 (EXPLAIN QUERY PLAN, printed).
func TestFeedsUseIndexes(t *testing.T) {
	app, base := server(t)
	var mu sync.Mutex
	var queries []string
	t.Cleanup(testapp.OnQuery(app.ConcurrentDB(), func(_ context.Context, _ time.Duration, q string, _ *sql.Rows, _ error) {
		if strings.HasPrefix(q, "SELECT DISTINCT `posts`.*") {
			mu.Lock()
			queries = append(queries, q)
			mu.Unlock()
		}
	}))
	for _, feed := range []string{"recent", "popular"} {
		mu.Lock()
		queries = nil
		mu.Unlock()
		mustCall(t, base, http.MethodGet, "/api/feed/"+feed+"?perPage=20", "bob", nil, 200)
		mu.Lock()
		if len(queries) != 1 {
			mu.Unlock()
			t.Fatalf("%s: %d posts queries logged", feed, len(queries))
		}
		q := queries[0]
		mu.Unlock()
		var plan []struct {
			Detail string `db:"detail"`
		}
		if err := app.ConcurrentDB().NewQuery("EXPLAIN QUERY PLAN " + q).All(&plan); err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, p := range plan {
			lines = append(lines, p.Detail)
			if p.Detail == "SCAN posts" {
				t.Errorf("%s feed scans every post", feed)
			}
		}
		t.Logf("%s feed plan:\n  %s", feed, strings.Join(lines, "\n  "))
	}
}
