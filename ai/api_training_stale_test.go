package ai_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/ai"
	"madang/internal/testapp"
)

// waitTrainerIdle waits until no training is waiting or running.
func waitTrainerIdle(t testing.TB, base string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		q := trainingQueue(t, base)
		if q["running"] == 0.0 && q["waiting"] == 0.0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("training queue %v, want idle", q)
		}
	}
}

// TestEditDuringTrainingDiscardsIt: an admin who changes a training model's
// kind or options gets a draft, and the training of the old settings never
// lands on it (it used to end ready, with a model of the old kind or target).
func TestEditDuringTrainingDiscardsIt(t *testing.T) {
	for _, c := range []struct {
		name string
		edit map[string]any
		want func(t *testing.T, model *core.Record)
	}{
		{"options", map[string]any{"options": map[string]any{"label": "b"}}, func(t *testing.T, model *core.Record) {
			if got := model.GetString("options"); got != `{"label":"b"}` {
				t.Errorf("options %s", got)
			}
		}},
		{"kind", map[string]any{"kind": "linear_regression"}, func(t *testing.T, model *core.Record) {
			if model.GetString("kind") != "linear_regression" || model.GetString("model") != "null" || !model.GetDateTime("trained_at").IsZero() {
				t.Errorf("kind %s, model %s, trained_at %s", model.GetString("kind"), model.GetString("model"), model.GetDateTime("trained_at"))
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := newTrainKind(t)
			app, base := serve(t, nil)
			id := saveScripted(t, app, "edited", `{"label":"a","block":true}`)
			mustTrain(t, base, id)
			k.waitStart(t, "a")

			res := testapp.Call(t, http.MethodPatch, base+"/api/collections/ais/records/"+id, testapp.Token(testapp.Adam), c.edit)
			if res.Status != http.StatusOK || res.Body["status"] != ai.StatusDraft {
				t.Fatalf("edit: %d %s", res.Status, res.Raw)
			}
			// the trainer stops the old training and is free again
			waitTrainerIdle(t, base)
			if errs := k.causes(); len(errs) != 1 || errs[0].Error() != "the model changed during its training" {
				t.Errorf("training context causes %v", errs)
			}
			model, err := app.FindRecordById(ai.Models, id)
			if err != nil {
				t.Fatal(err)
			}
			if model.GetString("status") != ai.StatusDraft || model.GetString("error") != "" {
				t.Errorf("after the training: %s %q, want the draft the edit left", model.GetString("status"), model.GetString("error"))
			}
			c.want(t, model)
			if c.name == "options" {
				// it trains again at once, on the new options
				k.release("b")
				mustTrain(t, base, id)
				assertTrained(t, app, id, "b")
			}
		})
	}
}

// TestStaleTrainingIsNotStored: a training whose model changed between its
// start and its save (here a CLI training, which no edit stops) stores
// nothing and says why; the model keeps what the edit wrote.
func TestStaleTrainingIsNotStored(t *testing.T) {
	k := newTrainKind(t)
	app := testapp.New(t)
	id := saveScripted(t, app, "racing", `{"label":"a","block":true}`)
	model, err := app.FindRecordById(ai.Models, id)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ai.TrainRecord(context.Background(), app, model, nil) }()
	k.waitStart(t, "a")
	edited, err := app.FindRecordById(ai.Models, id)
	if err != nil {
		t.Fatal(err)
	}
	edited.Set("options", `{"label":"c","block":true}`) // still training: the kind's own edit hook makes it a draft
	if err := app.Save(edited); err != nil {
		t.Fatal(err)
	}
	k.release("a")
	err = <-done
	want := `the training of model "racing" was discarded: its status became draft while it trained; train it again`
	if err == nil || err.Error() != want {
		t.Fatalf("TrainRecord: %v, want %q", err, want)
	}
	after, _ := app.FindRecordById(ai.Models, id)
	if after.GetString("status") != ai.StatusDraft || after.GetString("model") != "null" ||
		after.GetString("options") != `{"label":"c","block":true}` || after.GetString("error") != "" {
		t.Errorf("model after the discarded training: %s model %s options %s error %q", after.GetString("status"),
			after.GetString("model"), after.GetString("options"), after.GetString("error"))
	}

	// the same with the status left training (a superuser's repair in the
	// dashboard): the changed options alone discard it
	after.Set("status", ai.StatusTraining)
	if err := app.Save(after); err != nil {
		t.Fatal(err)
	}
	k2 := make(chan error, 1)
	go func() { k2 <- ai.TrainRecord(context.Background(), app, after, nil) }()
	k.waitStart(t, "c")
	if _, err := app.DB().NewQuery("UPDATE ais SET options = '{\"label\":\"d\"}' WHERE id = {:id}").Bind(map[string]any{"id": id}).Execute(); err != nil {
		t.Fatal(err)
	}
	k.release("c")
	err = <-k2
	var want2 = `the training of model "racing" was discarded: its options changed while it trained; train it again`
	if err == nil || err.Error() != want2 {
		t.Fatalf("TrainRecord: %v, want %q", err, want2)
	}
	if final, _ := app.FindRecordById(ai.Models, id); final.GetString("status") != ai.StatusTraining || final.GetString("model") != "null" {
		t.Errorf("model after the second discarded training: %s %s", final.GetString("status"), final.GetString("model"))
	}
}
