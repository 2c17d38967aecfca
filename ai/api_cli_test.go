package ai_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"madang/ai"
	"madang/internal/testapp"
)

func saveDraft(t *testing.T, app core.App, name, csv string) *core.Record {
	t.Helper()
	models, err := app.FindCollectionByNameOrId(ai.Models)
	if err != nil {
		t.Fatal(err)
	}
	model := core.NewRecord(models)
	file, _ := filesystem.NewFileFromBytes([]byte(csv), name+".csv")
	model.Load(map[string]any{"name": name, "kind": "linear_regression", "options": `{"target":"y"}`, "dataset": file})
	if err := app.Save(model); err != nil {
		t.Fatal(err)
	}
	return model
}

func TestCLI(t *testing.T) {
	app := testapp.New(t)
	withModels(t, app)
	saveDraft(t, app, "plane", planeCSV(100))
	saveDraft(t, app, "broken", "x0,y\n1,2\nzwei,3\n")

	out, err := testapp.RunCLI(t, app, "ai", "train", "PLANE")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Training "plane" (linear_regression)…`, "Read 100 rows with 2 features", `Model "plane" is ready after`, "r2=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}

	_, err = testapp.RunCLI(t, app, "ai", "train", "broken")
	if err == nil || !strings.Contains(err.Error(), `training "broken" failed: The dataset at row 3, column 1 ("x0"): "zwei" is not a finite number.`) {
		t.Errorf("training a broken dataset: %v", err)
	}
	if _, err := testapp.RunCLI(t, app, "ai", "train", "nope"); err == nil || !strings.Contains(err.Error(), `no AI model with name or id "nope"`) {
		t.Errorf("unknown model: %v", err)
	}

	out, err = testapp.RunCLI(t, app, "ai", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NAME", "plane", "ready", "r2=1", "broken", "failed", `"zwei" is not a finite number`, "hidden-model", "false"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}

	out, err = testapp.RunCLI(t, app, "ai", "jobs")
	if err != nil || !strings.Contains(out, jAlice) || !strings.Contains(out, "ready-model") || !strings.Contains(out, "alice") {
		t.Errorf("jobs: %v\n%s", err, out)
	}
	out, err = testapp.RunCLI(t, app, "ai", "jobs", "--status", "queued")
	if err != nil || strings.Contains(out, jAlice) {
		t.Errorf("queued jobs: %v\n%s", err, out)
	}
	if _, err := testapp.RunCLI(t, app, "ai", "jobs", "--status", "done"); err == nil || !strings.Contains(err.Error(), `bad --status "done"`) {
		t.Errorf("bad status: %v", err)
	}
}

func TestDemoModels(t *testing.T) {
	app := testapp.NewEmpty(t)
	if out, err := testapp.RunCLI(t, app, "demo"); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for name, metric := range map[string]string{"linear-demo": "r2", "post-tone": "accuracy"} {
		model, err := app.FindFirstRecordByData(ai.Models, "name", name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var metrics map[string]float64
		json.Unmarshal([]byte(model.GetString("metrics")), &metrics)
		if model.GetString("status") != ai.StatusReady || !model.GetBool("is_visible") || metrics[metric] < 0.75 {
			t.Errorf("%s: %s, visible %v, metrics %v", name, model.GetString("status"), model.GetBool("is_visible"), metrics)
		}
	}
}
