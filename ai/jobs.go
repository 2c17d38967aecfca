package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/access"
)

// service is the AI subsystem bound to one app: the inference queue, the
// trainer (a second, small queue) and the loaded models.
//
// A job costs two writes, each an app.Save that realtime subscribers see:
// the route creates it queued, the worker saves the final state (with
// started_at). A job still running after Config.RunningMarkDelay (50 ms by
// default), or that streams partial results, is also marked running:
// three writes. Cancelling a queued job
// is two writes in all.
type service struct {
	app        core.App
	cfg        Config
	jobs       *queue
	training   *queue
	predictors *predictorCache
	commits    committer // group commit of new jobs and final states

	startOnce sync.Once
	startErr  error
	stopOnce  sync.Once
}

func newService(app core.App, cfg Config) *service {
	s := &service{app: app, cfg: cfg, predictors: newPredictorCache(app, cfg.Timeout), commits: committer{app: app}}
	s.jobs = newQueue(cfg.Workers, cfg.RemoteWorkers, cfg.Capacity, cfg.PerUser, s.safely("job", s.runJob))
	s.training = newQueue(cfg.TrainWorkers, 0, 0, 0, s.safely("training", s.runTraining))
	return s
}

// safely keeps a worker alive through a panic outside the model (models'
// own panics fail their job or training with a message).
func (s *service) safely(what string, handle func(context.Context, *task)) func(context.Context, *task) {
	return func(ctx context.Context, t *task) {
		defer func() {
			if r := recover(); r != nil {
				s.app.Logger().Error("ai: a "+what+" worker recovered from a panic", slog.String("id", t.key),
					slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			}
		}()
		handle(ctx, t)
	}
}

// start resumes unfinished work, then runs the workers. A second serve of
// the same app (tests do that) only binds routes again.
func (s *service) start() error {
	s.startOnce.Do(func() {
		if s.startErr = s.restoreJobs(); s.startErr != nil {
			return
		}
		if s.startErr = s.restoreTraining(); s.startErr != nil {
			return
		}
		s.commits.start()
		s.jobs.start()
		s.training.start()
	})
	return s.startErr
}

// stop ends intake at once and gives running work the grace period; what
// is still running then is put back to queued (jobs) or left training
// (models), and runs again at the next start.
func (s *service) stop() {
	s.stopOnce.Do(func() {
		s.jobs.close()
		s.training.close()
		deadline := time.Now().Add(s.cfg.Grace)
		var wg sync.WaitGroup
		for name, q := range map[string]*queue{"job": s.jobs, "training": s.training} {
			wg.Go(func() {
				if !q.drain(deadline) {
					s.app.Logger().Warn("ai: a " + name + " worker did not stop in time; its work resumes at the next start")
				}
			})
		}
		wg.Wait()
		s.commits.stop() // the final states the workers handed over
	})
}

// abort stops a task whose record was deleted (cause errDeleted) or, for
// a job, finished by someone else (errFinished: a superuser in the
// dashboard): out of the queue if it waits, its context canceled if it
// runs, and nobody writes it any more. A task someone already claimed is
// theirs to end.
func (s *service) abort(q *queue, key string, cause error) {
	t := q.find(key)
	if t == nil {
		return
	}
	t.mu.Lock()
	mine := t.claim()
	t.mu.Unlock()
	if mine {
		q.withdraw(t, cause)
	}
}

// stopTraining ends the training of a model that is no longer training (an
// edit sent it back to draft): its outcome would be discarded, and the
// trainer is free for the next model sooner. A training that already
// finished stores its own outcome, or discards it (saveTrained).
func (s *service) stopTraining(model *core.Record) {
	t := s.training.find(model.Id)
	if t == nil {
		return
	}
	t.mu.Lock()
	mine := t.claim()
	t.mu.Unlock()
	if !mine {
		return
	}
	s.training.withdraw(t, errModelChanged)
	s.app.Logger().Warn("ai: a training was stopped: its model changed and is "+model.GetString("status")+" now; train it again",
		slog.String("model", model.GetString("name")))
}

// jobTask is the task of job id for user on model aiID, in the lane of
// the model's kind. A model that cannot be read (deleted meanwhile) runs
// here, where its job fails at once.
func (s *service) jobTask(id, user, aiID string) *task {
	info, err := findModelInfo(s.app, aiID)
	return newJobTask(id, user, err == nil && isRemote(info.Kind))
}

// isRemote says whether a model of kind answers from a model server.
func isRemote(kind string) bool { return kind == "openai_chat" }

// restoreJobs queues again the jobs a previous run left queued or running
// (a crash, or a shutdown whose grace ran out), oldest first.
func (s *service) restoreJobs() error {
	// ids only: inputs stay in the database until a worker takes the job
	var jobs []struct {
		ID     string `db:"id"`
		User   string `db:"user"`
		AI     string `db:"ai"`
		Status string `db:"status"`
	}
	err := s.app.DB().Select("id", "user", "ai", "status").From(Jobs).
		Where(dbx.In("status", JobQueued, JobRunning)).OrderBy("created", "id").All(&jobs)
	if err != nil {
		return fmt.Errorf("ai: finding unfinished jobs: %w", err)
	}
	for _, j := range jobs {
		if j.Status == JobRunning {
			r, err := s.app.FindRecordById(Jobs, j.ID)
			if err != nil {
				return fmt.Errorf("ai: reading interrupted job %s: %w", j.ID, err)
			}
			r.Set("status", JobQueued)
			r.Set("started_at", "")
			if err := s.app.Save(r); err != nil {
				return fmt.Errorf("ai: queueing interrupted job %s again: %w", j.ID, err)
			}
		}
		s.jobs.push(s.jobTask(j.ID, j.User, j.AI), false)
	}
	if len(jobs) > 0 {
		s.app.Logger().Info("ai: resumed unfinished jobs", slog.Int("jobs", len(jobs)))
	}
	return nil
}

// runJob is a job worker's whole handling of one task.
func (s *service) runJob(ctx context.Context, t *task) {
	job := t.created.Swap(nil)
	if job == nil {
		var err error
		job, err = s.app.FindRecordById(Jobs, t.key)
		if err != nil || job.GetString("status") != JobQueued {
			return // deleted, or finished by a superuser meanwhile
		}
	}
	model, loadErr := s.modelForJob(job.GetString("ai"))

	t.mu.Lock()
	if t.claimed {
		t.mu.Unlock()
		return
	}
	job.Set("started_at", types.NowDateTime())
	// at-least-once: a job interrupted by a restart runs again, one attempt
	// higher, so its subscribers know to drop the partial text they showed
	job.Set("attempt", job.GetInt("attempt")+1)
	if loadErr == nil {
		job.Set("status", JobRunning) // what partial results show
	}
	t.mu.Unlock()
	// running is written only if the job is still running after
	// RunningMarkDelay, or before its first partial result: most
	// predictions take microseconds, and their running state would be one
	// more write nobody could see.
	var markOnce sync.Once
	markRunning := func() { markOnce.Do(func() { s.markRunning(t, job) }) }
	if loadErr == nil {
		marker := time.AfterFunc(s.cfg.RunningMarkDelay, markRunning)
		defer marker.Stop()
	}

	var result any
	var runErr error
	timedOut := false
	if loadErr != nil {
		runErr = loadErr
	} else {
		runCtx, cancel := context.WithTimeout(ctx, model.timeout)
		input := rawJSON(job, "input")
		result, runErr = guard(func() (any, error) {
			return model.predictor.Predict(runCtx, input, func(text string) {
				markRunning() // a streamed reply is long work: show it running first
				s.publishPartial(job, text)
			})
		})
		timedOut = runErr != nil && ctx.Err() == nil && errors.Is(runCtx.Err(), context.DeadlineExceeded)
		cancel()
	}

	t.mu.Lock()
	mine := t.claim()
	t.mu.Unlock()
	if !mine {
		return // canceled, deleted or finished by a superuser while running: that write stands
	}
	// The final state commits with other jobs' (group commit); the task
	// stays in the queue until it did, so a cancel meanwhile waits for it.
	t.settled = make(chan struct{})
	settle := func(status string, result any, message string) {
		done := s.finishJob(job, status, result, message)
		go func() {
			<-done
			close(t.settled)
		}()
	}
	switch {
	case runErr == nil:
		settle(JobSucceeded, result, "")
	case errors.Is(context.Cause(ctx), errShuttingDown):
		close(t.settled)
		err := s.app.RunInTransaction(unfinishedJobWrite(job.Id, func(queued *core.Record) {
			queued.Set("status", JobQueued)
			queued.Set("started_at", "")
			queued.Set("attempt", job.GetInt("attempt"))
		}, nil))
		if err != nil {
			s.app.Logger().Warn("ai: could not queue an interrupted job again; it runs at the next start",
				slog.String("job", job.Id), slog.String("error", err.Error()))
		}
	case timedOut:
		advice := "send a smaller input, or ask an admin to raise the model's options.timeout_seconds"
		if _, remote := model.predictor.(*chatPredictor); remote {
			// its model server did not answer in time: the input is rarely why
			advice = "the model server may be busy or down; try again later, or ask an admin to check it or raise the model's options.timeout_seconds"
		}
		settle(JobFailed, nil, fmt.Sprintf("The job did not finish within its time limit of %s; %s.", model.timeout, advice))
	default:
		var pe *panicError
		if errors.As(runErr, &pe) {
			s.app.Logger().Error("ai: a model panicked", slog.String("job", job.Id),
				slog.String("ai", job.GetString("ai")), slog.Any("panic", pe.value), slog.String("stack", pe.stack))
		}
		var se *serverError
		if errors.As(runErr, &se) && se.detail != "" {
			// the member reads the cause; the operator, the address too
			s.app.Logger().Warn("ai: a job's model server failed", slog.String("job", job.Id),
				slog.String("ai", job.GetString("ai")), slog.String("error", se.detail))
		}
		settle(JobFailed, nil, sentence(runErr))
	}
}

// markRunning saves job as running, unless the job was claimed (finished,
// canceled) meanwhile; t.mu orders it before the worker's final write, and
// the stored state before anyone else's.
func (s *service) markRunning(t *task, job *core.Record) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.claimed {
		return
	}
	err := s.app.RunInTransaction(unfinishedJobWrite(job.Id, func(running *core.Record) {
		running.Set("status", JobRunning)
		running.Set("started_at", job.Get("started_at"))
		running.Set("attempt", job.GetInt("attempt"))
	}, nil))
	if err != nil {
		s.app.Logger().Warn("ai: marking a job running failed", slog.String("job", job.Id), slog.String("error", err.Error()))
	}
}

