package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	madangapp "madang/internal/madang"
	"madang/internal/sqlite"
)

// BenchmarkCommentRequest is S3's request in-process: a member's POST
// /api/collections/comments/records on a random post, through the whole
// router (middlewares, auth, rules, hooks, response), on Madang (its
// database connection and every hook) and on the baseline (bare
// PocketBase, the migrations only). S3 runs CPU-bound on this machine, so
// what a request costs in CPU decides its throughput. Each op is one
// request to each target, alternating, so that a machine whose speed
// drifts (a shared VM's does, by a quarter within minutes) moves both
// alike. The CPU of each request is the process's (every thread: the
// garbage collector's work lands on whichever request is running, which
// makes Madang's share here larger than in S3, where each server has its
// own heap); with -cpuprofile, pprof's -tagfocus target=madang (or
// baseline) shows one target's requests alone.
func BenchmarkCommentRequest(b *testing.B) {
	targets := []string{baseline, madang}
	muxes := map[string]http.Handler{}
	tokens := map[string][]string{}
	for _, target := range targets {
		muxes[target], tokens[target] = requestApp(b, target)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	comment := func(target string) {
		u := rng.IntN(100)
		body := map[string]any{"post": postID(rng.IntN(100_000)), "content": "벤치마크 댓글: 좋은 글 감사합니다."}
		if target == baseline {
			body["author"], body["is_visible"] = userID(u), true
		}
		data, _ := json.Marshal(body)
		req := httptest.NewRequest(http.MethodPost, "/api/collections/comments/records", bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", tokens[target][u])
		rec := httptest.NewRecorder()
		muxes[target].ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
	}
	cpu := map[string]time.Duration{}
	n := 0
	for b.Loop() {
		for _, target := range targets {
			if n%100 == 0 {
				runtime.GC() // a collection now and then outside the timing
			}
			t0 := processCPU()
			pprof.Do(context.Background(), pprof.Labels("target", target), func(context.Context) { comment(target) })
			cpu[target] += processCPU() - t0
		}
		n++
	}
	for _, target := range targets {
		b.ReportMetric(float64(cpu[target])/float64(n), target+"-cpu-ns/op")
	}
	b.ReportMetric(float64(cpu[madang])/float64(cpu[baseline]), "madang/baseline")
}

// requestApp is target's app, seeded with 100 members and 100,000 posts,
// as an HTTP handler, and its members' tokens.
func requestApp(b *testing.B, target string) (http.Handler, []string) {
	app := migratedApp(b, target)
	seedPosts(b, app, 100_000, target == madang)
	tokens := make([]string, 100)
	for i := range tokens {
		u, err := app.FindRecordById("users", userID(i))
		if err != nil {
			b.Fatal(err)
		}
		if tokens[i], err = u.NewAuthToken(); err != nil {
			b.Fatal(err)
		}
	}
	return serveMux(b, app), tokens
}

// migratedApp is target's app (Madang's with its database connection) on a
// fresh data dir, migrated; the caller closes it.
func migratedApp(b *testing.B, target string) *core.BaseApp {
	cfg := core.BaseAppConfig{DataDir: b.TempDir()}
	if target == madang {
		cfg.DBConnect = sqlite.Connect
	}
	app := core.NewBaseApp(cfg)
	if err := app.Bootstrap(); err != nil {
		b.Fatal(err)
	}
	if err := app.RunAllMigrations(); err != nil {
		app.ResetBootstrapState()
		b.Fatal(err)
	}
	return app
}

// serveMux is app's router as an HTTP handler, once the seed's pages are
// out of the WAL. Serving starts Madang's background work (the look for
// users saved elsewhere), which the app's terminate stops: the cleanup
// triggers it before the caller's cleanup closes the database.
func serveMux(b *testing.B, app core.App) http.Handler {
	b.Cleanup(func() {
		if err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}); err != nil {
			b.Error(err)
		}
	})
	router, err := apis.NewRouter(app)
	if err != nil {
		b.Fatal(err)
	}
	var mux http.Handler
	err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router}, func(e *core.ServeEvent) error {
		m, err := e.Router.BuildMux()
		mux = m
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := app.NonconcurrentDB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute(); err != nil {
		b.Fatal(err)
	}
	return mux
}

