package ai_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/ai"
	"madang/internal/madang"
	"madang/internal/testapp"
)

// ---- a scripted training --------------------------------------------------

// trainKind stands in for text_classifier (as a kind without a dataset) and
// trains as each model's options say: {"label":"a","block":true} waits
// until the test releases "a" (or the training's context ends),
// {"label":"p","panic":"…"} panics. It logs "start a" and "end a" around
// each run, so a test sees which trainings overlapped.
type trainKind struct {
	starts chan string // every label whose training began

	mu      sync.Mutex
	gates   map[string]chan struct{}
	events  []string
	ctxErrs []error
}

type trainOptions struct {
	Label string `json:"label"`
	Block bool   `json:"block"`
	Panic string `json:"panic"`
}

func newTrainKind(t testing.TB) *trainKind {
	k := &trainKind{starts: make(chan string, 64), gates: map[string]chan struct{}{}}
	ai.SetKind(t, k)
	return k
}

func (k *trainKind) gate(label string) chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gates[label] == nil {
		k.gates[label] = make(chan struct{})
	}
	return k.gates[label]
}

// release lets the blocked training of label (now or later) finish.
func (k *trainKind) release(label string) { close(k.gate(label)) }

func (k *trainKind) log(event string) {
	k.mu.Lock()
	k.events = append(k.events, event)
	k.mu.Unlock()
}

func (k *trainKind) history() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.events...)
}

func (k *trainKind) causes() []error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]error(nil), k.ctxErrs...)
}