// modelForJob checks, when the job starts, that its model is still ready.
func (s *service) modelForJob(aiID string) (*loadedModel, error) {
	if m := s.predictors.cached(aiID); m != nil {
		return m, nil
	}
	info, err := findModelInfo(s.app, aiID)
	if err != nil {
		return nil, errors.New("The model of this job was deleted.")
	}
	if info.Status != StatusReady {
		return nil, fmt.Errorf("Model %q is no longer ready (it is %s); try again once an admin has trained it.", info.Name, info.Status)
	}
	return s.predictors.get(info)
}

// finishJob hands a job's final state to the group commit and returns a
// channel closed once it is stored (or its failure logged). A result that
// cannot be stored fails the job rather than leave it running. A job that
// someone else finished meanwhile keeps their final state
// (unfinishedJobWrite): a superuser's finish in the dashboard usually stops
// the worker first (abort), but may commit just before the worker's write.
func (s *service) finishJob(job *core.Record, status string, result any, message string) <-chan struct{} {
	raw, err := jsonResult(result)
	switch {
	case err != nil:
		status, raw, message = JobFailed, nil, "The model's answer could not be encoded as JSON: "+err.Error()
	case len(raw) > maxResultBytes:
		status, message = JobFailed, fmt.Sprintf("The model's answer is %.1f MB; at most %d MB can be stored, so send fewer rows or texts per job.",
			float64(len(raw))/(1<<20), maxResultBytes>>20)
		raw = nil
	}
	finished := types.NowDateTime()
	dropped := false // read once the write's outcome arrived
	final := func(status string, raw []byte, message string) func(tx core.App) error {
		return unfinishedJobWrite(job.Id, func(r *core.Record) {
			r.Set("status", status)
			r.Set("result", raw)
			r.Set("error", clip(message, maxErrorRunes))
			r.Set("started_at", job.Get("started_at"))
			r.Set("attempt", job.GetInt("attempt"))
			r.Set("finished_at", finished)
		}, &dropped)
	}
	stored := s.commits.submit(final(status, raw, message))
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := <-stored
		if err == nil && dropped {
			s.app.Logger().Info("ai: a job was finished or deleted by someone else while it ran; its worker's outcome was dropped",
				slog.String("job", job.Id), slog.String("outcome", status))
			return
		}
		if err != nil && status != JobFailed {
			s.app.Logger().Warn("ai: storing a job's result failed", slog.String("job", job.Id), slog.String("error", err.Error()))
			err = s.commits.do(final(JobFailed, nil, "The model's answer could not be stored: "+err.Error()))
		}
		if err != nil {
			s.app.Logger().Error("ai: saving a finished job failed", slog.String("job", job.Id), slog.String("error", err.Error()))
		}
	}()
	return done
}