// BenchmarkChatMessageRequest is S5's publishing request in-process: the
// chat's owner (first in its members list, as in S5) posts a message to a
// group chat of members members through the whole router, with no reader
// connected. It is the part of S5's CPU that does not scale with readers.
func BenchmarkChatMessageRequest(b *testing.B) {
	for _, members := range []int{10, 1000} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			app := migratedApp(b, madang)
			b.Cleanup(func() { app.ResetBootstrapState() })
			mux := chatRouter(b, app, members)
			token := userToken(b, app, 0)
			reportCPU(b)
			i := 0
			for b.Loop() {
				postChatMessage(b, mux, token, fmt.Sprintf("bench message %d", i))
				i++
			}
		})
	}
}

// BenchmarkChatPage is the web client's chat view opening a group chat
// (pb_public/js/views/chat.js loadPage: the newest 30 messages, sort
// -created, expand author, skipTotal) as its last member, through the whole
// router, in a group of members members with 60 messages. "text" is the
// chats ListRule as the migrations leave it (session.members ~, since
// 1795900901_member_text.go); "each" is the rule before it
// (session.members:each ?=, a join of each message with every member id).
func BenchmarkChatPage(b *testing.B) {
	const text, each = "session.members ~ @request.auth.id", "session.members:each ?= @request.auth.id"
	for _, rule := range []string{"text", "each"} {
		for _, members := range []int{10, 1000} {
			b.Run(fmt.Sprintf("%s/members=%d", rule, members), func(b *testing.B) {
				app := migratedApp(b, madang)
				b.Cleanup(func() { app.ResetBootstrapState() })
				chats, err := app.FindCollectionByNameOrId("chats")
				if err != nil {
					b.Fatal(err)
				}
				if !strings.Contains(*chats.ListRule, text) {
					b.Fatalf("the chats ListRule does not ask %q: %s", text, *chats.ListRule)
				}
				if rule == "each" {
					*chats.ListRule = strings.ReplaceAll(*chats.ListRule, text, each)
					if err := app.Save(chats); err != nil {
						b.Fatal(err)
					}
				}
				mux := chatRouter(b, app, members)
				token := userToken(b, app, members-1)
				for i := range 60 {
					postChatMessage(b, mux, token, fmt.Sprintf("message %d", i))
				}
				page := "/api/collections/chats/records?page=1&perPage=30&skipTotal=1&sort=-created&expand=author&filter=" +
					url.QueryEscape(`session = "`+sessionID+`"`)
				reportCPU(b)
				for b.Loop() {
					req := httptest.NewRequest(http.MethodGet, page, nil)
					req.Header.Set("Authorization", token)
					rec := httptest.NewRecorder()
					mux.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"message 59"`)) {
						b.Fatalf("%d %.200s", rec.Code, rec.Body)
					}
				}
			})
		}
	}
}

// chatRouter seeds members users and their group chat (the first user its
// owner) into app, binds Madang and returns its router.
func chatRouter(b *testing.B, app *core.BaseApp, members int) http.Handler {
	err := app.RunInTransaction(func(tx core.App) error {
		if err := insertUsers(tx, members, "not-a-hash"); err != nil {
			return err
		}
		return insertChat(tx, members)
	})
	if err != nil {
		b.Fatal(err)
	}
	madangapp.Bind(app)
	return serveMux(b, app)
}

// userToken is the auth token of the seeded user i.
func userToken(b *testing.B, app core.App, i int) string {
	user, err := app.FindRecordById("users", userID(i))
	if err != nil {
		b.Fatal(err)
	}
	token, err := user.NewAuthToken()
	if err != nil {
		b.Fatal(err)
	}
	return token
}

// postChatMessage sends a message to the seeded chat as the web client
// does, through mux.
func postChatMessage(b *testing.B, mux http.Handler, token, content string) {
	data, _ := json.Marshal(map[string]any{"session": sessionID, "content": content})
	req := httptest.NewRequest(http.MethodPost, "/api/collections/chats/records", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
