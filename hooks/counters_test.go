package hooks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

// concurrently runs fn(0..n-1) in n goroutines at once and waits for all.
func concurrently(n int, fn func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			fn(i)
		}()
	}
	start.Done()
	done.Wait()
}

// served is an app with the content fixtures on a real loopback server.
func served(t *testing.T) (*tests.TestApp, string) {
	app := testapp.NewWithContent(t)
	return app, testapp.Serve(t, app)
}

// expectStatus is testapp.Call for goroutines: it reports instead of
// stopping the test.
func expectStatus(t *testing.T, method, url, token string, body any, want int) map[string]any {
	raw, _ := json.Marshal(body)
	res := testapp.Call(t, method, url, token, json.RawMessage(raw))
	if res.Status != want {
		t.Errorf("%s %s: %d, want %d: %s", method, url, res.Status, want, res.Raw)
	}
	return res.Body
}

func countOf(t *testing.T, app core.App, collection, id, field string) int {
	t.Helper()
	r, err := app.FindRecordById(collection, id)
	if err != nil {
		t.Fatal(err)
	}
	return r.GetInt(field)
}

func TestCountersConcurrentLikes(t *testing.T) {
	app, base := served(t)
	users, tokens := testapp.CreateMembers(t, app, "fan", 50)
	post := testapp.VisiblePost(testapp.BoardPublic)

	likes := make([]string, len(users))
	concurrently(len(users), func(i int) {
		body := expectStatus(t, http.MethodPost, base+likesURL, tokens[i], map[string]string{"post": post, "user": users[i].Id}, 200)
		likes[i], _ = body["id"].(string)
	})
	if got := countOf(t, app, "posts", post, "likes_count"); got != 51 {
		t.Errorf("likes_count after 50 concurrent likes = %d, want 51", got)
	}
	testapp.AssertCounts(t, app)

	concurrently(len(users), func(i int) {
		expectStatus(t, http.MethodDelete, base+likesURL+"/"+likes[i], tokens[i], nil, 204)
	})
	if got := countOf(t, app, "posts", post, "likes_count"); got != 1 {
		t.Errorf("likes_count after 50 concurrent unlikes = %d, want 1", got)
	}
	testapp.AssertCounts(t, app)
}

func TestCountersConcurrentComments(t *testing.T) {
	app, base := served(t)
	users, tokens := testapp.CreateMembers(t, app, "talker", 50)
	post := testapp.VisiblePost(testapp.BoardPublic)

	concurrently(len(users), func(i int) {
		body := map[string]string{"post": post, "content": fmt.Sprintf("댓글 %d", i)}
		if i%2 == 1 {
			body["parent"] = testapp.VisibleComment(testapp.BoardPublic)
		}
		expectStatus(t, http.MethodPost, base+commentsURL, tokens[i], body, 200)
	})
	if got := countOf(t, app, "posts", post, "comments_count"); got != 52 {
		t.Errorf("comments_count after 50 concurrent comments = %d, want 52", got)
	}
	testapp.AssertCounts(t, app)
}

// TestCountersMixedConcurrency runs likes, unlikes, comments, deletes,
// hides and unhides of comments and posts all at once, through the API and
// through app.Save/app.Delete as the dashboard and the CLI do.
func TestCountersMixedConcurrency(t *testing.T) {
	app, base := served(t)
	users, tokens := testapp.CreateMembers(t, app, "mixer", 40)
	pub := testapp.ID(testapp.BoardPublic)
	post := testapp.VisiblePost(testapp.BoardPublic)
	adam := testapp.Token(testapp.Adam)

	// before: users 0-19 like the post; each of users 20-39 has a comment
	likes := make([]string, 20)
	for i := range 20 {
		likes[i] = testapp.CreateLike(t, app, post, users[i].Id).Id
	}
	comments := make([]string, 20)
	for i := range 20 {
		comments[i] = testapp.CreateComment(t, app, post, users[20+i].Id, "").Id
	}
	extraPosts := make([]string, 10)
	for i := range extraPosts {
		extraPosts[i] = testapp.CreatePost(t, app, pub, users[i].Id, fmt.Sprintf("글 %d", i)).Id
	}

	concurrently(100, func(i int) {
		switch k := i % 10; {
		case i < 20: // 20 unlikes, 20 new likes
			expectStatus(t, http.MethodDelete, base+likesURL+"/"+likes[i], tokens[i], nil, 204)
			expectStatus(t, http.MethodPost, base+likesURL, tokens[20+i], map[string]string{"post": post, "user": users[20+i].Id}, 200)
		case i < 30: // 10 comments deleted by their authors
			n := i - 20
			expectStatus(t, http.MethodDelete, base+commentsURL+"/"+comments[n], tokens[20+n], nil, 204)
		case i < 40: // 10 comments hidden by an admin, 5 of them shown again
			n := 10 + i - 30
			expectStatus(t, http.MethodPatch, base+commentsURL+"/"+comments[n], adam, map[string]bool{"is_visible": false}, 200)
			if k < 5 {
				expectStatus(t, http.MethodPatch, base+commentsURL+"/"+comments[n], adam, map[string]bool{"is_visible": true}, 200)
			}
		case i < 60: // 20 new comments, dashboard style
			c, err := app.FindCollectionByNameOrId("comments")
			if err != nil {
				t.Error(err)
				return
			}
			r := core.NewRecord(c)
			r.Load(map[string]any{"post": post, "author": users[i-40].Id, "content": "대시보드", "is_visible": true})
			if err := app.Save(r); err != nil {
				t.Error(err)
			}
		case i < 70: // 10 posts: 5 hidden, 5 deleted
			n := i - 60
			if k < 5 {
				expectStatus(t, http.MethodPatch, base+postsURL+"/"+extraPosts[n], adam, map[string]bool{"is_visible": false}, 200)
			} else if r, err := app.FindRecordById("posts", extraPosts[n]); err != nil {
				t.Error(err)
			} else if err := app.Delete(r); err != nil {
				t.Error(err)
			}
		case i < 80: // 10 new posts
			expectStatus(t, http.MethodPost, base+postsURL, tokens[i-70], map[string]string{"board": pub, "title": "새 글", "content": "본문"}, 200)
		default: // 20 edits that must not write stale counters back
			expectStatus(t, http.MethodPatch, base+postsURL+"/"+post, adam, map[string]string{"title": fmt.Sprintf("제목 %d", i)}, 200)
		}
	})

	testapp.AssertCounts(t, app)
	for _, c := range []struct{ collection, id, field string }{
		{"posts", post, "likes_count"},    // 1 + 20 - 20 + 20
		{"posts", post, "comments_count"}, // 2 + 20 - 10 - 5 + 20
		{"boards", pub, "posts_count"},    // 1 + 10 - 5 - 5 + 10
	} {
		want := map[string]int{"likes_count": 21, "comments_count": 27, "posts_count": 11}[c.field]
		if got := countOf(t, app, c.collection, c.id, c.field); got != want {
			t.Errorf("%s.%s = %d, want %d", c.collection, c.field, got, want)
		}
	}
}

