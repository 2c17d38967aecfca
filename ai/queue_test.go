package ai_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/ai"
	"madang/internal/testapp"
)

// oneWorker is the configuration of tests that line jobs up behind a
// blocked one.
var oneWorker = map[string]string{"MADANG_AI_WORKERS": "1", "MADANG_AI_REMOTE_WORKERS": "1", "MADANG_AI_GRACE": "200ms"}

func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestJobRunsThroughTheQueue(t *testing.T) {
	// a job this quick is written twice; the mark's delay is long here so
	// that a loaded machine cannot stretch the job past it
	ai.SetRunningMarkDelay(t, time.Minute)
	app, base := serve(t, nil)
	statuses := recordStatuses(app)

	id := mustQueue(t, base, testapp.Alice, mReady,
		map[string]any{"rows": []map[string]any{{"x0": 1, "x1": 2}, {"x0": 0, "x1": 0}}})
	job := waitJob(t, app, id, ai.JobSucceeded)

	if got := job.GetString("result"); got != `{"predictions":[9,1]}` {
		t.Errorf("result %s", got)
	}
	created, started, finished := job.GetDateTime("created"), job.GetDateTime("started_at"), job.GetDateTime("finished_at")
	if started.IsZero() || finished.IsZero() || started.Time().Before(created.Time()) || finished.Time().Before(started.Time()) {
		t.Errorf("times: created %s started %s finished %s", created, started, finished)
	}
	if !job.GetBool("is_finished") || job.GetString("error") != "" {
		t.Errorf("is_finished %v, error %q", job.GetBool("is_finished"), job.GetString("error"))
	}
	// two writes, each one a realtime event: created queued, final; a job
	// this quick is never written as running (TestCancelRunningJob shows a
	// longer one is)
	if got := statuses.until(t, id, ai.JobSucceeded); !slices.Equal(got, []string{"queued", "succeeded"}) {
		t.Errorf("saved statuses %v", got)
	}
	res := testapp.Call(t, http.MethodGet, base+"/api/collections/ai_logs/records/"+id, testapp.Token(testapp.Alice), nil)
	if res.Status != 200 || !strings.Contains(res.Raw, `"result":{"predictions":[9,1]}`) {
		t.Errorf("alice reads her job: %d %s", res.Status, res.Raw)
	}

	stats := testapp.Call(t, http.MethodGet, base+"/api/ai/stats", testapp.Token(testapp.Adam), nil)
	var ready map[string]any
	for _, m := range stats.Body["models"].([]any) {
		if m := m.(map[string]any); m["id"] == mReady {
			ready = m
		}
	}
	if jobs, _ := ready["jobs"].(map[string]any); jobs["succeeded"] != 3.0 || ready["sampled"] != 1.0 ||
		ready["p95_run_ms"].(float64) < ready["mean_run_ms"].(float64) || ready["mean_run_ms"].(float64) < 0 {
		t.Errorf("stats of the model: %v", ready)
	}
}

func TestQueueFullAnswers429(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, with(oneWorker, "MADANG_AI_CAPACITY", "2"))
	withScriptModel(t, app, `{}`)

	running := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, running, ai.JobRunning)
	waiting := []string{
		mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"echo": 1}),
		mustQueue(t, base, testapp.Gina, scriptModel, map[string]any{"echo": 2}),
	}

	before := testapp.TakeSnapshot(t, app)
	res := infer(t, base, testapp.Adam, scriptModel, map[string]any{"echo": 3})
	if res.Status != http.StatusTooManyRequests || !strings.Contains(res.Raw, "The AI queue is full") {
		t.Fatalf("full queue: %d %s", res.Status, res.Raw)
	}
	before.AssertUnchanged(t, app)

	k.open()
	for _, id := range append(waiting, running) {
		waitJob(t, app, id, ai.JobSucceeded)
	}
	// room again
	waitJob(t, app, mustQueue(t, base, testapp.Adam, scriptModel, map[string]any{"echo": 3}), ai.JobSucceeded)
}

// A job's worker starts from the job as the infer route stored it, unless
// something changed the job while it waited: then it runs what is stored.
func TestAWaitingJobRunsWhatIsStored(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, oneWorker)
	withScriptModel(t, app, `{}`)

	running := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, running, ai.JobRunning)
	edited := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": "sent"})
	untouched := mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"echo": "sent"})
	// a superuser corrects the input in the dashboard while the job waits
	job, err := app.FindRecordById(ai.Jobs, edited)
	if err != nil {
		t.Fatal(err)
	}
	job.Set("input", `{"echo":"corrected"}`)
	if err := app.Save(job); err != nil {
		t.Fatal(err)
	}

	k.open()
	for id, want := range map[string]string{edited: `{"echo":"corrected"}`, untouched: `{"echo":"sent"}`} {
		if got := waitJob(t, app, id, ai.JobSucceeded, ai.JobFailed).GetString("result"); got != want {
			t.Errorf("job %s: result %s, want %s", id, got, want)
		}
	}
}

