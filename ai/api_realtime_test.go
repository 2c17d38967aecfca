package ai_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"madang/ai"
	"madang/internal/testapp"
)

// chatStream is an OpenAI-compatible server whose reply arrives in pieces,
// slowly enough for the job to publish partial text in between.
func chatStream(t *testing.T, pieces ...string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, p := range pieces {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", p)
			w.(http.Flusher).Flush()
			time.Sleep(150 * time.Millisecond)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// jobEvents collects the realtime events about job id until its final
// update or the timeout.
func jobEvents(events <-chan testapp.Event, id string, timeout time.Duration) []map[string]any {
	var records []map[string]any
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return records
			}
			record := ev.Record()
			if record == nil || record["id"] != id {
				continue
			}
			records = append(records, record)
			if record["is_finished"] == true {
				return records
			}
		case <-deadline:
			return records
		}
	}
}

// waitJobsIdle waits until no job is queued or running: a worker frees
// itself only after its job's last write, so by then every event of the
// jobs run so far has been handed to the subscribers.
func waitJobsIdle(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := testapp.Call(t, http.MethodGet, base+"/api/ai/stats", testapp.Token(testapp.Adam), nil)
		queue, _ := res.Body["queue"].(map[string]any)
		if res.Status != http.StatusOK || queue == nil {
			t.Fatalf("stats: %d %s", res.Status, res.Raw)
		}
		if queue["waiting"] == 0.0 && queue["running"] == 0.0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job queue is still busy: %v", queue)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestChatStreamsPartialTextToSubscribers(t *testing.T) {
	srv := chatStream(t, "안녕", "하세요, ", "Madang!")
	app, base := serve(t, nil)
	chat := testapp.ID("mchat")
	saveModel(t, app, chat, "chat", "openai_chat", ai.StatusReady, true, `{}`,
		`{"base_url":"`+srv.URL+`/v1","model":"test-model"}`)
	statuses := recordStatuses(app)

	aliceSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "ai_logs/*")
	adamSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Adam), "ai_logs/*")
	bobSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "ai_logs/*", testapp.SentinelTopic)
	guestSSE := testapp.OpenSSE(t, base, "", "ai_logs/*", testapp.SentinelTopic)

	id := mustQueue(t, base, testapp.Alice, chat, map[string]any{"prompt": "인사해 줘"})
	final := "안녕하세요, Madang!"
	for who, c := range map[string]*testapp.SSE{"alice": aliceSSE, "adam": adamSSE} {
		records := jobEvents(c.Events, id, 10*time.Second)
		var partials []string
		var last map[string]any
		var lastPartial, running string // updated of the last partial and of the stored running state
		for _, r := range records {
			result, _ := r["result"].(map[string]any)
			if r["status"] == ai.JobRunning && result["partial"] == nil {
				running, _ = r["updated"].(string)
			}
			if result["partial"] == true {
				lastPartial, _ = r["updated"].(string)
				text, _ := result["text"].(string)
				if !strings.HasPrefix(final, text) || r["status"] != ai.JobRunning {
					t.Errorf("%s: partial %q with status %v", who, text, r["status"])
				}
				partials = append(partials, text)
			}
			last = r
		}
		// clients keep the newest state by updated: the text streamed after
		// the running write must not look older than it
		if running == "" || lastPartial < running {
			t.Errorf("%s: last partial updated %q, running state updated %q", who, lastPartial, running)
		}
		if len(partials) < 2 {
			t.Errorf("%s saw %d partial texts (%v); want the reply while it streams", who, len(partials), partials)
		}
		if last == nil || last["status"] != ai.JobSucceeded {
			t.Fatalf("%s: last event %v", who, last)
		}
		if result, _ := last["result"].(map[string]any); result["text"] != final || result["partial"] != nil {
			t.Errorf("%s: final result %v", who, last["result"])
		}
	}
	// who may not read alice's job got none of its events, partial or saved:
	// they would have come before the sentinel
	waitJobsIdle(t, base)
	sentinel := testapp.Sentinel(t, app)
	bobSSE.ExpectOnly(t, sentinel)
	guestSSE.ExpectOnly(t, sentinel)
	// partial text is never written: the job is still three writes
	if got := statuses.until(t, id, ai.JobSucceeded); !slices.Equal(got, []string{"queued", "running", "succeeded"}) {
		t.Errorf("saved statuses %v", got)
	}
}

func TestPartialTextFollowsTheSubscriptionFilter(t *testing.T) {
	srv := chatStream(t, "one ", "two ", "three")
	app, base := serve(t, nil)
	chat := testapp.ID("mchat")
	saveModel(t, app, chat, "chat", "openai_chat", ai.StatusReady, true, `{}`,
		`{"base_url":"`+srv.URL+`/v1","model":"test-model"}`)

	// only finished jobs, by PocketBase's subscription options
	onlyFinished := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice),
		"ai_logs/*?options="+url.QueryEscape(`{"query":{"filter":"is_finished=true"}}`))
	id := mustQueue(t, base, testapp.Alice, chat, map[string]any{"prompt": "count"})
	records := jobEvents(onlyFinished.Events, id, 10*time.Second)
	if len(records) != 1 || records[0]["status"] != ai.JobSucceeded {
		t.Errorf("filtered subscriber got %v", records)
	}
}
