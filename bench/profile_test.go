package main

// Micro-benchmarks behind the report's profile findings; run them with
//
//	GOTOOLCHAIN=go1.27.3 go test ./bench -run '^$' -bench . -cpuprofile /tmp/cpu.out
//
// They use the same seeding as the load benchmark, in-process.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	madangapp "madang/internal/madang"
)

// chatApp seeds members users, the chat they all belong to and one message.
func chatApp(b *testing.B, members int) (*core.BaseApp, *core.Record) {
	app, err := openApp(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { app.ResetBootstrapState() })
	err = app.RunInTransaction(func(tx core.App) error {
		if err := insertUsers(tx, members, "not-a-hash"); err != nil {
			return err
		}
		if err := insertChat(tx, members); err != nil {
			return err
		}
		_, err := tx.DB().NewQuery(`INSERT INTO chats (id, session, author, content, is_visible, created, updated)
			VALUES ('msg000000000000', {:s}, {:a}, 'hello', TRUE, {:now}, {:now})`).
			Bind(dbx.Params{"s": sessionID, "a": userID(0), "now": dbTime(time.Now())}).Execute()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	msg, err := app.FindRecordById("chats", "msg000000000000")
	if err != nil {
		b.Fatal(err)
	}
	return app, msg
}

// BenchmarkChatReadRule is what PocketBase's SSE broadcast pays per
// subscriber per message on Madang: the chats ListRule, run as a query, for
// a member at the end of the members list (the query stops at the first
// match). "like" is the rule as the migrations leave it (members ~, the id
// in the members JSON text, since 1795900901_member_text.go); "each" is
// the rule before it (members:each ?=, the array's values); "join" the rule
// before 1795900700_member_each.go (members.id ?=, which joins users on
// every member).
func BenchmarkChatReadRule(b *testing.B) {
	const like = "members ~ @request.auth.id"
	variants := map[string]string{"each": "members:each ?= @request.auth.id", "join": "members.id ?= @request.auth.id", "like": like}
	for _, variant := range []string{"each", "join", "like"} {
		for _, members := range []int{10, 100, 1000} {
			b.Run(fmt.Sprintf("%s/members=%d", variant, members), func(b *testing.B) {
				app, msg := chatApp(b, members)
				user, err := app.FindRecordById("users", userID(members-1))
				if err != nil {
					b.Fatal(err)
				}
				info := &core.RequestInfo{Auth: user, Method: "GET", Context: core.RequestInfoContextRealtime}
				rule := *msg.Collection().ListRule
				if !strings.Contains(rule, like) {
					b.Fatalf("the chats ListRule does not ask %q: %s", like, rule)
				}
				rule = strings.ReplaceAll(rule, like, variants[variant])
				if members == 1000 {
					logSQL(b, app, func() { app.CanAccessRecord(msg, info, &rule) })
				}
				benchAccess(b, app, msg, info, &rule)
			})
		}
	}
}

func benchAccess(b *testing.B, app core.App, msg *core.Record, info *core.RequestInfo, rule *string) {
	reportCPU(b)
	for b.Loop() {
		ok, err := app.CanAccessRecord(msg, info, rule)
		if err != nil || !ok {
			b.Fatal("a member cannot read the message", err)
		}
	}
}

// logSQL prints the SQL that fn runs on the concurrent (read) pool.
func logSQL(b *testing.B, app core.App, fn func()) {
	db := app.ConcurrentDB().(*dbx.DB)
	db.QueryLogFunc = func(_ context.Context, _ time.Duration, q string, _ *sql.Rows, _ error) { b.Log(q) }
	fn()
	db.QueryLogFunc = nil
}

// postsApp seeds users and posts; with hooks it is Madang's model layer,
// without it the baseline's.
func postsApp(b *testing.B, posts int, withHooks bool) *core.BaseApp {
	app, err := openApp(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	seedPosts(b, app, posts, withHooks)
	return app
}

// seedPosts writes the boards, 100 users and posts posts into app, then
// binds Madang's hooks if asked; the app is closed when b ends.
func seedPosts(b *testing.B, app *core.BaseApp, posts int, withHooks bool) {
	b.Cleanup(func() { app.ResetBootstrapState() })
	err := app.RunInTransaction(func(tx core.App) error {
		if err := insertBoards(tx); err != nil {
			return err
		}
		if err := insertUsers(tx, 100, "not-a-hash"); err != nil {
			return err
		}
		return insertPosts(tx, posts, 100)
	})
	if err != nil {
		b.Fatal(err)
	}
	if withHooks {
		madangapp.Bind(app)
	}
}

// BenchmarkCommentSave is the write path of S3 below the HTTP layer: one
// comment saved on a random post. Variants: the baseline (the migrations,
// whose triggers keep the counters, and no hooks); Madang (every hook); the
// baseline plus what Madang did before its counters became triggers — a
// transaction around the insert, then also a second UPDATE from Go (the
// parent found through the stored comment, or by the known post id); one
// more counter trigger (what a trigger costs); and Madang without the
// (board, comments_count) index the counter updates. The extra counters
// double-count: only the timings matter here.
func BenchmarkCommentSave(b *testing.B) {
	counter := map[string]string{
		"tx+update-subquery": "UPDATE {{posts}} SET [[comments_count]] = [[comments_count]] + 1 " +
			"WHERE [[id]] = (SELECT [[post]] FROM {{comments}} WHERE [[id]] = {:id} AND [[is_visible]] = TRUE)",
		"tx+update-by-id": "UPDATE {{posts}} SET [[comments_count]] = [[comments_count]] + 1 WHERE [[id]] = {:post}",
	}
	for _, variant := range []string{baseline, "tx-only", "tx+update-subquery", "tx+update-by-id", "trigger", madang, "madang-without-comments-index"} {
		for _, spread := range []int{100_000, 1_000} {
			b.Run(fmt.Sprintf("%s/posts=%d", variant, spread), func(b *testing.B) {
				app := postsApp(b, 100_000, strings.HasPrefix(variant, madang))
				if variant == "madang-without-comments-index" {
					if _, err := app.NonconcurrentDB().NewQuery("DROP INDEX idx_posts_board_comments").Execute(); err != nil {
						b.Fatal(err)
					}
				}
				if variant == "trigger" {
					_, err := app.NonconcurrentDB().NewQuery(`CREATE TRIGGER bench_comments_count AFTER INSERT ON comments
					WHEN new.is_visible BEGIN
						UPDATE posts SET comments_count = comments_count + 1 WHERE id = new.post;
					END`).Execute()
					if err != nil {
						b.Fatal(err)
					}
				}
				if strings.HasPrefix(variant, "tx") {
					app.OnRecordCreateExecute("comments").BindFunc(func(e *core.RecordEvent) error {
						original := e.App
						defer func() { e.App = original }()
						return original.RunInTransaction(func(tx core.App) error {
							e.App = tx
							if err := e.Next(); err != nil {
								return err
							}
							if counter[variant] == "" {
								return nil
							}
							_, err := tx.DB().NewQuery(counter[variant]).
								Bind(dbx.Params{"id": e.Record.Id, "post": e.Record.GetString("post")}).Execute()
							return err
						})
					})
				}
				comments, err := app.FindCollectionByNameOrId("comments")
				if err != nil {
					b.Fatal(err)
				}
				saveComments(b, app, comments, spread)
			})
		}
	}
}

// saveComments saves comments on random posts among the newest spread.
func saveComments(b *testing.B, app core.App, comments *core.Collection, spread int) {
	rng := rand.New(rand.NewPCG(1, 2))
	reportCPU(b)
	for b.Loop() {
		c := core.NewRecord(comments)
		c.Set("post", postID(100_000-1-rng.IntN(spread)))
		c.Set("author", userID(rng.IntN(100)))
		c.Set("content", "벤치마크 댓글: 좋은 글 감사합니다.")
		c.Set("is_visible", true)
		if err := app.Save(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkViewFlush is Madang's view flush (hooks/views.go) for one
// second of S2's views — 700 views, each of a different post — written as
// today (one UPDATE per post in a transaction) and as one UPDATE … FROM
// json_each statement.
func BenchmarkViewFlush(b *testing.B) {
	const perFlush = 700
	app := postsApp(b, 100_000, false)
	rng := rand.New(rand.NewPCG(3, 4))
	batch := func() map[string]int {
		m := map[string]int{}
		for len(m) < perFlush {
			m[postID(rng.IntN(100_000))]++
		}
		return m
	}
	b.Run("update-per-post", func(b *testing.B) {
		reportCPU(b)
		for b.Loop() {
			pending := batch()
			err := app.RunInTransaction(func(tx core.App) error {
				for post, n := range pending {
					_, err := tx.DB().NewQuery("UPDATE {{posts}} SET [[views_count]] = [[views_count]] + {:n} WHERE [[id]] = {:id}").
						Bind(dbx.Params{"n": n, "id": post}).Execute()
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("update-per-post-no-views-index", func(b *testing.B) {
		if _, err := app.NonconcurrentDB().NewQuery("DROP INDEX idx_posts_board_views").Execute(); err != nil {
			b.Fatal(err)
		}
		defer app.NonconcurrentDB().NewQuery("CREATE INDEX idx_posts_board_views ON posts (board, views_count)").Execute()
		reportCPU(b)
		for b.Loop() {
			pending := batch()
			err := app.RunInTransaction(func(tx core.App) error {
				for post, n := range pending {
					_, err := tx.DB().NewQuery("UPDATE {{posts}} SET [[views_count]] = [[views_count]] + {:n} WHERE [[id]] = {:id}").
						Bind(dbx.Params{"n": n, "id": post}).Execute()
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-statement", func(b *testing.B) {
		reportCPU(b)
		for b.Loop() {
			raw, _ := json.Marshal(batch())
			_, err := app.NonconcurrentDB().NewQuery(`UPDATE posts SET views_count = views_count + v.value
				FROM json_each({:batch}) AS v WHERE posts.id = v.key`).Bind(dbx.Params{"batch": string(raw)}).Execute()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU adds cpu-ns/op (the process's user+system CPU time per
// operation) to a benchmark: on a shared machine it moves far less than
// wall time, which also counts the time spent waiting for a CPU.
func reportCPU(b *testing.B) {
	start := processCPU()
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	})
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
