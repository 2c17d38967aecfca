package ai

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/core"
)

// statsSample is how many of a model's latest succeeded jobs its run-time
// figures describe: recent behaviour, at a bounded cost.
const statsSample = 1000

// aiStats is the answer of GET /api/ai/stats.
type aiStats struct {
	Queue    queueStats   `json:"queue"`
	Training queueStats   `json:"training"`
	Jobs     statusCounts `json:"jobs"`
	Models   []modelStats `json:"models"`
}

// queueStats is one in-process queue now.
type queueStats struct {
	Workers        int     `json:"workers"`
	RemoteWorkers  int     `json:"remote_workers,omitempty"` // for jobs sent to model servers
	Capacity       int     `json:"capacity,omitempty"`
	PerUser        int     `json:"per_user,omitempty"`
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty"`
	Waiting        int     `json:"waiting"`
	Running        int     `json:"running"`
}

// statusCounts counts jobs by status, as stored.
type statusCounts struct {
	Queued    int `json:"queued"`
	Running   int `json:"running"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Canceled  int `json:"canceled"`
}

// modelStats is one model's jobs. Run times (started_at to finished_at)
// and waits (created to started_at) are in milliseconds, over the model's
// latest succeeded jobs (Sampled of them, at most statsSample).
type modelStats struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Kind       string       `json:"kind"`
	Status     string       `json:"status"`
	Jobs       statusCounts `json:"jobs"`
	Sampled    int          `json:"sampled"`
	MeanRunMs  float64      `json:"mean_run_ms"`
	P95RunMs   float64      `json:"p95_run_ms"`
	MeanWaitMs float64      `json:"mean_wait_ms"`
}

func (s *service) statsRequest(e *core.RequestEvent) error {
	if err := requireAdmin(e, "see AI statistics"); err != nil {
		return err
	}
	stats, err := s.stats()
	if err != nil {
		return e.InternalServerError("The statistics could not be computed.", err)
	}
	return e.JSON(http.StatusOK, stats)
}

func (s *service) stats() (*aiStats, error) {
	st := &aiStats{
		Queue: queueStats{Workers: s.cfg.Workers, RemoteWorkers: s.cfg.RemoteWorkers, Capacity: s.cfg.Capacity, PerUser: s.cfg.PerUser,
			TimeoutSeconds: s.cfg.Timeout.Seconds()},
		Training: queueStats{Workers: s.cfg.TrainWorkers},
		Models:   []modelStats{},
	}
	load, _ := LoadOf(s.app)
	st.Queue.Waiting, st.Queue.Running = load.JobsWaiting, load.JobsRunning
	st.Training.Waiting, st.Training.Running = load.TrainingWaiting, load.TrainingRunning

	var models []struct {
		ID     string `db:"id"`
		Name   string `db:"name"`
		Kind   string `db:"kind"`
		Status string `db:"status"`
	}
	if err := s.app.DB().Select("id", "name", "kind", "status").From(Models).OrderBy("name").All(&models); err != nil {
		return nil, fmt.Errorf("listing models: %w", err)
	}
	index := map[string]*modelStats{}
	for _, m := range models {
		st.Models = append(st.Models, modelStats{ID: m.ID, Name: m.Name, Kind: m.Kind, Status: m.Status})
	}
	for i := range st.Models {
		index[st.Models[i].ID] = &st.Models[i]
	}

	var counts []struct {
		AI     string `db:"ai"`
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	err := s.app.DB().NewQuery("SELECT ai, status, COUNT(*) AS n FROM ai_logs GROUP BY ai, status").All(&counts)
	if err != nil {
		return nil, fmt.Errorf("counting jobs: %w", err)
	}
	for _, c := range counts {
		st.Jobs.add(c.Status, c.N)
		if m := index[c.AI]; m != nil {
			m.Jobs.add(c.Status, c.N)
		}
	}

	var times []struct {
		AI   string  `db:"ai"`
		Run  float64 `db:"run"`
		Wait float64 `db:"wait"`
	}
	err = s.app.DB().NewQuery(`
		SELECT ai,
			(julianday(finished_at) - julianday(started_at)) * 86400000.0 AS run,
			(julianday(started_at) - julianday(created)) * 86400000.0 AS wait
		FROM (SELECT ai, created, started_at, finished_at,
				ROW_NUMBER() OVER (PARTITION BY ai ORDER BY finished_at DESC) AS nth
			FROM ai_logs WHERE status = 'succeeded' AND started_at != '' AND finished_at != '')
		WHERE nth <= {:sample}`).Bind(map[string]any{"sample": statsSample}).All(&times)
	if err != nil {
		return nil, fmt.Errorf("reading job run times: %w", err)
	}
	runs := map[string][]float64{}
	for _, t := range times {
		if m := index[t.AI]; m != nil {
			runs[t.AI] = append(runs[t.AI], t.Run)
			m.MeanWaitMs += t.Wait
		}
	}
	for id, r := range runs {
		m := index[id]
		m.Sampled = len(r)
		m.MeanWaitMs = round(m.MeanWaitMs / float64(len(r)))
		m.MeanRunMs, m.P95RunMs = meanP95(r)
	}
	return st, nil
}

func (c *statusCounts) add(status string, n int) {
	switch status {
	case JobQueued:
		c.Queued += n
	case JobRunning:
		c.Running += n
	case JobSucceeded:
		c.Succeeded += n
	case JobFailed:
		c.Failed += n
	case JobCanceled:
		c.Canceled += n
	}
}

// meanP95 uses the nearest-rank 95th percentile.
func meanP95(xs []float64) (mean, p95 float64) {
	slices.Sort(xs)
	for _, x := range xs {
		mean += x
	}
	rank := int(math.Ceil(0.95*float64(len(xs)))) - 1
	return round(mean / float64(len(xs))), round(xs[max(rank, 0)])
}

// round keeps a tenth of a millisecond: finer is noise.
func round(ms float64) float64 { return math.Round(ms*10) / 10 }

// Load is the AI subsystem's work now and since the start: the queues the
// stats route shows, and what the operator's metrics (internal/metrics)
// read at every scrape.
type Load struct {
	JobsWaiting, JobsRunning         int
	TrainingWaiting, TrainingRunning int
	// Finished counts the jobs that reached a final state since the start,
	// by that state (succeeded, failed, canceled), whoever wrote it: a
	// worker, a cancel, the dashboard.
	Finished map[string]uint64
}

// meter is what LoadOf reads: the queues, and a count of finished jobs per
// final state (the map is fixed at creation, so it is read without a lock).
type meter struct {
	jobs, training *queue
	finished       map[string]*atomic.Uint64
}

func newMeter(s *service) *meter {
	m := &meter{jobs: s.jobs, training: s.training, finished: map[string]*atomic.Uint64{}}
	for _, status := range finishedStatuses {
		m.finished[status] = new(atomic.Uint64)
	}
	return m
}

const meterStoreKey = "madang.ai.meter"

// LoadOf returns app's AI load; false when the AI subsystem is not bound.
func LoadOf(app core.App) (Load, bool) {
	m, ok := app.Store().Get(meterStoreKey).(*meter)
	if !ok {
		return Load{}, false
	}
	l := Load{Finished: make(map[string]uint64, len(finishedStatuses))}
	l.JobsWaiting, l.JobsRunning = m.jobs.counts()
	l.TrainingWaiting, l.TrainingRunning = m.training.counts()
	for status, n := range m.finished {
		l.Finished[status] = n.Load()
	}
	return l, true
}

// countFinished counts a job whose update made it finished; later edits of
// a finished job (its description) do not count again.
func (m *meter) countFinished(e *core.RecordEvent) error {
	if e.Record.GetBool("is_finished") && !e.Record.Original().GetBool("is_finished") {
		if n := m.finished[e.Record.GetString("status")]; n != nil {
			n.Add(1)
		}
	}
	return e.Next()
}