// cancelJob cancels job (queued or running) and returns it as stored
// afterwards: canceled, or finished if it ended first.
func (s *service) cancelJob(job *core.Record) (*core.Record, error) {
	if job.GetBool("is_finished") {
		return job, nil
	}
	if t := s.jobs.find(job.Id); t != nil {
		t.mu.Lock()
		mine := t.claim()
		t.mu.Unlock()
		if mine {
			s.jobs.withdraw(t, errCanceled)
		} else {
			// Someone else ends it: its worker, which stores the final
			// state before the task leaves the queue, or another cancel.
			select {
			case <-t.done:
			case <-time.After(10 * time.Second):
			}
		}
	}
	// The stored state decides: a job finished meanwhile (or never in this
	// process's queue and finished) stays as it is.
	err := s.commits.do(unfinishedJobWrite(job.Id, func(r *core.Record) {
		r.Set("status", JobCanceled)
		r.Set("error", "Canceled before it finished.")
		r.Set("finished_at", types.NowDateTime())
	}, nil))
	if err != nil {
		return nil, fmt.Errorf("saving canceled job %s: %w", job.Id, err)
	}
	return s.app.FindRecordById(Jobs, job.Id)
}

const (
	// maxErrorRunes keeps an error within the error fields' 2,000
	// characters, clip's ellipsis included.
	maxErrorRunes = 1999
	// maxResultBytes is ai_logs.result's size limit.
	maxResultBytes = 8 << 20
)

// panicError is a model's panic, turned into the job's or training's failure.
type panicError struct {
	value any
	stack string
}

func (e *panicError) Error() string {
	return fmt.Sprintf("The model crashed (%v); an admin can find the details in the server logs.", e.value)
}

// guard runs fn, turning a panic into an error so the worker lives on.
func guard(fn func() (any, error)) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: string(debug.Stack())}
		}
	}()
	return fn()
}

// sentence is an error as users read it: InputError messages are already
// sentences; other errors get a capital letter and a period.
func sentence(err error) string {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie.Message
	}
	msg := access.WithoutControls(err.Error())
	if msg == "" {
		return "The job failed."
	}
	b := []byte(msg)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	if last := b[len(b)-1]; last != '.' && last != '!' && last != '?' {
		b = append(b, '.')
	}
	return string(b)
}

// jsonResult encodes a model's result for the record (nil stays empty).
func jsonResult(v any) (types.JSONRaw, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	return types.JSONRaw(b), err
}
