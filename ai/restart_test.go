package ai_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/ai"
	"madang/internal/testapp"
)

// TestRestartResumesWork leaves a data dir as a crash would (a job queued,
// one running, a model training), then starts a new app on it: the work
// is done without anyone asking again.
func TestRestartResumesWork(t *testing.T) {
	ai.SetRunningMarkDelay(t, time.Minute) // the saved statuses below are a quick job's
	crashed := testapp.New(t)
	withModels(t, crashed)
	queued := saveJob(t, crashed, "", alice, mReady, ai.JobQueued, `{"features":{"x0":1,"x1":1}}`)
	running := saveJob(t, crashed, "", bob, mReady, ai.JobRunning, `{"features":{"x0":2,"x1":0}}`)
	running.Set("started_at", types.NowDateTime())
	if err := crashed.Save(running); err != nil {
		t.Fatal(err)
	}
	models, err := crashed.FindCollectionByNameOrId(ai.Models)
	if err != nil {
		t.Fatal(err)
	}
	training := core.NewRecord(models)
	file, _ := filesystem.NewFileFromBytes([]byte(planeCSV(100)), "plane.csv")
	training.Load(map[string]any{"name": "interrupted", "kind": "linear_regression", "status": ai.StatusTraining,
		"options": `{"target":"y"}`, "dataset": file})
	if err := crashed.Save(training); err != nil {
		t.Fatal(err)
	}
	app := restart(t, crashed)
	statuses := recordStatuses(app)
	testapp.Serve(t, app)

	if got := waitJob(t, app, queued.Id, ai.JobSucceeded).GetString("result"); got != `{"predictions":[6]}` {
		t.Errorf("queued job's result %s", got)
	}
	if got := waitJob(t, app, running.Id, ai.JobSucceeded).GetString("result"); got != `{"predictions":[5]}` {
		t.Errorf("interrupted job's result %s", got)
	}
	if got := statuses.until(t, running.Id, ai.JobSucceeded); !slices.Equal(got, []string{"queued", "succeeded"}) {
		t.Errorf("interrupted job's saved statuses %v", got)
	}
	if got := statuses.until(t, queued.Id, ai.JobSucceeded); !slices.Equal(got, []string{"succeeded"}) {
		t.Errorf("queued job's saved statuses %v", got)
	}
	if model := waitModel(t, app, training.Id); model.GetString("status") != ai.StatusReady {
		t.Errorf("interrupted training: %s %q", model.GetString("status"), model.GetString("error"))
	}
	for _, id := range []string{jAlice, jBob} {
		if job, _ := app.FindRecordById(ai.Jobs, id); job.GetString("status") != ai.JobSucceeded {
			t.Errorf("finished job %s changed: %s", id, job.GetString("status"))
		}
	}
}
