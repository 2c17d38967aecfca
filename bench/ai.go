package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/ai"
)

// aiFixture is the model S6 runs: a ready, visible linear_regression.
type aiFixture struct {
	model   string // ais id; empty when the schema has no AI collections
	missing string // why S6 cannot run
}

func (a aiFixture) describe() string {
	if a.model == "" {
		return "no AI model (" + a.missing + ")"
	}
	return "a trained 8-feature linear_regression model"
}

func skipAI(fx *fixture) string { return fx.ai.missing }

const aiModelID = "aimodel00000000"

// aiFeatures is the regression's width: issue 14 measured the seed's
// design (FastAPI + Celery + Redis + scikit-learn) on an 8-feature one.
const aiFeatures = 8

// seedAI trains an 8-feature linear_regression model in-process
// (y = Σ (f+1)·xf + 1 plus noise) with Madang's own model code, and
// stores it ready.
func seedAI(app core.App) (aiFixture, error) {
	if missing := missingCollections(app, ai.Models, ai.Jobs); len(missing) > 0 {
		return aiFixture{missing: "missing collections " + strings.Join(missing, ", ")}, nil
	}
	kind, ok := ai.KindByName("linear_regression")
	if !ok {
		return aiFixture{missing: "no linear_regression kind"}, nil
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var csv strings.Builder
	for f := range aiFeatures {
		fmt.Fprintf(&csv, "x%d,", f)
	}
	csv.WriteString("y\n")
	for range 500 {
		y := 1 + rng.NormFloat64()*0.1
		for f := range aiFeatures {
			x := rng.Float64() * 10
			y += float64(f+1) * x
			fmt.Fprintf(&csv, "%.4f,", x)
		}
		fmt.Fprintf(&csv, "%.4f\n", y)
	}
	options := []byte(`{"target":"y"}`)
	trained, err := kind.Train(context.Background(), strings.NewReader(csv.String()), options, nil)
	if err != nil {
		return aiFixture{}, fmt.Errorf("training the benchmark model: %w", err)
	}
	models, err := app.FindCollectionByNameOrId(ai.Models)
	if err != nil {
		return aiFixture{}, err
	}
	m := core.NewRecord(models)
	m.Id = aiModelID
	m.Set("name", "bench regression")
	m.Set("kind", "linear_regression")
	m.Set("status", ai.StatusReady)
	m.Set("is_visible", true)
	m.Set("options", types.JSONRaw(options))
	m.Set("model", types.JSONRaw(trained.Model))
	m.Set("metrics", trained.Metrics)
	m.Set("trained_at", types.NowDateTime())
	if err := app.Save(m); err != nil {
		return aiFixture{}, fmt.Errorf("saving the benchmark model: %w", err)
	}
	return aiFixture{model: m.Id}, nil
}

// aiEnv lets Madang's queue take the whole burst (its default capacity is
// 1,000 waiting jobs; a bigger burst gets 429s by design).
func aiEnv(cfg config) []string {
	return []string{"MADANG_AI_CAPACITY=" + strconv.Itoa(max(cfg.AIJobs, 1000))}
}

// S6 on Madang: AIJobs inference jobs submitted as fast as AIWorkers
// clients can (users take turns, so no one hits the per-user limit), then
// waited for. A job's latency runs from its submit to its finished_at (the
// server's clock is the machine's); the rate is jobs over first submit to
// last finish. On the baseline: the same number of plain ai_logs creates
// (a superuser's: the collection has no create rule), as fast as possible.
func aiJobs(r *run) (*sample, error) {
	if r.isMadang() {
		return r.inferBurst()
	}
	return r.createBurst()
}

func jobInput(i int) map[string]any {
	features := map[string]float64{}
	for f := range aiFeatures {
		features[fmt.Sprintf("x%d", f)] = float64((i + f) % (7 + f))
	}
	return map[string]any{"input": map[string]any{"features": features}, "description": fmt.Sprintf("bench job %d", i)}
}

func (r *run) inferBurst() (*sample, error) {
	n := r.cfg.AIJobs
	submitted := make([]time.Time, n)
	ids := make([]string, n)
	start := time.Now()
	s := countedBurst(n, r.cfg.AIWorkers, func(i int) error {
		u := r.fx.users[i%len(r.fx.users)]
		var job struct {
			ID string `json:"id"`
		}
		submitted[i] = time.Now()
		if err := r.call(http.MethodPost, "/api/ais/"+r.fx.ai.model+"/infer", u.token, jobInput(i), &job); err != nil {
			return err
		}
		ids[i] = job.ID
		return nil
	})
	submitTime := time.Since(start)
	// wait for the queue to finish every accepted job
	accepted := n - s.Errors
	finished := 0
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var page struct {
			TotalItems int `json:"totalItems"`
		}
		err := r.call(http.MethodGet, "/api/collections/ai_logs/records?"+url.Values{
			"filter": {"is_finished = true"}, "perPage": {"1"}, "fields": {"id"}}.Encode(), r.fx.superToken, nil, &page)
		if err != nil {
			return nil, err
		}
		if finished = page.TotalItems; finished >= accepted {
			break
		}
	}
	if finished < accepted {
		s.Problems = append(s.Problems, fmt.Sprintf("only %d of %d jobs finished within 5 minutes", finished, accepted))
	}
	s.Extra["submit_per_s"] = float64(accepted) / submitTime.Seconds()
	r.jobs = &jobTrace{ids: ids, submitted: submitted, start: start}
	return s, nil
}

