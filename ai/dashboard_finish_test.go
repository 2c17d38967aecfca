package ai_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/ai"
	"madang/internal/testapp"
)

// finishedCounts is madang_ai_jobs_finished_total now, by status.
func finishedCounts(t testing.TB, app core.App) map[string]uint64 {
	t.Helper()
	load, ok := ai.LoadOf(app)
	if !ok {
		t.Fatal("the AI subsystem is not bound")
	}
	return load.Finished
}

func patchJob(t testing.TB, base, id string, body map[string]any) testapp.Response {
	t.Helper()
	return testapp.Call(t, http.MethodPatch, base+"/api/collections/ai_logs/records/"+id, testapp.Token("root"), body)
}

// TestDashboardFinishStopsARunningJob: a superuser who sets a running job's
// status to a final state in the dashboard stops it as a cancel does; the
// worker writes nothing over it, and the job is counted once.
func TestDashboardFinishStopsARunningJob(t *testing.T) {
	for _, c := range []struct {
		status, result string
	}{
		{ai.JobCanceled, ""},
		{ai.JobSucceeded, `{"text":"operator"}`},
	} {
		t.Run(c.status, func(t *testing.T) {
			k := newScriptKind(t)
			app, base := serve(t, oneWorker)
			withScriptModel(t, app, `{}`)
			statuses := recordStatuses(app)

			id := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true})
			waitJob(t, app, id, ai.JobRunning)
			body := map[string]any{"status": c.status}
			if c.result != "" {
				body["result"] = json.RawMessage(c.result)
			}
			res := patchJob(t, base, id, body)
			if res.Status != http.StatusOK || res.Body["status"] != c.status || res.Body["is_finished"] != true {
				t.Fatalf("the superuser's finish: %d %s", res.Status, res.Raw)
			}

			// the model saw its context end, and the worker goes on with the next job
			next := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 1})
			waitJob(t, app, next, ai.JobSucceeded)
			if errs := k.errs(); len(errs) != 1 || errs[0].Error() != "finished by someone else" {
				t.Errorf("model context causes %v", errs)
			}
			job := waitJob(t, app, id, c.status)
			wantResult := c.result
			if wantResult == "" {
				wantResult = "null"
			}
			if job.GetString("error") != "" || job.GetString("result") != wantResult {
				t.Errorf("the job after its worker ended: error %q, result %s", job.GetString("error"), job.GetString("result"))
			}
			if got := statuses.until(t, next, ai.JobSucceeded); !slices.Equal(statuses.of(id), []string{"queued", "running", c.status}) {
				t.Errorf("saved statuses %v (next job: %v)", statuses.of(id), got)
			}
			want := map[string]uint64{ai.JobSucceeded: 1, ai.JobFailed: 0, ai.JobCanceled: 0}
			want[c.status]++
			if got := finishedCounts(t, app); !maps.Equal(got, want) {
				t.Errorf("finished jobs counted %v, want %v", got, want)
			}
		})
	}
}

// TestLateWorkerWriteKeepsTheDashboardFinish: a superuser's finish that
// commits after the worker has handed over its final state (here: while
// the test holds the database's write lock, with the worker gone on to the
// next job) is what stays; the worker's write is dropped, and not counted.
func TestLateWorkerWriteKeepsTheDashboardFinish(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, oneWorker)
	withScriptModel(t, app, `{}`)
	statuses := recordStatuses(app)

	late := mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"wait": true, "echo": "worker"})
	waitJob(t, app, late, ai.JobRunning)
	next := mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"echo": "next"})

	held, release, committed := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		committed <- app.RunInTransaction(func(tx core.App) error {
			close(held)
			<-release
			job, err := tx.FindRecordById(ai.Jobs, late)
			if err != nil {
				return err
			}
			job.Set("status", ai.JobCanceled)
			job.Set("error", "Stopped by the operator.")
			return tx.Save(job)
		})
	}()
	<-held
	k.open()
	// the worker takes the next job only once it handed the late one's
	// final state over, which waits for the write lock
	for deadline := time.Now().Add(10 * time.Second); k.runs() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not take the next job (%d runs)", k.runs())
		}
	}
	close(release)
	if err := <-committed; err != nil {
		t.Fatal(err)
	}

	waitJob(t, app, next, ai.JobSucceeded)
	job := waitJob(t, app, late, ai.JobCanceled)
	if job.GetString("error") != "Stopped by the operator." || job.GetString("result") != "null" {
		t.Errorf("the finished job was written over: error %q, result %s", job.GetString("error"), job.GetString("result"))
	}
	statuses.until(t, next, ai.JobSucceeded)
	if got := statuses.of(late); !slices.Equal(got, []string{"queued", "running", "canceled"}) {
		t.Errorf("saved statuses %v", got)
	}
	want := map[string]uint64{ai.JobSucceeded: 1, ai.JobFailed: 0, ai.JobCanceled: 1}
	if got := finishedCounts(t, app); !maps.Equal(got, want) {
		t.Errorf("finished jobs counted %v, want %v", got, want)
	}
}