// waitStart waits until the training of label begins.
func (k *trainKind) waitStart(t testing.TB, label string) {
	t.Helper()
	select {
	case got := <-k.starts:
		if got != label {
			t.Fatalf("the training of %q began, want %q", got, label)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the training of %q did not begin", label)
	}
}

func (*trainKind) Name() string       { return "text_classifier" }
func (*trainKind) NeedsDataset() bool { return false }

func (*trainKind) ValidateOptions(options json.RawMessage) error {
	var opts trainOptions
	dec := json.NewDecoder(strings.NewReader(string(options)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opts); err != nil || opts.Label == "" {
		return &ai.InputError{Field: "options", Message: "options are not a training script."}
	}
	return nil
}

func (*trainKind) Load(_, _ json.RawMessage) (ai.Predictor, error) {
	return nil, errors.New("a scripted training runs no jobs")
}

func (k *trainKind) Train(ctx context.Context, _ io.Reader, options json.RawMessage, _ func(string)) (*ai.Trained, error) {
	var opts trainOptions
	if err := json.Unmarshal(options, &opts); err != nil {
		return nil, err
	}
	k.log("start " + opts.Label)
	defer k.log("end " + opts.Label)
	k.starts <- opts.Label
	if opts.Panic != "" {
		panic(opts.Panic)
	}
	if opts.Block {
		select {
		case <-k.gate(opts.Label):
		case <-ctx.Done():
			k.mu.Lock()
			k.ctxErrs = append(k.ctxErrs, context.Cause(ctx))
			k.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	return &ai.Trained{Model: json.RawMessage(`{"label":"` + opts.Label + `"}`), Metrics: map[string]float64{"accuracy": 1}}, nil
}

// saveScripted saves a draft model trained by the trainKind.
func saveScripted(t testing.TB, app core.App, name, options string) string {
	t.Helper()
	return saveModel(t, app, "", name, "text_classifier", ai.StatusDraft, true, "", options).Id
}

func train(t testing.TB, base, id string) testapp.Response {
	t.Helper()
	return testapp.Call(t, http.MethodPost, base+"/api/ais/"+id+"/train", testapp.Token(testapp.Adam), nil)
}

func mustTrain(t testing.TB, base, id string) {
	t.Helper()
	if res := train(t, base, id); res.Status != http.StatusAccepted || res.Body["status"] != ai.StatusTraining {
		t.Fatalf("train %s: %d %s", id, res.Status, res.Raw)
	}
}

func modelStatus(t testing.TB, app core.App, id string) string {
	t.Helper()
	model, err := app.FindRecordById(ai.Models, id)
	if err != nil {
		t.Fatal(err)
	}
	return model.GetString("status")
}

// trainingQueue is the training part of GET /api/ai/stats.
func trainingQueue(t testing.TB, base string) map[string]any {
	t.Helper()
	res := testapp.Call(t, http.MethodGet, base+"/api/ai/stats", testapp.Token(testapp.Adam), nil)
	training, _ := res.Body["training"].(map[string]any)
	if res.Status != http.StatusOK || training == nil {
		t.Fatalf("stats: %d %s", res.Status, res.Raw)
	}
	return training
}

// assertTrained checks that a model ended ready with the trainKind's model.
func assertTrained(t testing.TB, app core.App, id, label string) {
	t.Helper()
	model := waitModel(t, app, id)
	if model.GetString("status") != ai.StatusReady || model.GetString("error") != "" || model.GetDateTime("trained_at").IsZero() {
		t.Fatalf("model %s: %s %q, trained_at %s", label, model.GetString("status"), model.GetString("error"), model.GetDateTime("trained_at"))
	}
	if got := model.GetString("model"); got != `{"label":"`+label+`"}` {
		t.Errorf("model %s stored %s", label, got)
	}
}

// ---- tests ----------------------------------------------------------------

// TestTrainingsRunOneAtATimeByDefault: without MADANG_AI_TRAIN_WORKERS a
// second training waits, status training, until the first one ends.
func TestTrainingsRunOneAtATimeByDefault(t *testing.T) {
	k := newTrainKind(t)
	app, base := serve(t, map[string]string{"MADANG_AI_TRAIN_WORKERS": ""})
	first := saveScripted(t, app, "first", `{"label":"a","block":true}`)
	second := saveScripted(t, app, "second", `{"label":"b","block":true}`)

	mustTrain(t, base, first)
	k.waitStart(t, "a")
	mustTrain(t, base, second)
	if s := modelStatus(t, app, second); s != ai.StatusTraining {
		t.Errorf("the waiting model is %s", s)
	}
	if q := trainingQueue(t, base); q["workers"] != 1.0 || q["running"] != 1.0 || q["waiting"] != 1.0 {
		t.Errorf("training queue %v, want 1 worker, 1 running, 1 waiting", q)
	}

	k.release("a")
	k.waitStart(t, "b")
	// the second training began only once the first had ended
	if got := k.history(); !slices.Equal(got, []string{"start a", "end a", "start b"}) {
		t.Errorf("trainings %v, want the second to wait for the first", got)
	}
	assertTrained(t, app, first, "a")
	if s := modelStatus(t, app, second); s != ai.StatusTraining {
		t.Errorf("the second model is %s while it trains", s)
	}
	k.release("b")
	assertTrained(t, app, second, "b")
	if got := k.history(); !slices.Equal(got, []string{"start a", "end a", "start b", "end b"}) {
		t.Errorf("trainings %v, want one after the other", got)
	}
}

// TestPanickingTrainingFailsOnlyItsModel: a kind that panics fails its
// model with a sentence, and the one trainer goes on with the next model.
func TestPanickingTrainingFailsOnlyItsModel(t *testing.T) {
	k := newTrainKind(t)
	app, base := serve(t, map[string]string{"MADANG_AI_TRAIN_WORKERS": "1"})
	crashing := saveScripted(t, app, "crashing", `{"label":"p","panic":"index out of range [3] with length 3"}`)
	fine := saveScripted(t, app, "fine", `{"label":"f"}`)

	mustTrain(t, base, crashing)
	model := waitModel(t, app, crashing)
	want := "The model crashed (index out of range [3] with length 3); an admin can find the details in the server logs."
	if model.GetString("status") != ai.StatusFailed || model.GetString("error") != want {
		t.Errorf("after the panic: %s %q, want failed %q", model.GetString("status"), model.GetString("error"), want)
	}
	if model.GetString("model") != "null" || !model.GetDateTime("trained_at").IsZero() {
		t.Errorf("a crashed training stored model %s, trained_at %s", model.GetString("model"), model.GetDateTime("trained_at"))
	}

	mustTrain(t, base, fine)
	assertTrained(t, app, fine, "f")
	if got := k.history(); !slices.Equal(got, []string{"start p", "end p", "start f", "end f"}) {
		t.Errorf("trainings %v", got)
	}
	// the worker leaves the queue's count just after the model's final
	// write, which the test has already seen: wait for the queue to be idle
	// (CI once read it in between)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		q := trainingQueue(t, base)
		if q["running"] == 0.0 && q["waiting"] == 0.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("training queue %v 10 s after the last training, want idle", q)
		}
	}
}

// TestTrainingATrainingModelIs409: asking again while a model trains is
// refused and changes nothing; the model trains once.
func TestTrainingATrainingModelIs409(t *testing.T) {
	k := newTrainKind(t)
	app, base := serve(t, nil)
	id := saveScripted(t, app, "busy", `{"label":"a","block":true}`)

	mustTrain(t, base, id)
	k.waitStart(t, "a")
	before := testapp.TakeSnapshot(t, app)
	for _, user := range []string{testapp.Adam, testapp.Ada, "root"} {
		res := testapp.Call(t, http.MethodPost, base+"/api/ais/"+id+"/train", testapp.Token(user), nil)
		if res.Status != http.StatusConflict || res.Body["message"] != `Model "busy" is already training; wait for it to finish.` {
			t.Errorf("%s trains it again: %d %s", user, res.Status, res.Raw)
		}
	}
	before.AssertUnchanged(t, app)
	if q := trainingQueue(t, base); q["running"] != 1.0 || q["waiting"] != 0.0 {
		t.Errorf("training queue %v, want only the first training", q)
	}

	k.release("a")
	assertTrained(t, app, id, "a")
	// the trainer takes models in order: a training the refused requests
	// had queued would begin before this one
	sentinel := saveScripted(t, app, "sentinel", `{"label":"s"}`)
	mustTrain(t, base, sentinel)
	k.waitStart(t, "s")
	assertTrained(t, app, sentinel, "s")
	if got := k.history(); !slices.Equal(got, []string{"start a", "end a", "start s", "end s"}) {
		t.Errorf("trainings %v, want busy's once, then the sentinel's", got)
	}
}

// TestBadAIConfigIsRefused: each MADANG_AI_* variable refuses what it
// cannot use with an error naming it, and serve fails on it.
func TestBadAIConfigIsRefused(t *testing.T) {
	names := []string{"MADANG_AI_WORKERS", "MADANG_AI_REMOTE_WORKERS", "MADANG_AI_CAPACITY", "MADANG_AI_PER_USER",
		"MADANG_AI_TRAIN_WORKERS", "MADANG_AI_TIMEOUT", "MADANG_AI_GRACE"}
	clearEnv := func(t *testing.T) {
		for _, n := range names {
			t.Setenv(n, "")
		}
	}

	t.Run("good values", func(t *testing.T) {
		clearEnv(t)
		defaults, err := ai.ConfigFromEnv()
		if err != nil || defaults.TrainWorkers != 1 || defaults.RemoteWorkers != 16 || defaults.Capacity != 1000 || defaults.PerUser != 8 ||
			defaults.Timeout != time.Minute || defaults.Grace != 5*time.Second || defaults.Workers < 1 {
			t.Fatalf("defaults: %+v, %v", defaults, err)
		}
		for k, v := range map[string]string{"MADANG_AI_WORKERS": " 3 ", "MADANG_AI_REMOTE_WORKERS": "5", "MADANG_AI_CAPACITY": "1",
			"MADANG_AI_PER_USER": "2", "MADANG_AI_TRAIN_WORKERS": "4", "MADANG_AI_TIMEOUT": "1.5", "MADANG_AI_GRACE": "2m"} {
			t.Setenv(k, v)
		}
		want := defaults // settings without a variable keep their defaults
		want.Workers, want.RemoteWorkers, want.Capacity, want.PerUser, want.TrainWorkers = 3, 5, 1, 2, 4
		want.Timeout, want.Grace = 1500*time.Millisecond, 2*time.Minute
		if cfg, err := ai.ConfigFromEnv(); err != nil || cfg != want {
			t.Fatalf("got %+v, %v; want %+v", cfg, err, want)
		}
	})

	for _, c := range []struct{ name, value, advice string }{
		{"MADANG_AI_WORKERS", "abc", "a whole number of at least 1"},
		{"MADANG_AI_WORKERS", "0", "a whole number of at least 1"},
		{"MADANG_AI_REMOTE_WORKERS", "-2", "a whole number of at least 1"},
		{"MADANG_AI_WORKERS", "10000000", "a whole number from 1 to 4096"},
		{"MADANG_AI_TRAIN_WORKERS", "4097", "a whole number from 1 to 4096"},
		{"MADANG_AI_CAPACITY", "-5", "a whole number of at least 1"},
		{"MADANG_AI_PER_USER", "2.5", "a whole number of at least 1"},
		{"MADANG_AI_TRAIN_WORKERS", "0", "a whole number of at least 1"},
		{"MADANG_AI_TRAIN_WORKERS", "two", "a whole number of at least 1"},
		{"MADANG_AI_TIMEOUT", "0", "a positive duration"},
		{"MADANG_AI_TIMEOUT", "-1s", "a positive duration"},
		{"MADANG_AI_GRACE", "soon", "a positive duration"},
	} {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(c.name, c.value)
			_, err := ai.ConfigFromEnv()
			if err == nil || !strings.HasPrefix(err.Error(), c.name+`="`+c.value+`": `) || !strings.Contains(err.Error(), c.advice) {
				t.Fatalf("error %v, want one naming %s=%q and saying %q", err, c.name, c.value, c.advice)
			}
		})
	}

	t.Run("serve refuses to start", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("MADANG_AI_TRAIN_WORKERS", "0")
		app := testapp.New(t) // Register reads the environment
		router, err := apis.NewRouter(app)
		if err != nil {
			t.Fatal(err)
		}
		// what apis.Serve does before it listens
		err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router}, func(*core.ServeEvent) error {
			t.Error("serve went on despite a bad MADANG_AI_TRAIN_WORKERS")
			return nil
		})
		want := `ai: MADANG_AI_TRAIN_WORKERS="0": use a whole number of at least 1`
		if err == nil || err.Error() != want {
			t.Fatalf("serve: %v, want %q", err, want)
		}
	})
}

