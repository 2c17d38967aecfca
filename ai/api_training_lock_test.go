package ai_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"madang/ai"
	"madang/internal/testapp"
)

// TestTrainingHeldByAnotherProcess: one training of a model at a time
// across the processes on a data dir. While another process (`madang ai
// train`) holds the model's training lock, the train route answers 409
// naming it and changes nothing, TrainRecord (the CLI's) refuses, and the
// server's trainer leaves a training it restored to that process; once the
// lock is free (the process ended, however it ended), the route trains.
// Until 2026-12-04 the route started a second training beside the CLI's.
func TestTrainingHeldByAnotherProcess(t *testing.T) {
	app, base := serve(t, nil)
	created := createModel(t, base, testapp.Adam, map[string]string{"name": "plane", "kind": "linear_regression", "options": `{"target":"y"}`}, planeCSV(100))
	if created.Status != 200 {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	id := created.Body["id"].(string)
	release, held, err := ai.HoldTraining(app, id)
	if err != nil || !held {
		t.Fatalf("holding the lock: %v %v", held, err)
	}
	res := testapp.Call(t, http.MethodPost, base+"/api/ais/"+id+"/train", testapp.Token(testapp.Adam), nil)
	if res.Status != 409 || !strings.Contains(res.Raw, "already training in another process") {
		t.Errorf("train while another process trains: %d %s", res.Status, res.Raw)
	}
	model, err := app.FindRecordById(ai.Models, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := model.GetString("status"); got != created.Body["status"] {
		t.Errorf("the refused train changed the status: %s, was %s", got, created.Body["status"])
	}
	if err := ai.TrainRecord(context.Background(), app, model, nil); err == nil || !strings.Contains(err.Error(), "already training in another process") {
		t.Errorf("TrainRecord while another process trains: %v", err)
	}
	release()
	if res := testapp.Call(t, http.MethodPost, base+"/api/ais/"+id+"/train", testapp.Token(testapp.Adam), nil); res.Status != 202 {
		t.Fatalf("train once the lock is free: %d %s", res.Status, res.Raw)
	}
	if got := waitModel(t, app, id); got.GetString("status") != ai.StatusReady {
		t.Errorf("after the free train: %s %q", got.GetString("status"), got.GetString("error"))
	}
}

// TestRestoredTrainingLeftToItsProcess: a server starting while `madang ai
// train` trains a model (status training) leaves that training to it
// rather than running a second one.
func TestRestoredTrainingLeftToItsProcess(t *testing.T) {
	crashed := testapp.New(t)
	models, err := crashed.FindCollectionByNameOrId(ai.Models)
	if err != nil {
		t.Fatal(err)
	}
	training := core.NewRecord(models)
	file, _ := filesystem.NewFileFromBytes([]byte(planeCSV(100)), "plane.csv")
	training.Load(map[string]any{"name": "by-the-cli", "kind": "linear_regression", "status": ai.StatusTraining,
		"options": `{"target":"y"}`, "dataset": file})
	if err := crashed.Save(training); err != nil {
		t.Fatal(err)
	}
	app := restart(t, crashed)
	release, held, err := ai.HoldTraining(app, training.Id) // on the data dir the server is about to serve
	if err != nil || !held {
		t.Fatalf("holding the lock: %v %v", held, err)
	}
	defer release()
	left := make(chan string, 1)
	ai.OnTrainingLeft(t, func(id string) { left <- id })
	testapp.Serve(t, app)
	select {
	case got := <-left:
		if got != training.Id {
			t.Fatalf("left %s, want %s", got, training.Id)
		}
	case <-time.After(30 * time.Second): // a guard against hanging, not the test's condition
		model, _ := app.FindRecordById(ai.Models, training.Id)
		t.Fatalf("the trainer never left the training to its process; the model is %s %q", model.GetString("status"), model.GetString("error"))
	}
	model, err := app.FindRecordById(ai.Models, training.Id)
	if err != nil {
		t.Fatal(err)
	}
	if model.GetString("status") != ai.StatusTraining || !model.GetDateTime("trained_at").IsZero() {
		t.Errorf("the server trained it beside the other process: %s, trained at %s", model.GetString("status"), model.GetString("trained_at"))
	}
}