// TestDashboardFinishFreesQueuedJobs: queued jobs a superuser finishes in
// the dashboard leave the queue at once: they no longer count against
// their user's in-flight limit or the queue's waiting jobs, and never run.
func TestDashboardFinishFreesQueuedJobs(t *testing.T) {
	k := newScriptKind(t)
	app, base := serve(t, with(oneWorker, "MADANG_AI_PER_USER", "2"))
	withScriptModel(t, app, `{}`)
	statuses := recordStatuses(app)

	blocker := mustQueue(t, base, testapp.Bob, scriptModel, map[string]any{"wait": true})
	waitJob(t, app, blocker, ai.JobRunning)
	queued := []string{
		mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 1}),
		mustQueue(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 2}),
	}
	if res := infer(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 3}); res.Status != http.StatusTooManyRequests {
		t.Fatalf("alice's third job: %d %s", res.Status, res.Raw)
	}
	for _, id := range queued {
		if res := patchJob(t, base, id, map[string]any{"status": ai.JobFailed, "error": "Dropped by the operator."}); res.Status != http.StatusOK {
			t.Fatalf("the superuser's finish: %d %s", res.Status, res.Raw)
		}
	}
	if load, _ := ai.LoadOf(app); load.JobsWaiting != 0 || load.JobsRunning != 1 {
		t.Errorf("queue after the finish: %d waiting, %d running", load.JobsWaiting, load.JobsRunning)
	}
	stats := testapp.Call(t, http.MethodGet, base+"/api/ai/stats", testapp.Token(testapp.Adam), nil)
	if q, _ := stats.Body["queue"].(map[string]any); q["waiting"] != 0.0 || q["running"] != 1.0 {
		t.Errorf("stats queue after the finish: %v", stats.Body["queue"])
	}
	again := infer(t, base, testapp.Alice, scriptModel, map[string]any{"echo": 4})
	if again.Status != http.StatusAccepted {
		t.Fatalf("alice's job after the finish: %d %s", again.Status, again.Raw)
	}

	k.open()
	waitJob(t, app, blocker, ai.JobSucceeded)
	waitJob(t, app, again.Body["id"].(string), ai.JobSucceeded)
	statuses.until(t, again.Body["id"].(string), ai.JobSucceeded) // counted by then
	if n := k.runs(); n != 2 {
		t.Errorf("%d runs, want 2 (the finished jobs must not run)", n)
	}
	for _, id := range queued {
		if job := waitJob(t, app, id, ai.JobFailed); job.GetString("error") != "Dropped by the operator." || !job.GetDateTime("started_at").IsZero() {
			t.Errorf("job %s: error %q, started_at %s", id, job.GetString("error"), job.GetDateTime("started_at"))
		}
	}
	want := map[string]uint64{ai.JobSucceeded: 2, ai.JobFailed: 2, ai.JobCanceled: 0}
	if got := finishedCounts(t, app); !maps.Equal(got, want) {
		t.Errorf("finished jobs counted %v, want %v", got, want)
	}
}
