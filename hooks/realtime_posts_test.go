package hooks_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"madang/internal/access"
	"madang/internal/testapp"
)

// stream is one subscriber's SSE connection and the ids of every record
// event it got so far. PocketBase's own broadcast sends each event from a
// goroutine of its own (routine.FireAndForget in realtimeBroadcastRecord),
// so the events of two records may reach a client in either order: a test
// waits for the record it expects, and checks the records that must not
// arrive against everything the stream got by its end (after a sentinel
// saved after all of them).
type stream struct {
	c    *testapp.SSE
	seen map[string]bool
}

// until reads record events until one of id has arrived (now or before).
func (s *stream) until(t *testing.T, id string) {
	t.Helper()
	for !s.seen[id] {
		ev, ok := s.c.Next(5 * time.Second)
		if !ok {
			t.Fatalf("no event of record %s (got %v)", id, s.seen)
		}
		if rid, _ := ev.Record()["id"].(string); rid != "" {
			s.seen[rid] = true
		}
	}
}

// TestPostsRealtimeFollowsReadAccess: realtime events of posts and comments
// reach exactly who may read them — hidden posts their author and admins,
// granted boards the granted members — like list and view.
func TestPostsRealtimeFollowsReadAccess(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)

	subscribers := map[string]*stream{}
	for _, who := range []string{testapp.Alice, testapp.Gina, testapp.Adam, ""} {
		token := ""
		if who != "" {
			token = testapp.Token(who)
		}
		subscribers[who] = &stream{c: testapp.OpenSSE(t, base, token, "posts/*", "comments/*"), seen: map[string]bool{}}
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
	// who should get a case's record waits for it; who should not is
	// checked at the end, once every subscriber got a last post everyone
	// may read, saved after all the cases. Events of other records (a
	// parent post's new comments_count) only fill the streams' records.
	type record struct{ what, id string }
	never := map[string][]record{} // subscriber → records they must not get
	for _, c := range cases {
		id := c.save()
		for _, who := range c.receive {
			subscribers[who].until(t, id)
		}
		for _, who := range c.nothing {
			never[who] = append(never[who], record{c.what, id})
		}
	}
	sentinel := save("posts", map[string]any{"board": testapp.ID(testapp.BoardPublic), "author": gina, "title": "sentinel", "content": "c", "is_visible": true})
	for who, s := range subscribers {
		s.until(t, sentinel)
		for _, r := range never[who] {
			if s.seen[r.id] {
				t.Errorf("%s: %q received it", r.what, who)
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

	alice := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "posts/"+post, "posts/"+hidden, "boards/*")
	gina := testapp.OpenSSE(t, base, testapp.Token(testapp.Gina), "posts/"+hidden)
	expect := func(c *testapp.SSE, id, counter string, want float64) {
		t.Helper()
		for {
			ev, ok := c.Next(5 * time.Second)
			if !ok {
				t.Fatalf("no event with %s.%s = %v", id, counter, want)
			}
			rec := ev.Record()
			if rec["id"] == id && rec[counter] == want {
				return
			}
			if rec["id"] != id {
				t.Fatalf("event of %v while waiting for %s.%s = %v", rec["id"], id, counter, want)
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

	// a comment on the hidden post: its author hears of it, alice may not
	// read it; her like after it is the first event she gets
	call(http.MethodPost, "/api/collections/comments/records", testapp.Gina, map[string]any{"post": hidden, "content": "메모"}, 200)
	expect(gina, hidden, "comments_count", 2)
	call(http.MethodPost, "/api/collections/post_likes/records", testapp.Alice,
		map[string]any{"post": post, "user": testapp.ID(testapp.Alice)}, 200)
	alice.ExpectOnly(t, func(ev testapp.Event) bool {
		return ev.Record()["id"] == post && ev.Record()["likes_count"] == 2.0
	})
}

// TestAnnouncerFinishesBeforeTheDatabaseCloses: an app's terminate waits
// for a counter announce in flight, which reads the database, before the
// database closes (CI once saw the announcer panic on a closed test app).
func TestAnnouncerFinishesBeforeTheDatabaseCloses(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	post := testapp.VisiblePost(testapp.BoardPublic)
	testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "posts/"+post) // a subscriber, so the post is announced

	entered, release, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var armed sync.Once
	app.OnRecordEnrich(access.CollectionNamePosts).BindFunc(func(e *core.RecordEnrichEvent) error {
		if e.RequestInfo.Context != core.RequestInfoContextRealtime {
			return e.Next()
		}
		armed.Do(func() {
			close(entered)
			<-release
			var err error
			for range 20 { // the announce still reads (a batch of marked parents)
				if _, err = app.FindRecordById(access.CollectionNamePosts, post); err != nil {
					break
				}
			}
			finished <- err
		})
		return e.Next()
	})

	r := testapp.Call(t, http.MethodPost, base+"/api/collections/post_likes/records", testapp.Token(testapp.Alice),
		map[string]any{"post": post, "user": testapp.ID(testapp.Alice)})
	if r.Status != http.StatusOK {
		t.Fatalf("like: %d %s", r.Status, r.Raw)
	}
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the like's announce never reached the subscriber")
	}

	var released sync.Once // the test app terminates once more at its cleanup
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{Priority: -1000, Func: func(e *core.TerminateEvent) error {
		released.Do(func() { close(release) })
		return e.Next()
	}})
	testapp.FinishesBeforeClose(t, app, finished, "a counter announce")
}

// TestUpdatesOnlyWhatTheSubscriberSees: a user's update event reaches a
// subscriber only when something they see changed. A member following
// users/ID learns nothing of a ban or an unban (private fields, updated
// included); a rename reaches them. Admins see it all. Until 2026-12-03 every ban and unban reached every follower as an
// update with nothing visible changed, telling them when a moderator acted.
func TestUpdatesOnlyWhatTheSubscriberSees(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	bobTopic := "users/" + testapp.ID(testapp.Bob)
	alice := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), bobTopic, testapp.SentinelTopic)
	adam := testapp.OpenSSE(t, base, testapp.Token(testapp.Adam), bobTopic, testapp.SentinelTopic)

	call := func(who, method, url string, body map[string]any) {
		t.Helper()
		if r := testapp.Call(t, method, base+url, testapp.Token(who), body); r.Status != 200 {
			t.Fatalf("%s %s %s: %d %s", who, method, url, r.Status, r.Raw)
		}
	}
	call(testapp.Adam, http.MethodPatch, userURL(testapp.Bob), map[string]any{"banned": true, "ban_reason": "spam"})
	call(testapp.Adam, http.MethodPatch, userURL(testapp.Bob), map[string]any{"banned": false})
	call(testapp.Adam, http.MethodPost, "/api/users/"+testapp.ID(testapp.Bob)+"/moderate", map[string]any{"action": "name_reset"})

	// what each got, until the rename; then until a sentinel saved after all
	renamed := func(ev testapp.Event) bool { return ev.Name == bobTopic && ev.Record()["name"] == "user-bob000" }
	collect := func(c *testapp.SSE, stop func(testapp.Event) bool) []testapp.Event {
		t.Helper()
		var got []testapp.Event
		for {
			ev, ok := c.Next(5 * time.Second)
			if !ok {
				t.Fatalf("the awaited event did not come; got %v", got)
			}
			got = append(got, ev)
			if stop(ev) {
				return got
			}
		}
	}
	aliceGot, adamGot := collect(alice, renamed), collect(adam, renamed)
	sentinel := testapp.Sentinel(t, app)
	aliceGot, adamGot = append(aliceGot, collect(alice, sentinel)...), append(adamGot, collect(adam, sentinel)...)

	if len(aliceGot) != 2 {
		t.Errorf("alice got %d events, want the rename and the sentinel only: %v", len(aliceGot), aliceGot)
	}
	var bans []any
	for _, ev := range adamGot {
		if ev.Name == bobTopic {
			bans = append(bans, ev.Record()["banned"])
		}
	}
	if len(bans) != 3 || bans[0] != true || bans[1] != false || len(adamGot) != 4 {
		t.Errorf("adam got %v: want the ban, the unban, the rename and the sentinel", adamGot)
	}
}

