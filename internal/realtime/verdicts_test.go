package realtime_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"madang/internal/testapp"
)

// TestReadersAlikeShareTheRuleAndEachGetsTheirOwn: members alike in all
// the posts rule reads share one answer per event (access.Verdicts), and
// every subscriber still gets exactly what the records API shows them: a
// post's new counters reach the alike members, its writer, an admin and a
// guest, not a member who blocked the writer; an edit of a hidden post
// reaches only its writer and the admin.
func TestReadersAlikeShareTheRuleAndEachGetsTheirOwn(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	gina := testapp.ID(testapp.Gina)
	// more readers than realtime's shareFrom (8), so that they share
	members, tokens := testapp.CreateMembers(t, app, "alike", 7)
	blocker := members[6]
	testapp.SaveRecord(t, app, "blocks", map[string]any{"user": blocker.Id, "blocked": gina})

	type reader struct {
		name, token string
		sse         *testapp.SSE
	}
	readers := []reader{{name: "guest"}, {name: testapp.Gina, token: testapp.Token(testapp.Gina)},
		{name: testapp.Adam, token: testapp.Token(testapp.Adam)}, {name: "blocker", token: tokens[6]}}
	for i := range 6 {
		readers = append(readers, reader{name: members[i].Email(), token: tokens[i]})
	}
	for i := range readers {
		readers[i].sse = testapp.OpenSSE(t, base, readers[i].token, "posts/*", testapp.SentinelTopic)
	}

	visible, hidden := testapp.VisiblePost(testapp.BoardPublic), testapp.HiddenPost(testapp.BoardPublic)
	// the visible post's counters, announced within 50 ms (hooks/posts.go):
	// once its writer has them, every reader's are queued
	testapp.CreateLike(t, app, visible, testapp.ID(testapp.Alice))
	writer := readers[1]
	var early []testapp.Event
	for {
		ev, ok := writer.sse.Next(5 * time.Second)
		if !ok {
			t.Fatal("the writer got no counter update")
		}
		early = append(early, ev)
		if ev.Record()["id"] == visible {
			break
		}
	}
	post, err := app.FindRecordById("posts", hidden)
	if err != nil {
		t.Fatal(err)
	}
	post.Set("title", "hidden, edited")
	if err := app.Save(post); err != nil {
		t.Fatal(err)
	}
	sentinel := testapp.Sentinel(t, app)

	for _, r := range readers {
		var got []string
		events := r.sse.Before(t, sentinel)
		if r.name == writer.name {
			events = append(early, events...)
		}
		for _, ev := range events {
			if id, _ := ev.Record()["id"].(string); !slices.Contains(got, id) {
				got = append(got, id)
			}
		}
		var want []string
		for _, id := range []string{visible, hidden} {
			if res := testapp.Call(t, http.MethodGet, base+"/api/collections/posts/records/"+id, r.token, nil); res.Status == http.StatusOK {
				want = append(want, id)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: events of %v, the records API shows %v", r.name, got, want)
		}
	}
	// the cases the test is for, whatever the API says
	if res := testapp.Call(t, http.MethodGet, base+"/api/collections/posts/records/"+visible, tokens[6], nil); res.Status == http.StatusOK {
		t.Errorf("the blocker sees the blocked writer's post: %d", res.Status)
	}
	if res := testapp.Call(t, http.MethodGet, base+"/api/collections/posts/records/"+hidden, tokens[0], nil); res.Status == http.StatusOK {
		t.Errorf("a member sees the hidden post: %d", res.Status)
	}
}