func TestPerUserLimitAnswers429(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, with(oneWorker, "MADANG_AI_PER_USER", "2"))
	withScriptModel(t, app, `{}`)

	first := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, first, ai.JobRunning)
	second := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 2})

	before := testapp.TakeSnapshot(t, app)
	res := infer(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 3})
	if res.Status != http.StatusTooManyRequests || !strings.Contains(res.Raw, "too many AI jobs queued or running") {
		t.Fatalf("alice's third job: %d %s", res.Status, res.Raw)
	}
	before.AssertUnchanged(t, app)
	other := mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"echo": 4})

	k.open()
	for _, id := range []string{first, second, other} {
		waitJob(t, app, id, ai.JobSucceeded)
	}
	waitJob(t, app, mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 5}), ai.JobSucceeded)
}

func cancel(t testing.TB, base, user, id string) testapp.Response {
	t.Helper()
	return testapp.Call(t, http.MethodPost, base+"/api/ai_logs/"+id+"/cancel", testapp.Token(user), nil)
}

func TestCancelQueuedJob(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, oneWorker)
	withScriptModel(t, app, `{}`)
	statuses := recordStatuses(app)

	blocker := mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, blocker, ai.JobRunning)
	id := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": "never"})

	res := cancel(t, base, testapp.Alice, id)
	if res.Status != 200 || res.Body["status"] != ai.JobCanceled || res.Body["is_finished"] != true || res.Body["started_at"] != "" {
		t.Fatalf("cancel: %d %s", res.Status, res.Raw)
	}
	k.open()
	waitJob(t, app, blocker, ai.JobSucceeded)
	// the worker is free and the canceled job did not run
	waitJob(t, app, mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 1}), ai.JobSucceeded)
	if n := k.runs(); n != 2 {
		t.Errorf("%d runs, want 2 (the canceled job must not run)", n)
	}
	if got := statuses.until(t, id, ai.JobCanceled); !slices.Equal(got, []string{"queued", "canceled"}) {
		t.Errorf("saved statuses %v", got)
	}
	if res := cancel(t, base, testapp.Alice, id); res.Status != 200 || res.Body["status"] != ai.JobCanceled {
		t.Errorf("canceling again: %d %s", res.Status, res.Raw)
	}
}

func TestCancelRunningJob(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, oneWorker)
	withScriptModel(t, app, `{}`)
	statuses := recordStatuses(app)

	id := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, id, ai.JobRunning)
	res := cancel(t, base, testapp.Adam, id)
	if res.Status != 200 || res.Body["status"] != ai.JobCanceled || res.Body["started_at"] == "" || res.Body["finished_at"] == "" {
		t.Fatalf("cancel: %d %s", res.Status, res.Raw)
	}
	// the model saw its context end, and the worker goes on with the next job
	waitJob(t, app, mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 1}), ai.JobSucceeded)
	if errs := k.errs(); len(errs) != 1 || errs[0].Error() != "canceled" {
		t.Errorf("model context causes %v", errs)
	}
	if got := statuses.until(t, id, ai.JobCanceled); !slices.Equal(got, []string{"queued", "running", "canceled"}) {
		t.Errorf("saved statuses %v", got)
	}
	if job := waitJob(t, app, id, ai.JobCanceled); job.GetString("error") != "Canceled before it finished." {
		t.Errorf("error %q", job.GetString("error"))
	}
}

func TestDeletedJobStops(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, oneWorker)
	withScriptModel(t, app, `{}`)

	id := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, id, ai.JobRunning)
	if res := testapp.Call(t, http.MethodDelete, base+"/api/collections/ai_logs/records/"+id, testapp.Token("root"), nil); res.Status != 204 {
		t.Fatalf("delete: %d %s", res.Status, res.Raw)
	}
	waitJob(t, app, mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 1}), ai.JobSucceeded)
	if errs := k.errs(); len(errs) != 1 || errs[0].Error() != "deleted" {
		t.Errorf("model context causes %v", errs)
	}
	if _, err := app.FindRecordById(ai.Jobs, id); err == nil {
		t.Error("the deleted job was written again")
	}
}

