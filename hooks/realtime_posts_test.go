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
	ids := make(chan string, 64)
	go func() {
		defer res.Body.Close()
		for lines.Scan() {
			var ev struct {
				Record struct {
					ID     string         `json:"id"`
					Expand map[string]any `json:"expand"`
				} `json:"record"`
			}
			if data, ok := strings.CutPrefix(lines.Text(), "data:"); ok && json.Unmarshal([]byte(data), &ev) == nil && ev.Record.ID != "" {
				ids <- ev.Record.ID
			}
		}
	}()
	return ids
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
	for _, c := range cases {
		id := c.save()
		for _, who := range c.receive {
			select {
			case got := <-subscribers[who]:
				if got != id {
					t.Fatalf("%s: %q got %s, want %s", c.what, who, got, id)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: %q received nothing", c.what, who)
			}
		}
		for _, who := range c.nothing {
			select {
			case got := <-subscribers[who]:
				t.Fatalf("%s: %q received %s", c.what, who, got)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}
