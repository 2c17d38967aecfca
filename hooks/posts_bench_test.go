package hooks_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

// seedPosts inserts n posts with raw SQL in one transaction (the hooks would
// take minutes): 90% on the public board, the rest on the members board,
// by alice, bob and gina, one per second of creation time; every 50th is
// hidden. benchComments comments go on the hot post seed00000000001. The
// counters are recounted afterwards, except likes_count, which is made up
// to sort by (there are no like rows): the data is for reading.
const benchComments = 2000

func seedPosts(tb testing.TB, app *tests.TestApp, n int) {
	tb.Helper()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	authors := []string{testapp.ID(testapp.Alice), testapp.ID(testapp.Bob), testapp.ID(testapp.Gina)}
	db := app.NonconcurrentDB().(*dbx.DB)
	txx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	stmt := txx.NewQuery(`INSERT INTO posts (id, board, author, title, content, attachments, is_file_attached,
		views_count, comments_count, likes_count, is_visible, is_pinned, created, updated)
		VALUES ({:id}, {:board}, {:author}, {:title}, {:content}, '[]', FALSE, {:views}, 0, {:likes}, {:visible}, {:pinned}, {:created}, {:created})`).Prepare()
	defer stmt.Close()
	for i := range n {
		board := testapp.ID(testapp.BoardPublic)
		if i%10 == 9 {
			board = testapp.ID(testapp.BoardMembers)
		}
		created := start.Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05.000Z")
		_, err := stmt.Bind(dbx.Params{
			"id": fmt.Sprintf("seed%011d", i), "board": board, "author": authors[i%3],
			"title":   fmt.Sprintf("글 번호 %d: seeded post", i),
			"content": fmt.Sprintf("본문 %d. Lorem ipsum dolor sit amet, 마당 게시판 테스트 내용 %d.", i, i*7),
			"views":   i % 1000, "likes": i % 37, "visible": i%50 != 0, "pinned": i%5000 == 0, "created": created,
		}).Execute()
		if err != nil {
			txx.Rollback()
			tb.Fatal(err)
		}
	}
	comment := txx.NewQuery(`INSERT INTO comments (id, post, author, content, attachments, is_file_attached, parent, is_visible, created, updated)
		VALUES ({:id}, 'seed00000000001', {:author}, {:content}, '[]', FALSE, '', TRUE, {:created}, {:created})`).Prepare()
	defer comment.Close()
	for i := range benchComments {
		created := start.Add(time.Duration(n+i) * time.Second).Format("2006-01-02 15:04:05.000Z")
		_, err := comment.Bind(dbx.Params{"id": fmt.Sprintf("seedc%010d", i), "author": authors[i%3],
			"content": fmt.Sprintf("댓글 %d", i), "created": created}).Execute()
		if err != nil {
			txx.Rollback()
			tb.Fatal(err)
		}
	}
	for _, q := range []string{
		`UPDATE boards SET posts_count = (SELECT COUNT(*) FROM posts WHERE board = boards.id AND is_visible)`,
		`UPDATE posts SET comments_count = (SELECT COUNT(*) FROM comments WHERE post = posts.id AND is_visible) WHERE id = 'seed00000000001'`,
	} {
		if _, err := txx.NewQuery(q).Execute(); err != nil {
			txx.Rollback()
			tb.Fatal(err)
		}
	}
	if err := txx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// logQueries returns the SQL run on the read pool while fn runs.
func logQueries(app *tests.TestApp, fn func()) []string {
	var mu sync.Mutex
	var out []string
	stop := testapp.OnQuery(app.ConcurrentDB(), func(_ context.Context, _ time.Duration, sql string, _ *sql.Rows, _ error) {
		mu.Lock()
		out = append(out, sql)
		mu.Unlock()
	})
	fn()
	stop()
	mu.Lock() // a background query that took the watcher before stop may still be in it
	defer mu.Unlock()
	return slices.Clone(out)
}

// BenchmarkPosts100k measures the posts API through the real router (HTTP
// on loopback) with 100,000 posts, 90,000 of them on one board, and logs
// the query plan of every posts query it makes (run with -v to read them):
//
//	GOTOOLCHAIN=go1.27.3 go test ./hooks/ -run '^$' -bench Posts100k -benchtime 200x -v
func BenchmarkPosts100k(b *testing.B) {
	app := testapp.New(b)
	seedPosts(b, app, 100_000)
	base := testapp.Serve(b, app)
	board := testapp.ID(testapp.BoardPublic)
	alice := testapp.Token(testapp.Alice)
	boardFilter := "&filter=" + urlq(`board="`+board+`"`)
	reads := []struct{ name, token, url string }{
		{"list", alice, postsURL + "?perPage=20&sort=-created&skipTotal=1&expand=author" + boardFilter},
		{"list_guest", "", postsURL + "?perPage=20&sort=-created&skipTotal=1&expand=author" + boardFilter},
		{"list_pinned_first", alice, postsURL + "?perPage=20&sort=-is_pinned,-created&skipTotal=1" + boardFilter},
		{"list_most_liked", alice, postsURL + "?perPage=20&sort=-likes_count&skipTotal=1" + boardFilter},
		{"list_page_50", alice, postsURL + "?perPage=20&page=50&sort=-created&skipTotal=1" + boardFilter},
		{"list_after_cursor", alice, postsURL + "?perPage=20&sort=-created&skipTotal=1&filter=" +
			urlq(`board="`+board+`" && created < "2025-01-01 13:00:00.000Z"`)},
		{"list_by_author", alice, postsURL + "?perPage=20&sort=-created&skipTotal=1&filter=" +
			urlq(`author="`+testapp.ID(testapp.Bob)+`"`)},
		{"comments_of_hot_post", alice, commentsURL + "?perPage=50&sort=created&skipTotal=1&expand=author&filter=" +
			urlq(`post="seed00000000001"`)},
		{"list_with_total", alice, postsURL + "?perPage=20&sort=-created" + boardFilter},
		{"view", alice, postsURL + "/seed00000012345?expand=author"},
		{"search_rare", alice, "/api/posts/search?skipTotal=1&q=" + urlq("번호 12345")},
		{"search_common", alice, "/api/posts/search?skipTotal=1&q=" + urlq("게시판 seeded")},
		{"search_short_word", alice, "/api/posts/search?skipTotal=1&q=" + urlq("마당") + "&board=" + board},
		{"search_short_accented", alice, "/api/posts/search?skipTotal=1&q=" + urlq("éc") + "&board=" + board},
	}
	for _, r := range reads {
		var res testapp.Response
		queries := logQueries(app, func() { res = testapp.Call(b, http.MethodGet, base+r.url, r.token, nil) })
		if res.Status != 200 {
			b.Fatalf("%s: %d %s", r.name, res.Status, res.Raw)
		}
		for _, q := range queries {
			if !strings.Contains(q, "FROM `posts`") && !strings.Contains(q, "FROM `comments`") {
				continue
			}
			var plan []struct {
				Detail string `db:"detail"`
			}
			if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + q).All(&plan); err != nil {
				b.Fatal(err)
			}
			var lines []string
			for _, p := range plan {
				lines = append(lines, p.Detail)
			}
			b.Logf("%s plan:\n\t%s", r.name, strings.Join(lines, "\n\t"))
		}
	}
	for _, r := range reads {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				if res := testapp.Call(b, http.MethodGet, base+r.url, r.token, nil); res.Status != 200 {
					b.Fatalf("%d %s", res.Status, res.Raw)
				}
			}
		})
	}
	b.Run("create", func(b *testing.B) {
		body := map[string]any{"board": board, "title": "벤치마크 글", "content": "새 글의 본문입니다. A new post."}
		for b.Loop() {
			if res := testapp.Call(b, http.MethodPost, base+postsURL, alice, body); res.Status != 200 {
				b.Fatalf("%d %s", res.Status, res.Raw)
			}
		}
	})
}

// urlq escapes a query parameter value.
func urlq(s string) string { return url.QueryEscape(s) }