// TestCountersDashboardDeletes deletes as the dashboard and the CLI do
// (app.Delete), relying on PocketBase's cascades.
func TestCountersDashboardDeletes(t *testing.T) {
	app := testapp.NewWithContent(t)
	del := func(collection, id string) {
		t.Helper()
		r, err := app.FindRecordById(collection, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Delete(r); err != nil {
			t.Fatal(err)
		}
		testapp.AssertCounts(t, app)
	}
	pub, mem := testapp.BoardPublic, testapp.BoardMembers

	del("comments", testapp.VisibleComment(pub)) // and its reply
	if got := countOf(t, app, "posts", testapp.VisiblePost(pub), "comments_count"); got != 0 {
		t.Errorf("comments_count = %d after deleting a comment with its reply, want 0", got)
	}
	del("post_likes", testapp.LikeOf(pub))
	del("posts", testapp.VisiblePost(mem)) // with its comments and like
	expectPostsOn(t, app, mem, 1, 0)
	if n, _ := app.CountRecords("comments"); n != 6*4-2-3 {
		t.Errorf("%d comments left, want %d", n, 6*4-2-3)
	}

	// a user who leaves takes their likes (and the counts) with them; their
	// posts and comments stay, authorless
	alice, bob := testapp.ID(testapp.Alice), testapp.ID(testapp.Bob)
	for _, b := range []string{testapp.BoardGranted, testapp.BoardAdmins} {
		testapp.CreateLike(t, app, testapp.VisiblePost(b), alice)
		testapp.CreateLike(t, app, testapp.VisiblePost(b), bob)
	}
	own := testapp.CreatePost(t, app, testapp.ID(pub), alice, "alice's")
	testapp.CreateComment(t, app, own.Id, alice, "")
	// hiding and showing again with app.Save, as the dashboard does
	for _, visible := range []bool{false, true} {
		own.Set("is_visible", visible)
		if err := app.Save(own); err != nil {
			t.Fatal(err)
		}
		testapp.AssertCounts(t, app)
	}
	del("users", alice)
	if got := countOf(t, app, "posts", testapp.VisiblePost(testapp.BoardAdmins), "likes_count"); got != 2 {
		t.Errorf("likes_count = %d after the liker left, want 2", got)
	}
	if r, err := app.FindRecordById("posts", own.Id); err != nil || r.GetString("author") != "" || r.GetInt("comments_count") != 1 {
		t.Errorf("a departed user's post: %v %v", r, err)
	}

	del("boards", testapp.ID(testapp.BoardGranted))
	if n, _ := app.CountRecords("posts"); n != 6*2-1-2+1 {
		t.Errorf("%d posts left, want %d", n, 6*2-1-2+1)
	}
	expectPostsOn(t, app, pub, 3, 2)
}

// TestCountersConcurrentDashboardWrites saves and deletes likes with
// app.Save/app.Delete from many goroutines, as several CLI processes or
// dashboard tabs would.
func TestCountersConcurrentDashboardWrites(t *testing.T) {
	app := testapp.NewWithContent(t)
	users, _ := testapp.CreateMembers(t, app, "saver", 30)
	post := testapp.VisiblePost(testapp.BoardPublic)
	likes, err := app.FindCollectionByNameOrId("post_likes")
	if err != nil {
		t.Fatal(err)
	}
	concurrently(len(users), func(i int) {
		r := core.NewRecord(likes)
		r.Load(map[string]any{"post": post, "user": users[i].Id})
		if err := app.Save(r); err != nil {
			t.Error(err)
			return
		}
		if i%3 == 0 {
			if err := app.Delete(r); err != nil {
				t.Error(err)
			}
		}
	})
	if got := countOf(t, app, "posts", post, "likes_count"); got != 21 {
		t.Errorf("likes_count = %d, want 21", got)
	}
	testapp.AssertCounts(t, app)
}
