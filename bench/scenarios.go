package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// scenario is one measured workload, run the same way on both targets.
//
// A steady-load scenario gives Op: both servers run side by side and take
// the load in turns, slice after slice (A B A B …), the idle one frozen
// with SIGSTOP so that nothing it does in the background lands in the
// other's slice. An episode (a burst, a fan-out) gives Run instead and
// gets a fresh server per round.
type scenario struct {
	ID, Name string
	Unit     string // what req/s counts
	Size     func(cfg config) string
	Workers  func(cfg config) int
	Skip     func(fx *fixture) string // non-empty: why it cannot run
	Op       func(r *run) (operation, error)
	Run      func(r *run) (*sample, error)
	// Verify checks the stopped server's data dir (optional).
	Verify func(r *run, dataDir string, s *sample) error
	// Env is added to Madang's environment for this scenario (optional).
	Env func(cfg config) []string
	// Window overrides cfg.Window for a steady load (optional).
	Window func(cfg config) time.Duration
	// Peer: Centrifugo runs it too, as a third target, and Madang on its
	// Centrifugo tier as a fourth (episodes only).
	Peer bool
	// Rounds overrides cfg.Rounds for episodes (optional).
	Rounds func(cfg config) int
}

// s5Rounds is S5's rounds in a full run. Its p99 over 100,000 deliveries
// is about one message's fan-out, so two rounds read Madang / Centrifugo
// anywhere from 0.9× to 1.5× on unchanged code (bench/RESULTS.md); six
// cost about a minute more and pool 600 messages.
const s5Rounds = 6

func scenarios() []scenario {
	return []scenario{
		{ID: "S1", Name: "board page", Unit: "pages/s", Op: boardPage,
			Size: func(c config) string {
				return fmt.Sprintf("%d posts; the web client's 3 requests (board, categories, 20 posts)", c.Posts)
			},
			Workers: func(c config) int { return c.ReadWorkers }},
		{ID: "S2", Name: "post page", Unit: "pages/s", Op: viewPost,
			Size: func(c config) string {
				return fmt.Sprintf("%d posts × %d viewers; the web client's 4 requests (post, my like, my bookmark, comments)", c.Posts, c.Users)
			},
			Workers: func(c config) int { return c.ReadWorkers }},
		{ID: "S3", Name: "create a comment", Unit: "req/s", Op: createComment, Verify: verifyCommentCounts,
			Size:    func(c config) string { return fmt.Sprintf("random post of %d", c.Posts) },
			Workers: func(c config) int { return c.WriteWorkers }},
		{ID: "S4", Name: "likes at once", Unit: "req/s", Run: likeAtOnce,
			Size:    func(c config) string { return fmt.Sprintf("%d users like 1 post", c.Likers) },
			Workers: func(c config) int { return c.Likers }},
		{ID: "S5", Name: "chat fan-out", Unit: "deliveries/s", Peer: true,
			Run: func(r *run) (*sample, error) { return chatFanout(r, 1) },
			Rounds: func(c config) int {
				if c.Mode == "full" {
					return max(c.Rounds, s5Rounds)
				}
				return c.Rounds
			},
			Size: func(c config) string {
				return fmt.Sprintf("%d subscribers × %d msgs at %g/s", c.Subscribers, c.Messages, c.MessageRate)
			},
			Workers: func(c config) int { return c.Subscribers }},
		{ID: "S5b", Name: "chat fan-out, tabs", Unit: "deliveries/s", Peer: true,
			Run: func(r *run) (*sample, error) { return chatFanout(r, r.cfg.Tabs) },
			Size: func(c config) string {
				return fmt.Sprintf("%d members × %d tabs × %d msgs at %g/s", c.Subscribers, c.Tabs, c.Messages, c.MessageRate)
			},
			Workers: func(c config) int { return c.Subscribers * c.Tabs }},
		{ID: "S6", Name: "AI jobs", Unit: "jobs/s", Run: aiJobs, Skip: skipAI, Env: aiEnv, Verify: timeJobs,
			Size: func(c config) string {
				return fmt.Sprintf("%d 8-feature regression jobs, %d at a time", c.AIJobs, c.AIWorkers)
			},
			Workers: func(c config) int { return c.AIWorkers }},
		{ID: "S8", Name: "busy thread", Unit: "req/s", Op: busyThread, Verify: verifyThreadNotifications,
			Size:    func(c config) string { return "comments with 5 @mentions on 1 post" },
			Workers: func(c config) int { return c.WriteWorkers }},
		{ID: "S7", Name: "sign in", Unit: "req/s", Op: signIn,
			// bcrypt makes each sign-in slow: twice the window for as many samples
			Window:  func(c config) time.Duration { return 2 * c.Window },
			Size:    func(c config) string { return fmt.Sprintf("%d users, bcrypt", c.Users) },
			Workers: func(c config) int { return c.SignInWorkers }},
	}
}