func TestJobTimeout(t *testing.T) {
	// an OpenAI-compatible server that starts a reply and never ends it
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"thinking\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	app, base := serve(t, nil)
	model := testapp.ID("mslow")
	saveModel(t, app, model, "slow-chat", "openai_chat", ai.StatusReady, true, `{}`,
		`{"base_url":"`+srv.URL+`/v1","model":"m","timeout_seconds":0.3}`)

	id := mustQueue(t, base, testapp.Alice, model, map[string]any{"prompt": "hello"})
	job := waitJob(t, app, id, ai.JobFailed)
	if msg := job.GetString("error"); !strings.Contains(msg, "did not finish within its time limit of 300ms") {
		t.Errorf("error %q", msg)
	}
	if job.GetString("result") != "null" && job.GetString("result") != "" {
		t.Errorf("result %s", job.GetString("result"))
	}
}

func TestPanickingModelFailsOnlyItsJob(t *testing.T) {
	newScriptKind(t)
	app, base := serve(t, oneWorker)
	withScriptModel(t, app, `{}`)

	id := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"panic": "index out of range"})
	job := waitJob(t, app, id, ai.JobFailed)
	if msg := job.GetString("error"); !strings.Contains(msg, "The model crashed (index out of range)") {
		t.Errorf("error %q", msg)
	}
	failing := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"fail": "the server said no"})
	if msg := waitJob(t, app, failing, ai.JobFailed).GetString("error"); msg != "The server said no." {
		t.Errorf("error %q", msg)
	}
	// the one worker lived on
	ok := waitJob(t, app, mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": "fine"}), ai.JobSucceeded)
	if ok.GetString("result") != `{"echo":"fine"}` {
		t.Errorf("result %s", ok.GetString("result"))
	}
}

func TestHugeResultFailsTheJob(t *testing.T) {
	newScriptKind(t)
	app, base := serve(t, nil)
	withScriptModel(t, app, `{}`)

	job := waitJob(t, app, mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"big": 9 << 20}), ai.JobFailed)
	if msg := job.GetString("error"); !strings.Contains(msg, "The model's answer is 9.0 MB; at most 8 MB can be stored") {
		t.Errorf("error %q", msg)
	}
	if job.GetString("result") != "null" {
		t.Errorf("result of %d bytes stored", len(job.GetString("result")))
	}
}

// TestJobsTakeTurns: a model server's slow jobs hold the workers of their
// own lane, never the ones computing here; within a lane the moderation
// assist's jobs go first, then those of the members with the fewest
// running. Until 2026-12-07 one FIFO served all: a member's chat jobs on a
// model server that never answered held both workers of a 2-core machine
// for a minute each, and another member's regression job waited 151 s.
func TestJobsTakeTurns(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, with(oneWorker, "MADANG_AI_REMOTE_WORKERS", "2"))
	withScriptModel(t, app, `{}`)

	// alice's two jobs hold both of the lane's workers
	held := []string{
		mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true}),
		mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true}),
	}
	for _, id := range held {
		waitJob(t, app, id, ai.JobRunning)
	}
	hers := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": "alice"})
	his := mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"echo": "bob"})
	system := saveJob(t, app, "", "", scriptModel, ai.JobQueued, `{"echo":"system"}`).Id

	// a job computed here runs meanwhile
	local := mustQueue(t, base, testapp.Bob, mReady, map[string]any{"features": map[string]any{"x0": 1, "x1": 1}})
	waitJob(t, app, local, ai.JobSucceeded)
	for _, id := range []string{hers, his, system} {
		if job, err := app.FindRecordById(ai.Jobs, id); err != nil || job.GetString("status") != ai.JobQueued {
			t.Fatalf("job %s before a worker of its lane was free: %v %v", id, job, err)
		}
	}

	// one worker frees: the system job, then bob's (he has none running,
	// alice one), then alice's
	res := testapp.Call(t, http.MethodPost, base+"/api/ai_logs/"+held[0]+"/cancel", testapp.Token(testapp.Alice), nil)
	if res.Status != 200 {
		t.Fatalf("cancel: %d %s", res.Status, res.Raw)
	}
	for _, id := range []string{system, his, hers} {
		waitJob(t, app, id, ai.JobSucceeded)
	}
	if got := k.echoed(); !slices.Equal(got, []any{"system", "bob", "alice"}) {
		t.Errorf("ran %v, want system, bob, alice", got)
	}
	k.open()
	waitJob(t, app, held[1], ai.JobSucceeded)
}

