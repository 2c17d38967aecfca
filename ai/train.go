package ai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/filelock"
)

// TrainRecord trains an ais record in the caller's goroutine and saves it
// ready (model, metrics, trained_at) or failed (error). progress, when not
// nil, receives the kind's progress lines. It returns the training's
// failure (an *InputError when the dataset or options are at fault) or a
// failure to save. The CLI and the demo use it; the API trains through
// the same steps on the trainer's queue.
func TrainRecord(ctx context.Context, app core.App, model *core.Record, progress func(string)) error {
	// A record saved earlier (the demo creates then trains it) still holds
	// the original of before that save, which the update hooks compare
	// with: a fresh copy keeps the kind from looking changed.
	model, err := app.FindRecordById(Models, model.Id)
	if err != nil {
		return fmt.Errorf("finding the model to train: %w", err)
	}
	release, held, err := holdTraining(app, model.Id)
	if err != nil {
		return err
	}
	if !held {
		return fmt.Errorf("model %q is already training in another process (the server, or another `madang ai train`); wait for it to finish", model.GetString("name"))
	}
	defer release()
	if model.GetString("status") != StatusTraining {
		model.Set("status", StatusTraining)
		model.Set("error", "")
		if err := app.Save(model); err != nil {
			return fmt.Errorf("marking model %q as training: %w", model.GetString("name"), err)
		}
	}
	from := inputsOf(model)
	trained, err := train(ctx, app, model, progress)
	if err != nil && ctx.Err() != nil {
		err = errors.New("the training was interrupted before it finished; train the model again")
	}
	if saveErr := saveTrained(app, model.Id, from, trained, err); saveErr != nil {
		return saveErr
	}
	return err
}

// trainingLocks is the data dir's folder of the models' training locks.
const trainingLocks = "madang-training"

// holdTraining takes the lock that one training of the model holds, across
// the processes on the data dir: the server's trainer and `madang ai
// train`. Until 2026-12-04 each looked at its own trainings only, and the
// train route started a second training of a model the CLI was training.
// The kernel drops the lock with its process (kill -9 included), so a
// training that died leaves nothing to clear. held is false while another
// training has it.
func holdTraining(app core.App, id string) (release func(), held bool, err error) {
	release, held, err = filelock.Hold(filepath.Join(app.DataDir(), trainingLocks, id+".lock"))
	if err != nil {
		return nil, false, fmt.Errorf("taking the training lock of model %s: %w", id, err)
	}
	return release, held, nil
}

// trainingLeft is told of each training the trainer left to another
// process (tests wait for it).
var trainingLeft = func(id string) {}

// trainingInputs is what a training reads from its model. Its outcome is
// stored only while the model still holds the same ones and is still
// training: a model fitted on the old kind, options or dataset, stored over
// an edit made meanwhile, would be ready yet unloadable or answer for the
// wrong target.
type trainingInputs struct {
	kind, options, dataset string
}

func inputsOf(model *core.Record) trainingInputs {
	return trainingInputs{kind: model.GetString("kind"), options: string(rawJSON(model, "options")),
		dataset: model.GetString("dataset")}
}

// changedSince says how model differs from the one a training started
// on, or "" when the training's outcome still belongs to it.
func changedSince(model *core.Record, from trainingInputs) string {
	now := inputsOf(model)
	switch {
	case model.GetString("status") != StatusTraining:
		return fmt.Sprintf("its status became %s", model.GetString("status"))
	case now.kind != from.kind:
		return "its kind changed"
	case now.options != from.options:
		return "its options changed"
	case now.dataset != from.dataset:
		return "its dataset changed"
	}
	return ""
}

// staleTrainingError is a training outcome that was not stored because its
// model changed meanwhile; the model stays as that change left it.
type staleTrainingError struct {
	name, why string
}

func (e *staleTrainingError) Error() string {
	return fmt.Sprintf("the training of model %q was discarded: %s while it trained; train it again", e.name, e.why)
}