// TestCountersAnnouncedOnlyWhenTheyChange: a post's followers get its
// counters again only when a write changes them — a comment created,
// deleted, hidden or shown — and a board's when a post is; an edit of a
// comment or post, above all of one hidden from them, sends nothing.
// Until 2026-12-04 every save of a child re-sent its parent, unchanged,
// so its timing told a post's followers that a comment hidden from them
// was being edited.
func TestCountersAnnouncedOnlyWhenTheyChange(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	post, board := testapp.VisiblePost(testapp.BoardPublic), testapp.ID(testapp.BoardPublic)
	alice := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "posts/"+post, "boards/"+board)
	call := func(method, url, who string, body map[string]any, status int) {
		t.Helper()
		if r := testapp.Call(t, method, base+url, testapp.Token(who), body); r.Status != status {
			t.Fatalf("%s %s as %s: %d %s", method, url, who, r.Status, r.Raw)
		}
	}
	// the post's own edit reaches its followers, as any change they see
	call(http.MethodPatch, "/api/collections/posts/records/"+post, "root", map[string]any{"content": "고쳐 씀"}, 200)
	alice.ExpectOnly(t, func(ev testapp.Event) bool {
		return ev.Record()["id"] == post && ev.Record()["content"] == "고쳐 씀"
	})
	for _, edit := range []struct{ collection, id, field string }{
		{"comments", testapp.HiddenComment(testapp.BoardPublic), "content"},
		{"comments", testapp.VisibleComment(testapp.BoardPublic), "content"},
		{"posts", testapp.HiddenPost(testapp.BoardPublic), "title"},
	} {
		call(http.MethodPatch, "/api/collections/"+edit.collection+"/records/"+edit.id, "root", map[string]any{edit.field: "고쳐 씀"}, 200)
	}
	// the like is the next thing alice hears of
	call(http.MethodPost, "/api/collections/post_likes/records", testapp.Alice,
		map[string]any{"post": post, "user": testapp.ID(testapp.Alice)}, 200)
	alice.ExpectOnly(t, func(ev testapp.Event) bool {
		return ev.Record()["id"] == post && ev.Record()["likes_count"] == 2.0 && ev.Record()["comments_count"] == 2.0
	})
	// a change of a count still goes out: a comment hidden, a post hidden
	call(http.MethodPatch, "/api/collections/comments/records/"+testapp.VisibleComment(testapp.BoardPublic), testapp.Adam,
		map[string]any{"is_visible": false}, 200)
	alice.ExpectOnly(t, func(ev testapp.Event) bool {
		return ev.Record()["id"] == post && ev.Record()["comments_count"] == 1.0
	})
	call(http.MethodPost, "/api/collections/posts/records", testapp.Bob,
		map[string]any{"board": board, "title": "새 글", "content": "c"}, 200)
	alice.ExpectOnly(t, func(ev testapp.Event) bool {
		return ev.Record()["id"] == board && ev.Record()["posts_count"] == 2.0
	})
}