func TestModelNoLongerReady(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, oneWorker)
	withScriptModel(t, app, `{}`)

	// a job waits behind one of its model's lane (the model server's)
	blocker := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, blocker, ai.JobRunning)
	late := mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"echo": 1})
	model, err := app.FindRecordById(ai.Models, scriptModel)
	if err != nil {
		t.Fatal(err)
	}
	model.Set("kind", "text_classifier") // back to draft
	if err := app.Save(model); err != nil {
		t.Fatal(err)
	}
	k.open()
	job := waitJob(t, app, late, ai.JobFailed)
	if msg := job.GetString("error"); !strings.Contains(msg, `Model "script-model" is no longer ready (it is draft)`) {
		t.Errorf("error %q", msg)
	}
}

// TestShutdown: intake stops at once; a running job that outlives the
// grace period goes back to queued, and waiting jobs stay queued, for the
// next start.
func TestShutdown(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, oneWorker)
	withScriptModel(t, app, `{}`)

	running := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, running, ai.JobRunning)
	waiting := mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"echo": 1})

	started := time.Now()
	checked := false
	err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error {
		// what the app's own shutdown would close next: the database
		checked = true
		if d := time.Since(started); d < 200*time.Millisecond || d > 3*time.Second {
			t.Errorf("shutdown took %s with a grace of 200ms", d)
		}
		for _, id := range []string{running, waiting} {
			job, err := app.FindRecordById(ai.Jobs, id)
			if err != nil {
				t.Fatal(err)
			}
			if job.GetString("status") != ai.JobQueued || job.GetString("started_at") != "" {
				t.Errorf("job %s after shutdown: %s, started_at %q", id, job.GetString("status"), job.GetString("started_at"))
			}
		}
		res := infer(t, base, testapp.Gina, scriptModel, map[string]any{"echo": 2})
		if res.Status != http.StatusServiceUnavailable || !strings.Contains(res.Raw, "shutting down") {
			t.Errorf("intake during shutdown: %d %s", res.Status, res.Raw)
		}
		return nil
	})
	if err != nil || !checked {
		t.Fatalf("terminate: %v", err)
	}
	if errs := k.errs(); len(errs) != 1 || errs[0].Error() != "the server is shutting down" {
		t.Errorf("model context causes %v", errs)
	}
}

// TestDashboardJobRuns: a job a superuser writes through the records API
// (the dashboard) is queued and runs at once, like one from infer.
func TestDashboardJobRuns(t *testing.T) {
	app, base := serve(t, nil)
	res := testapp.Call(t, http.MethodPost, base+"/api/collections/ai_logs/records", testapp.Token("root"), map[string]any{
		"user": testapp.ID(testapp.Alice), "ai": mReady, "description": "from the dashboard",
		"input": map[string]any{"rows": []map[string]any{{"x0": 1, "x1": 2}}},
	})
	if res.Status != http.StatusOK || res.Body["status"] != ai.JobQueued {
		t.Fatalf("superuser creating a job: %d %s", res.Status, res.Raw)
	}
	job := waitJob(t, app, res.Body["id"].(string), ai.JobSucceeded)
	if got := job.GetString("result"); got != `{"predictions":[9]}` {
		t.Errorf("result %s", got)
	}
}

// TestCancelOfAJobDeletedMeanwhile: a job deleted while its cancel is under
// way (its model or user deleted, a superuser in the dashboard) answers 404,
// as a job never found does. Until 2026-12-04 it answered 500.
func TestCancelOfAJobDeletedMeanwhile(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, oneWorker)
	withScriptModel(t, app, `{}`)
	blocker := mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, blocker, ai.JobRunning)
	id := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": "never"})
	// the cancel's write deletes the job in its own transaction: after it,
	// the route finds nothing to answer with
	app.OnRecordUpdateExecute("ai_logs").BindFunc(func(e *core.RecordEvent) error {
		if err := e.Next(); err != nil || e.Record.Id != id || e.Record.GetString("status") != ai.JobCanceled {
			return err
		}
		return e.App.Delete(e.Record)
	})
	if res := cancel(t, base, testapp.Alice, id); res.Status != http.StatusNotFound || !strings.Contains(res.Raw, "No job with this id.") {
		t.Fatalf("cancel of a job deleted meanwhile: %d %s", res.Status, res.Raw)
	}
	k.open()
	waitJob(t, app, blocker, ai.JobSucceeded)
}
