package ai_test

import (
	"testing"

	"madang/ai"
	"madang/internal/testapp"
)

// TestJobsCountTheirAttempts: jobs run at least once — a job interrupted
// by a crash runs again from the start after the restart — and
// ai_logs.attempt tells which run a client sees: 1 for a job run once, one
// more for a re-run, so a client clears the partial text it showed.
func TestJobsCountTheirAttempts(t *testing.T) {
	crashed := testapp.New(t)
	withModels(t, crashed)
	interrupted := saveJob(t, crashed, "", bob, mReady, ai.JobRunning, `{"features":{"x0":2,"x1":0}}`)
	interrupted.Set("attempt", 1) // the run the crash cut short
	if err := crashed.Save(interrupted); err != nil {
		t.Fatal(err)
	}
	app := restart(t, crashed)
	base := testapp.Serve(t, app)

	if got := waitJob(t, app, interrupted.Id, ai.JobSucceeded).GetInt("attempt"); got != 2 {
		t.Errorf("the interrupted job finished with attempt %d, want 2", got)
	}
	fresh := mustQueue(t, base, testapp.Alice, mReady, map[string]any{"features": map[string]any{"x0": 1, "x1": 1}})
	if got := waitJob(t, app, fresh, ai.JobSucceeded).GetInt("attempt"); got != 1 {
		t.Errorf("a job run once finished with attempt %d, want 1", got)
	}
}