// TestAnEditShowsTheStoredCounters: a post edited while it is being
// commented on and liked goes out — in its followers' event and in the
// edit's response — with the counts its save committed, not the ones it
// was loaded with. The comment and the like are written inside the edit's
// transaction, after the post was loaded, as a concurrent writer's would
// be committed before it. Until 2026-12-05 the event showed the loaded
// counts (2 comments, 1 like), which stepped back on every follower's
// screen until the next counter event (probe p22 F2).
func TestAnEditShowsTheStoredCounters(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	post := testapp.VisiblePost(testapp.BoardPublic) // 2 comments, 1 like
	const title = "편집 중에 댓글이 달린 글"
	app.OnRecordUpdateExecute("posts").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("title") == title {
			for collection, fields := range map[string]map[string]any{
				"comments":   {"post": post, "author": testapp.ID(testapp.Bob), "content": "그 사이 댓글", "is_visible": true},
				"post_likes": {"post": post, "user": testapp.ID(testapp.Alice)},
			} {
				c, err := e.App.FindCollectionByNameOrId(collection)
				if err != nil {
					return err
				}
				r := core.NewRecord(c)
				r.Load(fields)
				if err := e.App.Save(r); err != nil {
					return err
				}
			}
		}
		return e.Next()
	})
	alice := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "posts/"+post)

	r := testapp.Call(t, http.MethodPatch, base+"/api/collections/posts/records/"+post, testapp.Token(testapp.Gina),
		map[string]any{"title": title})
	if r.Status != http.StatusOK {
		t.Fatalf("edit: %d %s", r.Status, r.Raw)
	}
	if r.Body["comments_count"] != 3.0 || r.Body["likes_count"] != 2.0 {
		t.Errorf("the edit's response shows comments_count %v, likes_count %v; want 3 and 2", r.Body["comments_count"], r.Body["likes_count"])
	}
	stored, err := app.FindRecordById("posts", post)
	if err != nil {
		t.Fatal(err)
	}
	if stored.GetInt("comments_count") != 3 || stored.GetInt("likes_count") != 2 || stored.GetString("title") != title {
		t.Fatalf("stored: comments_count %d, likes_count %d, title %q", stored.GetInt("comments_count"), stored.GetInt("likes_count"), stored.GetString("title"))
	}
	for {
		ev, ok := alice.Next(5 * time.Second)
		if !ok {
			t.Fatal("no event of the edit")
		}
		if rec := ev.Record(); rec["id"] == post && rec["title"] == title {
			if rec["comments_count"] != 3.0 || rec["likes_count"] != 2.0 {
				t.Fatalf("the edit's event shows comments_count %v, likes_count %v; want the stored 3 and 2", rec["comments_count"], rec["likes_count"])
			}
			return
		}
	}
}
