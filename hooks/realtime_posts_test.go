package hooks_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

// postEvents subscribes who ("" for a guest) to topics over a real SSE
// connection and returns the ids of the records it receives.
func postEvents(t *testing.T, base, who string, topics ...string) <-chan string {
	records := recordEvents(t, base, who, topics...)
	ids := make(chan string, 64)
	go func() {
		for rec := range records {
			ids <- rec["id"].(string)
		}
	}()
	return ids
}

// recordEvents is postEvents with the whole records.
func recordEvents(t *testing.T, base, who string, topics ...string) <-chan map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(res.Body)
	clientID := ""
	for clientID == "" && lines.Scan() {
		if id, ok := strings.CutPrefix(lines.Text(), "id:"); ok {
			clientID = strings.TrimSpace(id)
		}
	}
	token := ""
	if who != "" {
		token = testapp.Token(who)
	}
	if r := testapp.Call(t, http.MethodPost, base+"/api/realtime", token,
		map[string]any{"clientId": clientID, "subscriptions": topics}); r.Status != http.StatusNoContent {
		t.Fatalf("%s subscribing: %d %s", who, r.Status, r.Raw)
	}
	records := make(chan map[string]any, 64)
	go func() {
		defer res.Body.Close()
		defer close(records)
		for lines.Scan() {
			var ev struct {
				Record map[string]any `json:"record"`
			}
			if data, ok := strings.CutPrefix(lines.Text(), "data:"); ok && json.Unmarshal([]byte(data), &ev) == nil && ev.Record["id"] != nil {
				records <- ev.Record
			}
		}
	}()
	return records
}

// TestPostsRealtimeFollowsReadAccess: realtime events of posts and comments
// reach exactly who may read them — hidden posts their author and admins,
// granted boards the granted members — like list and view.
func TestPostsRealtimeFollowsReadAccess(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)

	subscribers := map[string]<-chan string{}
	for _, who := range []string{testapp.Alice, testapp.Gina, testapp.Adam, ""} {
		subscribers[who] = postEvents(t, base, who, "posts/*", "comments/*")
	}
	save := func(collection string, fields map[string]any) string {
		t.Helper()
		c, err := app.FindCollectionByNameOrId(collection)
		if err != nil {
			t.Fatal(err)
		}
		r := core.NewRecord(c)
		r.Load(fields)
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
		return r.Id
	}
	gina := testapp.ID(testapp.Gina)
	cases := []struct {
		what    string
		save    func() string
		receive []string
		nothing []string
	}{
		{"a visible post on the public board",
			func() string {
				return save("posts", map[string]any{"board": testapp.ID(testapp.BoardPublic), "author": gina, "title": "t", "content": "c", "is_visible": true})
			},
			[]string{testapp.Alice, testapp.Gina, testapp.Adam, ""}, nil},
		{"a hidden post on the public board",
			func() string {
				return save("posts", map[string]any{"board": testapp.ID(testapp.BoardPublic), "author": gina, "title": "t", "content": "c", "is_visible": false})
			},
			[]string{testapp.Gina, testapp.Adam}, []string{testapp.Alice, ""}},
		{"a post on the granted board",
			func() string {
				return save("posts", map[string]any{"board": testapp.ID(testapp.BoardGranted), "author": gina, "title": "t", "content": "c", "is_visible": true})
			},
			[]string{testapp.Gina, testapp.Adam}, []string{testapp.Alice, ""}},
		{"a comment on the members board",
			func() string {
				return save("comments", map[string]any{"post": testapp.VisiblePost(testapp.BoardMembers), "author": gina, "content": "c", "is_visible": true})
			},
			[]string{testapp.Alice, testapp.Gina, testapp.Adam}, []string{""}},
		{"a hidden comment on the public board",
			func() string {
				return save("comments", map[string]any{"post": testapp.VisiblePost(testapp.BoardPublic), "author": gina, "content": "c", "is_visible": false})
			},
			[]string{testapp.Gina, testapp.Adam}, []string{testapp.Alice, ""}},
	}
	// events of other records (a parent post's new comments_count) are
	// skipped: only whether this record reaches each subscriber counts
	next := func(who, id string, wait time.Duration) bool {
		deadline := time.After(wait)
		for {
			select {
			case got := <-subscribers[who]:
				if got == id {
					return true
				}
			case <-deadline:
				return false
			}
		}
	}
	for _, c := range cases {
		id := c.save()
		for _, who := range c.receive {
			if !next(who, id, 5*time.Second) {
				t.Fatalf("%s: %q received nothing", c.what, who)
			}
		}
		for _, who := range c.nothing {
			if next(who, id, 200*time.Millisecond) {
				t.Fatalf("%s: %q received it", c.what, who)
			}
		}
	}
}

// TestCountersReachSubscribers: counters change by SQL, and still their new
// values reach who follows the post or board, and only them.
func TestCountersReachSubscribers(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	post := testapp.VisiblePost(testapp.BoardPublic)
	hidden := testapp.HiddenPost(testapp.BoardPublic)

	alice := recordEvents(t, base, testapp.Alice, "posts/"+post, "posts/"+hidden, "boards/*")
	gina := recordEvents(t, base, testapp.Gina, "posts/"+hidden)
	expect := func(c <-chan map[string]any, id, counter string, want float64) {
		t.Helper()
		for {
			select {
			case rec := <-c:
				if rec["id"] == id && rec[counter] == want {
					return
				}
				if rec["id"] != id {
					t.Fatalf("event of %v while waiting for %s.%s = %v", rec["id"], id, counter, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no event with %s.%s = %v", id, counter, want)
			}
		}
	}
	call := func(method, url, who string, body map[string]any, status int) map[string]any {
		t.Helper()
		r := testapp.Call(t, method, base+url, testapp.Token(who), body)
		if r.Status != status {
			t.Fatalf("%s %s as %s: %d %s", method, url, who, r.Status, r.Raw)
		}
		return r.Body
	}

	like := call(http.MethodPost, "/api/collections/post_likes/records", testapp.Alice,
		map[string]any{"post": post, "user": testapp.ID(testapp.Alice)}, 200)
	expect(alice, post, "likes_count", 2)
	call(http.MethodPost, "/api/collections/comments/records", testapp.Bob, map[string]any{"post": post, "content": "좋아요"}, 200)
	expect(alice, post, "comments_count", 3)
	call(http.MethodDelete, "/api/collections/post_likes/records/"+like["id"].(string), testapp.Alice, nil, 204)
	expect(alice, post, "likes_count", 1)
	call(http.MethodPost, "/api/collections/posts/records", testapp.Bob,
		map[string]any{"board": testapp.ID(testapp.BoardPublic), "title": "새 글", "content": "c"}, 200)
	expect(alice, testapp.ID(testapp.BoardPublic), "posts_count", 2)

	// a comment on the hidden post: its author hears of it, alice may not read it
	call(http.MethodPost, "/api/collections/comments/records", testapp.Gina, map[string]any{"post": hidden, "content": "메모"}, 200)
	expect(gina, hidden, "comments_count", 2)
	select {
	case rec := <-alice:
		t.Fatalf("alice got %v", rec)
	case <-time.After(300 * time.Millisecond):
	}
}
