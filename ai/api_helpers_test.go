package ai_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/ai"
	"madang/internal/madang"
	"madang/internal/testapp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testapp.Cleanup()
	os.Exit(code)
}

var (
	alice = testapp.ID(testapp.Alice)
	bob   = testapp.ID(testapp.Bob)
	adam  = testapp.ID(testapp.Adam)
)

// Model fixtures, written by withModels (no training: the models are
// hand-made, so the tests know every prediction):
//
//	mReady   visible, ready linear model y = 1 + 2·x0 + 3·x1
//	mHidden  hidden, ready, the same model
//	mDraft   visible draft
//	mText    visible, ready text classifier (labels a, b)
//
// and job fixtures, all finished so that no worker picks them up:
// jAlice (alice on mReady) and jBob (bob on mReady).
var (
	mReady  = testapp.ID("mready")
	mHidden = testapp.ID("mhidden")
	mDraft  = testapp.ID("mdraft")
	mText   = testapp.ID("mtext")
	jAlice  = testapp.ID("jalice")
	jBob    = testapp.ID("jbob")
)

const (
	linearModelJSON = `{"features":["x0","x1"],"coefficients":[2,3],"intercept":1,"target":"y"}`
	textModelJSON   = `{"labels":["a","b"],"docs":[1,1],"grams":["a","b"],"counts":[[0,3],[1,3]]}`
)

// fixtureModels and fixtureJobs are how many records withModels writes.
const (
	fixtureModels = 4
	fixtureJobs   = 2
)

func withModels(t testing.TB, app core.App) {
	t.Helper()
	saveModel(t, app, mReady, "ready-model", "linear_regression", ai.StatusReady, true, linearModelJSON, `{"target":"y"}`)
	saveModel(t, app, mHidden, "hidden-model", "linear_regression", ai.StatusReady, false, linearModelJSON, `{"target":"y"}`)
	saveModel(t, app, mDraft, "draft-model", "linear_regression", ai.StatusDraft, true, "", `{"target":"y"}`)
	saveModel(t, app, mText, "text-model", "text_classifier", ai.StatusReady, true, textModelJSON, `{}`)
	saveJob(t, app, jAlice, alice, mReady, ai.JobSucceeded, `{"features":{"x0":1,"x1":1}}`)
	saveJob(t, app, jBob, bob, mReady, ai.JobSucceeded, `{"features":{"x0":2,"x1":2}}`)
}

// modelsFactory fits tests.ApiScenario.TestAppFactory: the fixtures plus
// the AI fixtures.
func modelsFactory(t testing.TB) *tests.TestApp {
	app := testapp.Factory(t)
	withModels(t, app)
	return app
}

func saveModel(t testing.TB, app core.App, id, name, kind, status string, visible bool, model, options string) *core.Record {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(ai.Models)
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(c)
	if id != "" {
		r.Id = id
	}
	r.Load(map[string]any{"name": name, "kind": kind, "status": status, "is_visible": visible,
		"options": options, "description": "fixture " + name})
	if model != "" {
		r.Set("model", model)
	}
	if err := app.Save(r); err != nil {
		t.Fatalf("saving model %s: %v", name, err)
	}
	return r
}