func (r *run) user(rng *rand.Rand) benchUser { return r.fx.users[rng.IntN(len(r.fx.users))] }

// S1: a member opens the main board's first page in the web client
// (pb_public/js/views/board.js): the board, its categories, and the first
// 20 posts, pinned first, with skipTotal (the page numbers come from the
// board's posts_count). The queries are the SDK's, parameter for parameter;
// the page also opens realtime subscriptions, which are not measured here.
func boardPage(r *run) (operation, error) {
	board := r.fx.mainBoard
	paths := []string{
		"/api/collections/boards/records/" + board,
		"/api/collections/board_categories/records?" + url.Values{
			"page": {"1"}, "perPage": {"1000"}, "skipTotal": {"1"},
			"filter": {fmt.Sprintf(`board = "%s"`, board)}, "sort": {"sort,name"},
		}.Encode(),
		"/api/collections/posts/records?" + url.Values{
			"page": {"1"}, "perPage": {"20"},
			"filter": {fmt.Sprintf(`board = "%s"`, board)}, "sort": {"-is_pinned,-created"},
			"expand": {"author,category"}, "skipTotal": {"true"},
		}.Encode(),
	}
	var page struct {
		Items []struct {
			Board  string `json:"board"`
			Expand struct {
				Author struct {
					Name string `json:"name"`
				} `json:"author"`
			} `json:"expand"`
		} `json:"items"`
		TotalItems int `json:"totalItems"`
	}
	if err := r.call(http.MethodGet, paths[2], r.fx.users[1].token, nil, &page); err != nil {
		return nil, err
	}
	if len(page.Items) != 20 || page.Items[0].Board != board || page.Items[0].Expand.Author.Name == "" || page.TotalItems != -1 {
		return nil, fmt.Errorf("the board page is not 20 uncounted posts of the board with their authors: %+v", page)
	}
	return func(_ int, rng *rand.Rand) error {
		token := r.user(rng).token
		for _, path := range paths {
			if err := r.call(http.MethodGet, path, token, nil, nil); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// S2: members open random posts in the web client (pb_public/js/views/post.js):
// the post with its author, board and category (Madang counts each first
// view), whether I like it, whether I bookmarked it, and its comments.
func viewPost(r *run) (operation, error) {
	return func(_ int, rng *rand.Rand) error {
		u, post := r.user(rng), postID(rng.IntN(r.fx.posts))
		paths := []string{
			"/api/collections/posts/records/" + post + "?expand=" + url.QueryEscape("author,board,category"),
			"/api/collections/post_likes/records?" + url.Values{
				"page": {"1"}, "perPage": {"1"}, "skipTotal": {"true"},
				"filter": {fmt.Sprintf(`post = "%s" && user = "%s"`, post, u.id)},
			}.Encode(),
			"/api/collections/bookmarks/records?" + url.Values{
				"page": {"1"}, "perPage": {"1"}, "skipTotal": {"true"},
				"filter": {fmt.Sprintf(`post = "%s"`, post)},
			}.Encode(),
			"/api/collections/comments/records?" + url.Values{
				"page": {"1"}, "perPage": {"1000"}, "skipTotal": {"1"},
				"filter": {fmt.Sprintf(`post = "%s"`, post)}, "sort": {"created"}, "expand": {"author"},
			}.Encode(),
		}
		for _, path := range paths {
			if err := r.call(http.MethodGet, path, u.token, nil, nil); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// S3: members comment on random posts. Madang sets the author and keeps
// comments_count; the baseline client sends what Madang's hooks would set.
func createComment(r *run) (operation, error) {
	return func(_ int, rng *rand.Rand) error {
		u := r.user(rng)
		body := map[string]any{"post": postID(rng.IntN(r.fx.posts)), "content": "벤치마크 댓글: 좋은 글 감사합니다."}
		if !r.isMadang() {
			body["author"], body["is_visible"] = u.id, true
		}
		return r.call(http.MethodPost, "/api/collections/comments/records", u.token, body, nil)
	}, nil
}

// S8: members comment on one busy post, each comment @mentioning five
// members: on Madang every comment notifies the post's writer and the
// five, in the comment's transaction (the baseline writes the comment only).
func busyThread(r *run) (operation, error) {
	post := postID(r.fx.posts - 1)
	return func(_ int, rng *rand.Rand) error {
		u := r.user(rng)
		content := "다들 보세요:"
		for range 5 {
			content += fmt.Sprintf(" @user%04d", rng.IntN(len(r.fx.users)))
		}
		body := map[string]any{"post": post, "content": content}
		if !r.isMadang() {
			body["author"], body["is_visible"] = u.id, true
		}
		return r.call(http.MethodPost, "/api/collections/comments/records", u.token, body, nil)
	}, nil
}

// verifyThreadNotifications counts, in the stopped Madang's database, the
// notifications the busy thread's comments made.
func verifyThreadNotifications(r *run, dataDir string, s *sample) error {
	if !r.isMadang() {
		return nil
	}
	db, err := openData(dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	var counts struct {
		Comments      int `db:"comments"`
		Notifications int `db:"notifications"`
	}
	err = db.NewQuery(`SELECT
		(SELECT COUNT(*) FROM comments WHERE post = {:post}) AS comments,
		(SELECT COUNT(*) FROM notifications WHERE post = {:post}) AS notifications`).
		Bind(map[string]any{"post": postID(r.fx.posts - 1)}).One(&counts)
	if err != nil {
		return err
	}
	s.Extra["comments"] = float64(counts.Comments)
	s.Extra["notifications"] = float64(counts.Notifications)
	if counts.Comments > 0 && counts.Notifications < counts.Comments {
		s.Problems = append(s.Problems, fmt.Sprintf("%d comments made only %d notifications", counts.Comments, counts.Notifications))
	}
	return nil
}

// verifyCommentCounts checks, in the stopped server's database, that every
// comment written is counted once (Madang only: the baseline keeps no counts).
func verifyCommentCounts(r *run, dataDir string, s *sample) error {
	if !r.isMadang() {
		return nil
	}
	db, err := openData(dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	var counts struct {
		Comments int `db:"comments"`
		Counted  int `db:"counted"`
		Wrong    int `db:"wrong"`
	}
	err = db.NewQuery(`SELECT
		(SELECT COUNT(*) FROM comments WHERE is_visible) AS comments,
		(SELECT COALESCE(SUM(comments_count), 0) FROM posts) AS counted,
		(SELECT COUNT(*) FROM posts WHERE comments_count != (SELECT COUNT(*) FROM comments c WHERE c.post = posts.id AND c.is_visible)) AS wrong`).One(&counts)
	if err != nil {
		return err
	}
	s.Extra["comments"] = float64(counts.Comments)
	if counts.Comments != counts.Counted || counts.Wrong != 0 {
		s.Problems = append(s.Problems, fmt.Sprintf("%d comments but comments_count sums to %d (%d posts wrong)",
			counts.Comments, counts.Counted, counts.Wrong))
	}
	return nil
}

// S4: Likers users like the newest post at the same moment.
func likeAtOnce(r *run) (*sample, error) {
	post := postID(r.fx.posts - 1)
	likers := r.fx.users[:r.cfg.Likers]
	s := atOnce(len(likers), func(i int) error {
		return r.call(http.MethodPost, "/api/collections/post_likes/records", likers[i].token,
			map[string]any{"post": post, "user": likers[i].id}, nil)
	})
	var rows struct {
		TotalItems int `json:"totalItems"`
	}
	err := r.call(http.MethodGet, "/api/collections/post_likes/records?"+url.Values{
		"filter": {fmt.Sprintf("post = '%s'", post)}, "perPage": {"1"}}.Encode(), r.fx.superToken, nil, &rows)
	if err != nil {
		return nil, err
	}
	s.Extra["like_rows"] = float64(rows.TotalItems)
	if rows.TotalItems != len(likers) {
		s.Problems = append(s.Problems, fmt.Sprintf("%d like rows after %d likes", rows.TotalItems, len(likers)))
	}
	if r.isMadang() {
		var p struct {
			LikesCount int `json:"likes_count"`
		}
		if err := r.call(http.MethodGet, "/api/collections/posts/records/"+post, r.fx.superToken, nil, &p); err != nil {
			return nil, err
		}
		s.Extra["likes_count"] = float64(p.LikesCount)
		if p.LikesCount != len(likers) {
			s.Problems = append(s.Problems, fmt.Sprintf("likes_count = %d after %d likes", p.LikesCount, len(likers)))
		}
	}
	return s, nil
}

// S7: members sign in with email and password.
func signIn(r *run) (operation, error) {
	return func(_ int, rng *rand.Rand) error {
		return r.call(http.MethodPost, "/api/collections/users/auth-with-password", "",
			map[string]string{"identity": r.user(rng).email, "password": password}, nil)
	}, nil
}

// openData opens a stopped server's main database.
func openData(dataDir string) (*dbx.DB, error) {
	return core.DefaultDBConnect(filepath.Join(dataDir, "data.db"))
}
