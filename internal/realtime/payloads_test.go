package realtime_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

// TestAPlainPostIsEncodedOnceAnAnonymousOneForEachReader: an event of a
// post with an author looks the same to every reader, so it is encoded
// once for all of them; an anonymous post's shows its writer to admins and
// the writer only, so it is encoded for each reader, and each gets their
// own.
func TestAPlainPostIsEncodedOnceAnAnonymousOneForEachReader(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	var encoded atomic.Int64
	app.OnRecordEnrich("posts").BindFunc(func(e *core.RecordEnrichEvent) error {
		if e.RequestInfo != nil && e.RequestInfo.Context == core.RequestInfoContextRealtime {
			encoded.Add(1)
		}
		return e.Next()
	})
	_, tokens := testapp.CreateMembers(t, app, "reader", 2)
	type reader struct {
		name, token string
		sse         *testapp.SSE
	}
	readers := []reader{{name: "guest"}, {name: testapp.Gina, token: testapp.Token(testapp.Gina)},
		{name: testapp.Adam, token: testapp.Token(testapp.Adam)}, {name: testapp.Alice, token: testapp.Token(testapp.Alice)},
		{name: "reader 1", token: tokens[0]}, {name: "reader 2", token: tokens[1]}}
	for i := range readers {
		readers[i].sse = testapp.OpenSSE(t, base, readers[i].token, "posts/*")
	}

	post, err := app.FindRecordById("posts", testapp.VisiblePost(testapp.BoardPublic))
	if err != nil {
		t.Fatal(err)
	}
	writer := post.GetString("author")
	post.Set("title", "edited for everyone")
	if err := app.Save(post); err != nil {
		t.Fatal(err)
	}
	for _, r := range readers {
		if ev := r.sse.ExpectRecord(t, "posts/*"); ev["title"] != "edited for everyone" || ev["author"] != writer {
			t.Errorf("%s got %v, want the edit by %s", r.name, ev, writer)
		}
	}
	if n := encoded.Swap(0); n != 1 {
		t.Errorf("the edit of a post with an author was encoded %d times for %d readers, want once", n, len(readers))
	}

	board, err := app.FindRecordById("boards", testapp.ID(testapp.BoardPublic))
	if err != nil {
		t.Fatal(err)
	}
	board.Set("anonymous", true)
	if err := app.Save(board); err != nil {
		t.Fatal(err)
	}
	created := testapp.Call(t, http.MethodPost, base+"/api/collections/posts/records", testapp.Token(testapp.Alice),
		map[string]any{"board": board.Id, "title": "anonymous", "content": "익명으로 씁니다"})
	if created.Status != http.StatusOK {
		t.Fatalf("alice's anonymous post: %d %s", created.Status, created.Raw)
	}
	alice := testapp.ID(testapp.Alice)
	for _, r := range readers {
		want := ""
		if r.name == testapp.Alice || r.name == testapp.Adam {
			want = alice
		}
		if ev := r.sse.ExpectRecord(t, "posts/*"); ev["title"] != "anonymous" || ev["author"] != want {
			t.Errorf("%s got the anonymous post with author %q, want %q: %v", r.name, ev["author"], want, ev)
		}
	}
	if n := encoded.Load(); n != int64(len(readers)) {
		t.Errorf("the anonymous post was encoded %d times for %d readers, want once for each", n, len(readers))
	}
}
