package ai_test

import (
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/ai"
	"madang/internal/testapp"
)

// trainingStarts reads how many starts of id's training did not end.
func trainingStarts(t testing.TB, app core.App, id string) int {
	t.Helper()
	var n int
	err := app.DB().Select("COALESCE(SUM(starts), 0)").From("_madang_training_starts").
		Where(dbx.HashExp{"model": id}).Row(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTrainingThatKeepsCrashingIsFailed: a training that took the process
// down three times (out of memory) is failed at the next start instead of
// run again: the server used to die again at every start, with no request.
// One that crashed fewer times runs again, and an ended training leaves no
// count behind.
func TestTrainingThatKeepsCrashingIsFailed(t *testing.T) {
	k := newTrainKind(t)
	crashed := testapp.New(t)
	doomed := saveModel(t, crashed, "", "doomed", "text_classifier", ai.StatusTraining, true, "", `{"label":"d"}`).Id
	retried := saveModel(t, crashed, "", "retried", "text_classifier", ai.StatusTraining, true, "", `{"label":"r"}`).Id
	// what three and two starts that never ended leave behind
	for id, starts := range map[string]int{doomed: 3, retried: 2} {
		if _, err := crashed.DB().Insert("_madang_training_starts", dbx.Params{"model": id, "starts": starts}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	app := restart(t, crashed)
	base := testapp.Serve(t, app)

	assertTrained(t, app, retried, "r")
	model := waitModel(t, app, doomed)
	want := "The training was started 3 times and the server stopped each time before it ended " +
		"(it may need more memory than the server has), so it is not started again; " +
		"use a smaller dataset or give the server more memory, then train the model again."
	if model.GetString("status") != ai.StatusFailed || model.GetString("error") != want {
		t.Errorf("doomed model: %s %q, want failed %q", model.GetString("status"), model.GetString("error"), want)
	}
	if model.GetString("model") != "null" || !model.GetDateTime("trained_at").IsZero() {
		t.Errorf("doomed model stored %s, trained_at %s", model.GetString("model"), model.GetDateTime("trained_at"))
	}
	waitTrainerIdle(t, base)
	if got := k.history(); len(got) != 2 || got[0] != "start r" {
		t.Errorf("trainings %v, want only the retried one", got)
	}
	for _, id := range []string{doomed, retried} {
		if n := trainingStarts(t, app, id); n != 0 {
			t.Errorf("model %s: %d starts left counted", id, n)
		}
	}

	// an admin trains the failed model again: it starts afresh
	mustTrain(t, base, doomed)
	assertTrained(t, app, doomed, "d")
	if n := trainingStarts(t, app, doomed); n != 0 {
		t.Errorf("%d starts left counted after a finished training", n)
	}
}