func saveJob(t testing.TB, app core.App, id, user, model, status, input string) *core.Record {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(ai.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(c)
	if id != "" {
		r.Id = id
	}
	r.Load(map[string]any{"user": user, "ai": model, "status": status, "input": input, "description": "fixture job"})
	if err := app.Save(r); err != nil {
		t.Fatalf("saving job %s: %v", id, err)
	}
	return r
}

func countJobs(t testing.TB, app core.App) int {
	t.Helper()
	n, err := app.CountRecords(ai.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// ---- a real server --------------------------------------------------------

// serve starts the fixtures app, with env (MADANG_AI_*) applied first, on
// a loopback HTTP server; the queue starts with it.
func serve(t testing.TB, env map[string]string) (*tests.TestApp, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	app := testapp.New(t)
	withModels(t, app)
	return app, testapp.Serve(t, app)
}

func infer(t testing.TB, base, user, model string, input any) testapp.Response {
	t.Helper()
	return testapp.Call(t, http.MethodPost, base+"/api/ais/"+model+"/infer", testapp.Token(user),
		map[string]any{"input": input, "description": "test job"})
}

// mustQueue submits a job and returns its id.
func mustQueue(t testing.TB, base, user, model string, input any) string {
	t.Helper()
	res := infer(t, base, user, model, input)
	if res.Status != http.StatusAccepted || res.Body["status"] != ai.JobQueued {
		t.Fatalf("infer: %d %s", res.Status, res.Raw)
	}
	return res.Body["id"].(string)
}

// waitJob waits until job has one of statuses and returns it.
func waitJob(t testing.TB, app core.App, id string, statuses ...string) *core.Record {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		job, err := app.FindRecordById(ai.Jobs, id)
		if err != nil {
			t.Fatalf("job %s: %v", id, err)
		}
		for _, s := range statuses {
			if job.GetString("status") == s {
				return job
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s (error %q), want one of %v", id, job.GetString("status"), job.GetString("error"), statuses)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// statusLog records every saved status of every job, in order: what
// realtime subscribers are sent.
type statusLog struct {
	mu  sync.Mutex
	log map[string][]string
}

func recordStatuses(app core.App) *statusLog {
	l := &statusLog{log: map[string][]string{}}
	add := func(e *core.RecordEvent) error {
		l.mu.Lock()
		l.log[e.Record.Id] = append(l.log[e.Record.Id], e.Record.GetString("status"))
		l.mu.Unlock()
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess(ai.Jobs).BindFunc(add)
	app.OnRecordAfterUpdateSuccess(ai.Jobs).BindFunc(add)
	return l
}

func (l *statusLog) of(id string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.log[id]...)
}

// until returns id's saved statuses once the last one is final: a final
// state is visible in the database at its commit, and its after-success
// event (what the log records) follows the commit, so a test that saw the
// job finished waits for that event as its sentinel.
func (l *statusLog) until(t testing.TB, id, final string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := l.of(id)
		if len(got) > 0 && got[len(got)-1] == final || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---- a scripted model -----------------------------------------------------

// scriptKind stands in for openai_chat (a kind without a dataset) and does
// what each job's input says: {"wait":true} blocks until the test opens
// the gate (or the job's context ends), {"panic":"…"} panics,
// {"partials":[…]} streams them, {"fail":"…"} fails; the result echoes
// the input's "echo", or "big" bytes.
type scriptKind struct {
	gate chan struct{}

	mu      sync.Mutex
	started int
	ctxErrs []error
	echoes  []any // what the jobs that ran to the end echoed, in order
}

type scriptInput struct {
	Wait     bool     `json:"wait"`
	Panic    string   `json:"panic"`
	Fail     string   `json:"fail"`
	Partials []string `json:"partials"`
	Echo     any      `json:"echo"`
	Big      int      `json:"big"` // echo this many bytes
}

func newScriptKind(t testing.TB) *scriptKind {
	k := &scriptKind{gate: make(chan struct{})}
	ai.SetKind(t, k)
	return k
}

func (k *scriptKind) open() { close(k.gate) }

func (k *scriptKind) runs() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.started
}

func (k *scriptKind) errs() []error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]error(nil), k.ctxErrs...)
}

func (*scriptKind) Name() string                                      { return "openai_chat" }
func (*scriptKind) NeedsDataset() bool                                { return false }
func (*scriptKind) ValidateOptions(json.RawMessage) error             { return nil }
func (k *scriptKind) Load(_, _ json.RawMessage) (ai.Predictor, error) { return k, nil }
func (*scriptKind) Train(context.Context, io.Reader, json.RawMessage, func(string)) (*ai.Trained, error) {
	return &ai.Trained{Model: json.RawMessage(`{}`), Metrics: map[string]float64{}}, nil
}

func (*scriptKind) ValidateInput(input json.RawMessage) error {
	var in scriptInput
	dec := json.NewDecoder(strings.NewReader(string(input)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return &ai.InputError{Field: "input", Message: "input is not a script: " + err.Error()}
	}
	return nil
}

func (k *scriptKind) Predict(ctx context.Context, input json.RawMessage, partial func(string)) (any, error) {
	var in scriptInput
	if err := json.Unmarshal(input, &in); err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.started++
	k.mu.Unlock()
	for _, p := range in.Partials {
		partial(p)
		time.Sleep(20 * time.Millisecond)
	}
	if in.Panic != "" {
		panic(in.Panic)
	}
	if in.Wait {
		select {
		case <-k.gate:
		case <-ctx.Done():
			k.mu.Lock()
			k.ctxErrs = append(k.ctxErrs, context.Cause(ctx))
			k.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	if in.Fail != "" {
		return nil, errors.New(in.Fail)
	}
	if in.Big > 0 {
		return map[string]any{"echo": strings.Repeat("x", in.Big)}, nil
	}
	k.mu.Lock()
	k.echoes = append(k.echoes, in.Echo)
	k.mu.Unlock()
	return map[string]any{"echo": in.Echo}, nil
}

func (k *scriptKind) echoed() []any {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]any(nil), k.echoes...)
}

// scriptModel is a ready, visible model run by the scriptKind.
var scriptModel = testapp.ID("mscript")

func withScriptModel(t testing.TB, app core.App, options string) {
	t.Helper()
	saveModel(t, app, scriptModel, "script-model", "openai_chat", ai.StatusReady, true, `{}`, options)
}

// restart closes crashed's database the way a stopped process leaves it
// and starts a new app with Madang on its data dir, as the next start of
// the server does; it is removed when t ends.
func restart(t *testing.T, crashed *tests.TestApp) *tests.TestApp {
	t.Helper()
	if err := crashed.ResetBootstrapState(); err != nil {
		t.Fatal(err)
	}
	app, err := tests.NewTestApp(crashed.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	madang.Bind(app)
	return app
}
