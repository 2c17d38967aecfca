package ai

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// Collection names and select values, spelled as in the migration
// (pb_migrations/1795900300_ai.go).
const (
	Models = access.CollectionNameAIs
	Jobs   = access.CollectionNameAILogs

	StatusDraft    = "draft"
	StatusTraining = "training"
	StatusReady    = "ready"
	StatusFailed   = "failed"

	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCanceled  = "canceled"
)

// Config sizes the job queue and the trainer. Register reads it from the
// environment (ConfigFromEnv), so operators and tests tune it without code.
type Config struct {
	Workers int // MADANG_AI_WORKERS: jobs computed here run at once (default: the number of CPUs)
	// MADANG_AI_REMOTE_WORKERS: jobs sent to model servers (openai_chat) run
	// at once, beside Workers (default 16): they wait on the network
	RemoteWorkers int
	Capacity      int           // MADANG_AI_CAPACITY: jobs waiting for a worker (default 1000)
	PerUser       int           // MADANG_AI_PER_USER: one user's queued + running jobs (default 8)
	Timeout       time.Duration // MADANG_AI_TIMEOUT: a job's time limit unless options.timeout_seconds is set (default 60s)
	TrainWorkers  int           // MADANG_AI_TRAIN_WORKERS: trainings run at once (default 1)
	Grace         time.Duration // MADANG_AI_GRACE: how long shutdown waits for running work (default 5s)

	// RunningMarkDelay is how long a job runs before its running state is
	// written (default 50ms); quicker jobs go from queued to their final
	// state in one write. Zero writes it at once.
	RunningMarkDelay time.Duration
}

// runningMarkDelay is Config.RunningMarkDelay's default (tests that count
// a quick job's writes lengthen it, so a loaded machine cannot make the
// job "slow").
var runningMarkDelay = 50 * time.Millisecond

// defaultConfig is the configuration without environment variables.
func defaultConfig() Config {
	return Config{Workers: runtime.NumCPU(), RemoteWorkers: 16, Capacity: 1000, PerUser: 8,
		Timeout: time.Minute, TrainWorkers: 1, Grace: 5 * time.Second, RunningMarkDelay: runningMarkDelay}
}