// jobTrace is what S6 on Madang needs to time its jobs once the server stopped.
type jobTrace struct {
	ids       []string    // job ids by submit order ("" when refused)
	submitted []time.Time // when each submit began
	start     time.Time
}

// timeJobs computes S6's latencies and rate from the stopped server's jobs.
func timeJobs(r *run, dataDir string, s *sample) error {
	if r.jobs == nil {
		return nil
	}
	ids, submitted, start := r.jobs.ids, r.jobs.submitted, r.jobs.start
	db, err := core.DefaultDBConnect(filepath.Join(dataDir, "data.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	var rows []struct {
		ID       string `db:"id"`
		Status   string `db:"status"`
		Finished string `db:"finished_at"`
	}
	if err := db.NewQuery("SELECT id, status, finished_at FROM ai_logs").All(&rows); err != nil {
		return err
	}
	byID := map[string]int{}
	for i, id := range ids {
		if id != "" {
			byID[id] = i
		}
	}
	var last time.Time
	failed := 0
	s.Latencies = s.Latencies[:0]
	for _, row := range rows {
		i, ok := byID[row.ID]
		if !ok {
			continue
		}
		if row.Status != ai.JobSucceeded {
			failed++
			continue
		}
		done, err := types.ParseDateTime(row.Finished)
		if err != nil {
			return fmt.Errorf("job %s: finished_at %q: %w", row.ID, row.Finished, err)
		}
		// finished_at has millisecond precision: never before the submit
		s.Latencies = append(s.Latencies, max(done.Time().Sub(submitted[i]), 0))
		if done.Time().After(last) {
			last = done.Time()
		}
	}
	s.Ops = len(s.Latencies)
	s.Elapsed = last.Sub(start)
	if failed > 0 {
		s.Problems = append(s.Problems, fmt.Sprintf("%d jobs did not succeed", failed))
	}
	return nil
}

func (r *run) createBurst() (*sample, error) {
	return countedBurst(r.cfg.AIJobs, r.cfg.AIWorkers, func(i int) error {
		body := jobInput(i)
		body["user"], body["ai"], body["status"] = r.fx.users[i%len(r.fx.users)].id, r.fx.ai.model, ai.JobQueued
		return r.call(http.MethodPost, "/api/collections/ai_logs/records", r.fx.superToken, body, nil)
	}), nil
}

// countedBurst runs n operations from workers goroutines, as fast as they
// go; the window runs from the first to the last answer.
func countedBurst(n, workers int, op func(i int) error) *sample {
	var next sync.Mutex
	i := 0
	take := func() int {
		next.Lock()
		defer next.Unlock()
		if i >= n {
			return -1
		}
		i++
		return i - 1
	}
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := take(); j >= 0; j = take() {
				t0 := time.Now()
				errs[j] = op(j)
				lat[j] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	s := &sample{Elapsed: time.Since(start), Extra: map[string]float64{}}
	for j := range n {
		if errs[j] != nil {
			s.fail(errs[j])
			continue
		}
		s.Latencies = append(s.Latencies, lat[j])
	}
	s.Ops = len(s.Latencies)
	return s
}