// train runs the model's kind on its dataset and options.
func train(ctx context.Context, app core.App, model *core.Record, progress func(string)) (*Trained, error) {
	kind, ok := KindByName(model.GetString("kind"))
	if !ok {
		return nil, inputErrorf("kind", "Unknown model kind %q.", model.GetString("kind"))
	}
	options := rawJSON(model, "options")
	if err := kind.ValidateOptions(options); err != nil {
		return nil, err
	}
	var dataset io.Reader
	if name := model.GetString("dataset"); kind.NeedsDataset() && name != "" {
		fsys, err := app.NewFilesystem()
		if err != nil {
			return nil, fmt.Errorf("opening the file storage: %w", err)
		}
		defer fsys.Close()
		r, err := fsys.GetReader(model.BaseFilesPath() + "/" + name)
		if err != nil {
			return nil, fmt.Errorf("opening the dataset %s: %w", name, err)
		}
		defer r.Close()
		dataset = r
	}
	result, err := guard(func() (any, error) { return kind.Train(ctx, dataset, options, progress) })
	if err != nil {
		return nil, err
	}
	trained, _ := result.(*Trained)
	if trained == nil {
		return nil, fmt.Errorf("the %s kind returned no model", kind.Name())
	}
	return trained, nil
}

// saveTrained writes the outcome on a copy of the record read in the
// same transaction, so that what an admin edited during the training (a
// description, say) stays, and so that an outcome whose model changed
// meanwhile (changedSince) is discarded: a *staleTrainingError, nothing
// written.
func saveTrained(app core.App, id string, from trainingInputs, trained *Trained, trainErr error) error {
	return app.RunInTransaction(func(tx core.App) error {
		record, err := tx.FindRecordById(Models, id)
		if err != nil {
			return fmt.Errorf("model %s was deleted during its training", id)
		}
		if why := changedSince(record, from); why != "" {
			return &staleTrainingError{name: record.GetString("name"), why: why}
		}
		if trainErr == nil {
			record.Set("status", StatusReady)
			record.Set("model", types.JSONRaw(trained.Model))
			record.Set("metrics", trained.Metrics)
			record.Set("trained_at", types.NowDateTime())
			record.Set("error", "")
			// a refused save (the size limit) is checked before any SQL
			// runs, so the transaction goes on with the failure below
			err = tx.Save(record)
			if err == nil {
				return nil
			}
			trainErr = fmt.Errorf("the trained model could not be stored (the limit is 16 MB; use fewer labels or a smaller dataset): %w", err)
			if record, err = tx.FindRecordById(Models, id); err != nil {
				return fmt.Errorf("model %s was deleted during its training", id)
			}
		}
		record.Set("status", StatusFailed)
		record.Set("error", clip(sentence(trainErr), maxErrorRunes))
		if err := tx.Save(record); err != nil {
			return fmt.Errorf("saving the failed training of model %q: %w", record.GetString("name"), err)
		}
		return nil
	})
}

// maxTrainingStarts is how many times a training starts without ending
// (the process died during it) before it is failed instead of started
// again; see pb_migrations/1795900845_ai_training_starts.go.
const (
	maxTrainingStarts   = 3
	trainingStartsTable = "_madang_training_starts"
)

// countTrainingStart notes that the training of id begins and returns how
// many times it began without ending, this time included.
func countTrainingStart(app core.App, id string) (int, error) {
	var starts int
	err := app.DB().NewQuery("INSERT INTO " + trainingStartsTable + " (model, starts) VALUES ({:id}, 1) " +
		"ON CONFLICT (model) DO UPDATE SET starts = starts + 1 RETURNING starts").
		Bind(dbx.Params{"id": id}).Row(&starts)
	return starts, err
}

// forgetTrainingStarts notes that the training of id ended (or will start
// afresh): a shutdown, a result, a failure, a discarded result.
func forgetTrainingStarts(app core.App, id string) {
	if _, err := app.DB().Delete(trainingStartsTable, dbx.HashExp{"model": id}).Execute(); err != nil {
		app.Logger().Error("ai: forgetting a training's starts", slog.String("model", id), slog.String("error", err.Error()))
	}
}