// TestShutdownLeavesTrainingForTheNextStart: a training that outlives the
// grace period is stopped, not failed; the model stays training, as does
// one waiting behind it, and the next start trains both, in order.
func TestShutdownLeavesTrainingForTheNextStart(t *testing.T) {
	k := newTrainKind(t)
	app, base := serve(t, map[string]string{"MADANG_AI_TRAIN_WORKERS": "1", "MADANG_AI_GRACE": "200ms"})
	running := saveScripted(t, app, "running", `{"label":"a","block":true}`)
	waiting := saveScripted(t, app, "waiting", `{"label":"b"}`)
	mustTrain(t, base, running)
	k.waitStart(t, "a")
	mustTrain(t, base, waiting)

	checked := false
	err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error {
		checked = true
		for _, id := range []string{running, waiting} {
			model, err := app.FindRecordById(ai.Models, id)
			if err != nil {
				t.Fatal(err)
			}
			if model.GetString("status") != ai.StatusTraining || model.GetString("error") != "" {
				t.Errorf("model %s after shutdown: %s %q", model.GetString("name"), model.GetString("status"), model.GetString("error"))
			}
		}
		// what the app's own shutdown does next
		return e.App.ResetBootstrapState()
	})
	if err != nil || !checked {
		t.Fatalf("terminate: %v", err)
	}
	if errs := k.causes(); len(errs) != 1 || errs[0].Error() != "the server is shutting down" {
		t.Errorf("training context causes %v", errs)
	}
	if got := k.history(); !slices.Equal(got, []string{"start a", "end a"}) {
		t.Errorf("trainings before the restart %v", got)
	}

	k.release("a") // the next run of "a" does not block
	restarted, err := tests.NewTestApp(app.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(restarted.Cleanup)
	madang.Bind(restarted)
	testapp.Serve(t, restarted)

	assertTrained(t, restarted, running, "a")
	assertTrained(t, restarted, waiting, "b")
	if got := k.history(); !slices.Equal(got, []string{"start a", "end a", "start a", "end a", "start b", "end b"}) {
		t.Errorf("trainings %v, want a resumed, then b", got)
	}
}

// TestDatasetTypeExplained: a tab-separated dataset is refused with a
// sentence saying what to upload (PocketBase's own: "mime type must be one
// of: text/csv, text/plain."), and nothing is saved. (UTF-16 with its BOM,
// Excel's "유니코드 텍스트", passes the upload as text/plain and fails the
// training as not UTF-8.)
func TestDatasetTypeExplained(t *testing.T) {
	app, base := serve(t, nil)
	before, err := app.CountRecords(ai.Models)
	if err != nil {
		t.Fatal(err)
	}
	res := createModel(t, base, testapp.Adam, map[string]string{"name": "m", "kind": "linear_regression", "options": `{"target":"y"}`},
		"a\tb\ty\n"+strings.Repeat("1\t2\t3\n", 20))
	data, _ := res.Body["data"].(map[string]any)
	field, _ := data["dataset"].(map[string]any)
	if msg, _ := field["message"].(string); res.Status != 400 || !strings.Contains(msg, "comma-separated, in UTF-8") {
		t.Errorf("a tab-separated dataset: %d %s", res.Status, res.Raw)
	}
	if after, err := app.CountRecords(ai.Models); err != nil || after != before {
		t.Errorf("%d models after, %d before (%v)", after, before, err)
	}
}