// ConfigFromEnv is the default configuration with the MADANG_AI_*
// variables applied.
// Durations are Go durations ("90s", "1m") or plain seconds ("90").
func ConfigFromEnv() (Config, error) {
	cfg := defaultConfig()
	// workers are goroutines started at once: a typo of 10,000,000 would
	// ask for gigabytes before the first job (until 2026-12-07 taken)
	const maxWorkers = 4096
	for _, v := range []struct {
		name string
		n    *int
		max  int
	}{
		{"MADANG_AI_WORKERS", &cfg.Workers, maxWorkers},
		{"MADANG_AI_REMOTE_WORKERS", &cfg.RemoteWorkers, maxWorkers},
		{"MADANG_AI_CAPACITY", &cfg.Capacity, 0},
		{"MADANG_AI_PER_USER", &cfg.PerUser, 0},
		{"MADANG_AI_TRAIN_WORKERS", &cfg.TrainWorkers, maxWorkers},
	} {
		if s := strings.TrimSpace(os.Getenv(v.name)); s != "" {
			n, err := strconv.Atoi(s)
			switch {
			case err != nil || n < 1:
				return cfg, fmt.Errorf("%s=%q: use a whole number of at least 1", v.name, s)
			case v.max > 0 && n > v.max:
				return cfg, fmt.Errorf("%s=%q: use a whole number from 1 to %d", v.name, s, v.max)
			}
			*v.n = n
		}
	}
	for _, v := range []struct {
		name string
		d    *time.Duration
	}{
		{"MADANG_AI_TIMEOUT", &cfg.Timeout},
		{"MADANG_AI_GRACE", &cfg.Grace},
	} {
		if s := strings.TrimSpace(os.Getenv(v.name)); s != "" {
			d, err := parseDuration(s)
			if err != nil || d <= 0 {
				return cfg, fmt.Errorf("%s=%q: use a positive duration such as 90s or 2m", v.name, s)
			}
			*v.d = d
		}
	}
	if _, err := serverKeys(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func parseDuration(s string) (time.Duration, error) {
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(secs * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

// Register binds the AI subsystem to app: the model and job hooks now, and
// on serve the routes, the job queue and the trainer, which first resume
// the work a previous run left unfinished. The queue stops on terminate.
// Call it once, before app.Start, after hooks.Register. A bad MADANG_AI_*
// variable makes serve fail with a message naming it.
func Register(app core.App) {
	cfg, cfgErr := ConfigFromEnv()
	s := newService(app, cfg)
	m := newMeter(s)
	app.Store().Set(meterStoreKey, m)
	app.OnRecordAfterUpdateSuccess(Jobs).BindFunc(m.countFinished)

	app.OnRecordCreate(Models).BindFunc(defaultModelStatus)
	app.OnRecordUpdate(Models).BindFunc(resetOnKindChange)
	access.ServerSet(app, Models, draftModel, serverModelFields...)
	access.Trimmed(app, Models, "name", "description")
	// a job's description too, from the infer route or a member's edit:
	// until 2026-12-07 it stored NUL and terminal escapes as sent
	access.Trimmed(app, Jobs, "description")
	access.KeepOnNull(app, Models, "is_visible")
	access.Names(app, Models, "name")
	// PocketBase's "mime type must be one of: text/csv, text/plain." did not
	// say that a tab-separated file was the problem (probe p20, 2026-12-04)
	access.Explained(app, Models, "dataset", "validation_invalid_mime_type", datasetType)
	app.OnRecordEnrich(Models).BindFunc(inputFeatures)
	app.OnFileDownloadRequest(Models).BindFunc(refuseDatasetDownload)
	// forgotten when the write begins and again once it committed, so no
	// job runs a version the database no longer holds as ready
	forget := func(e *core.RecordEvent) error {
		s.predictors.forget(e.Record.Id)
		return e.Next()
	}
	app.OnRecordUpdateExecute(Models).BindFunc(forget)
	app.OnRecordDeleteExecute(Models).BindFunc(forget)
	app.OnRecordAfterUpdateSuccess(Models).BindFunc(forget)
	app.OnRecordAfterUpdateSuccess(Models).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("status") != StatusTraining {
			s.stopTraining(e.Record)
		}
		return e.Next()
	})
	app.OnRecordAfterDeleteSuccess(Models).BindFunc(func(e *core.RecordEvent) error {
		s.predictors.forget(e.Record.Id)
		s.abort(s.training, e.Record.Id, errDeleted)
		return e.Next()
	})

	// A job a superuser writes in the dashboard (the records API: users
	// cannot, the rules refuse) runs like one from the infer route.
	app.OnRecordCreateRequest(Jobs).BindFunc(func(e *core.RecordRequestEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		if e.Record.GetString("status") == JobQueued {
			s.jobs.push(s.jobTask(e.Record.Id, e.Record.GetString("user"), e.Record.GetString("ai")), false)
		}
		return nil
	})
	// A system job (no user: the moderation assist's, written in the
	// transaction of the post or comment it scores) joins the queue once
	// that transaction committed; one left behind by a crash is queued
	// again at the next start, like every unfinished job.
	app.OnRecordAfterCreateSuccess(Jobs).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("user") == "" && e.Record.GetString("status") == JobQueued {
			s.jobs.push(s.jobTask(e.Record.Id, "", e.Record.GetString("ai")), false)
		}
		return e.Next()
	})
	app.OnRecordCreate(Jobs).BindFunc(deriveJobFields)
	app.OnRecordUpdate(Jobs).BindFunc(deriveJobFields)
	// members edit only their job's description (the rules let them update
	// and delete their own jobs); the rest is the queue's
	access.ServerSet(app, Jobs, func(*core.RecordRequestEvent) error { return nil }, serverJobFields...)
	app.OnRecordAfterDeleteSuccess(Jobs).BindFunc(func(e *core.RecordEvent) error {
		s.abort(s.jobs, e.Record.Id, errDeleted)
		return e.Next()
	})
	// A job finished by someone else than the queue (a superuser setting
	// its status in the dashboard) stops as a canceled one does: out of the
	// queue and its user's in-flight count if it waits, its run canceled if
	// it runs. What they stored stands: the queue's own writes skip a
	// finished job (unfinishedJobWrite). The queue's own final writes find
	// their task claimed already, and change nothing here.
	//
	// Any update of a waiting job also drops the copy its worker would
	// start from (task.created): the worker reads what was stored.
	app.OnRecordAfterUpdateSuccess(Jobs).BindFunc(func(e *core.RecordEvent) error {
		if t := s.jobs.find(e.Record.Id); t != nil {
			t.created.Store(nil)
		}
		if e.Record.GetBool("is_finished") {
			s.abort(s.jobs, e.Record.Id, errFinished)
		}
		return e.Next()
	})

	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if cfgErr != nil {
			return fmt.Errorf("ai: %w", cfgErr)
		}
		s.bindRoutes(e.Router)
		if err := s.start(); err != nil {
			return err
		}
		return e.Next()
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		s.stop()
		return e.Next()
	})
}

// datasetType says what a dataset must be.
const datasetType = `The dataset must be a CSV file: comma-separated, in UTF-8 — from a spreadsheet, ` +
	`"CSV UTF-8 (쉼표로 분리)". Tab-separated text and UTF-16 ("유니코드 텍스트") are not.`