// runTraining is the trainer worker's handling of one model.
func (s *service) runTraining(ctx context.Context, t *task) {
	model, err := s.app.FindRecordById(Models, t.key)
	if err != nil || model.GetString("status") != StatusTraining {
		return // deleted, or changed by a superuser meanwhile
	}
	name := model.GetString("name")
	release, held, err := holdTraining(s.app, t.key)
	if err != nil {
		s.app.Logger().Error("ai: "+err.Error(), slog.String("model", name))
		return
	}
	if !held {
		// `madang ai train` has it: it saves the outcome
		s.app.Logger().Info("ai: another process is training this model; its training stands", slog.String("model", name))
		trainingLeft(t.key)
		return
	}
	defer release()
	from := inputsOf(model)
	starts, err := countTrainingStart(s.app, t.key)
	if err != nil {
		s.app.Logger().Error("ai: counting a training's starts", slog.String("model", name), slog.String("error", err.Error()))
	}
	if starts > maxTrainingStarts {
		t.mu.Lock()
		mine := t.claim()
		t.mu.Unlock()
		if mine {
			s.failCrashingTraining(t.key, name, from)
		}
		return
	}
	trained, trainErr := train(ctx, s.app, model, func(msg string) {
		s.app.Logger().Info("ai: training "+name, slog.String("progress", msg))
	})
	// The training ended (only a process that dies during it skips this),
	// before its outcome is saved: a deferred forget ran after the save, so
	// a model already shown ready still counted a start for a moment (and
	// kept it if the process died then; CI saw the count once, 2026-12-05).
	forgetTrainingStarts(s.app, t.key)
	t.mu.Lock()
	mine := t.claim()
	t.mu.Unlock()
	switch {
	case !mine:
		return // deleted while training
	case trainErr != nil && errors.Is(context.Cause(ctx), errShuttingDown):
		s.app.Logger().Info("ai: training interrupted by shutdown; it starts again at the next start", slog.String("model", name))
		return
	}
	var pe *panicError
	if errors.As(trainErr, &pe) {
		s.app.Logger().Error("ai: a training panicked", slog.String("model", name),
			slog.Any("panic", pe.value), slog.String("stack", pe.stack))
	}
	if err := saveTrained(s.app, t.key, from, trained, trainErr); err != nil {
		var stale *staleTrainingError
		if errors.As(err, &stale) {
			s.app.Logger().Warn("ai: "+err.Error(), slog.String("model", name))
			return
		}
		s.app.Logger().Error("ai: saving a training failed", slog.String("model", name), slog.String("error", err.Error()))
		return
	}
	if trainErr != nil {
		s.app.Logger().Warn("ai: training failed", slog.String("model", name), slog.String("error", trainErr.Error()))
	} else {
		s.app.Logger().Info("ai: training finished", slog.String("model", name))
	}
}

// restoreTraining trains again the models a previous run left training.
func (s *service) restoreTraining() error {
	var ids []string
	err := s.app.DB().Select("id").From(Models).Where(dbx.HashExp{"status": StatusTraining}).
		OrderBy("updated").Column(&ids)
	if err != nil {
		return fmt.Errorf("ai: finding interrupted trainings: %w", err)
	}
	for _, id := range ids {
		s.training.push(newTask(id, ""), false)
	}
	return nil
}

// failCrashingTraining fails a training that the process never survived,
// instead of starting it again to die again at every start.
func (s *service) failCrashingTraining(id, name string, from trainingInputs) {
	reason := fmt.Errorf("the training was started %d times and the server stopped each time before it ended "+
		"(it may need more memory than the server has), so it is not started again; "+
		"use a smaller dataset or give the server more memory, then train the model again", maxTrainingStarts)
	s.app.Logger().Error("ai: a training was failed after stopping the server", slog.String("model", name),
		slog.Int("starts", maxTrainingStarts))
	if err := saveTrained(s.app, id, from, nil, reason); err != nil {
		s.app.Logger().Error("ai: saving a training failed", slog.String("model", name), slog.String("error", err.Error()))
	}
	forgetTrainingStarts(s.app, id)
}
