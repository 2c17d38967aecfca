package ai

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/access"
)

// maxJobInputBytes matches ai_logs.input's size limit, checked before
// anything is queued so the answer names the problem.
const maxJobInputBytes = 4 << 20

func (s *service) bindRoutes(r *router.Router[*core.RequestEvent]) {
	r.POST("/api/ais/{id}/train", s.trainRequest)
	r.POST("/api/ais/{id}/infer", s.inferRequest).
		Bind(apis.RequireAuth(access.CollectionNameUsers), apis.BodyLimit(maxJobInputBytes+64<<10))
	r.POST("/api/ai_logs/{id}/cancel", s.cancelRequest).Bind(apis.RequireAuth())
	r.GET("/api/ai/stats", s.statsRequest)
}

// requireAdmin lets admins and superusers through.
func requireAdmin(e *core.RequestEvent, action string) error {
	switch {
	case e.HasSuperuserAuth() || access.IsAdmin(e.Auth):
		return nil
	case e.Auth == nil:
		return e.UnauthorizedError("Sign in as an admin to "+action+".", nil)
	default:
		return e.ForbiddenError("Only admins can "+action+".", nil)
	}
}

// trainRequest answers POST /api/ais/{id}/train: 202 with the record,
// status training; the trainer does the rest in the background.
func (s *service) trainRequest(e *core.RequestEvent) error {
	if err := requireAdmin(e, "train models"); err != nil {
		return err
	}
	// the answer's enrichment reads the request info, the body with it:
	// read it first, so a body PocketBase cannot read is refused before
	// anything is queued (until 2026-12-03 the training ran, then 400)
	if _, err := e.RequestInfo(); err != nil {
		return e.BadRequestError("The request body could not be read; train takes no body, send none.", err)
	}
	model, err := e.App.FindRecordById(Models, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No model with this id.", nil)
	}
	kind, ok := KindByName(model.GetString("kind"))
	if !ok {
		return e.BadRequestError("The model has no known kind; set one first.", nil)
	}
	if s.training.find(model.Id) != nil {
		return e.Error(http.StatusConflict, fmt.Sprintf("Model %q is already training; wait for it to finish.", model.GetString("name")), nil)
	}
	release, held, err := holdTraining(e.App, model.Id)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if !held {
		return e.Error(http.StatusConflict, fmt.Sprintf("Model %q is already training in another process (`madang ai train`); wait for it to finish.", model.GetString("name")), nil)
	}
	release() // the trainer takes it when the training starts
	if kind.NeedsDataset() && model.GetString("dataset") == "" {
		return fieldError(e, "dataset", "dataset_required",
			fmt.Sprintf("A %s model needs a dataset; upload a CSV file to the model first.", kind.Name()))
	}
	if err := kind.ValidateOptions(rawJSON(model, "options")); err != nil {
		return inputError(e, err)
	}
	if err := s.training.reserve(""); err != nil {
		return queueError(e, err)
	}
	model.Set("status", StatusTraining)
	model.Set("error", "")
	if err := e.App.Save(model); err != nil {
		s.training.unreserve("")
		return e.BadRequestError("The model could not be saved.", err)
	}
	forgetTrainingStarts(e.App, model.Id) // an admin's new training starts afresh
	s.training.push(newTask(model.Id, ""), true)
	if err := apis.EnrichRecord(e, model); err != nil {
		return err
	}
	return e.JSON(http.StatusAccepted, model)
}

type inferBody struct {
	Input       json.RawMessage `json:"input"`
	Description string          `json:"description"`
}

// inferRequest answers POST /api/ais/{id}/infer: 202 with the new job,
// status queued. Input the model cannot take is refused with 400 before
// anything is written.
func (s *service) inferRequest(e *core.RequestEvent) error {
	// a JSON body is one JSON object by now (hooks' body check)
	var body inferBody
	if err := e.BindBody(&body); err != nil {
		// err kept: the body check names a wrong-typed field from it
		return e.BadRequestError(`Send a JSON body such as {"input": {…}, "description": "…"}.`, err)
	}
	// members learn nothing of a model they cannot view: not even that a
	// hidden or unready one exists
	info, err := findModelInfo(e.App, e.Request.PathValue("id"))
	if err != nil || !(access.IsAdmin(e.Auth) || info.IsVisible && info.Status == StatusReady) {
		return e.NotFoundError("No model with this id.", nil)
	}
	if info.Status != StatusReady {
		return e.Error(http.StatusConflict, fmt.Sprintf("Model %q is not ready (it is %s); try again once an admin has trained it.", info.Name, info.Status), nil)
	}
	if n := utf8.RuneCountInString(body.Description); n > 256 {
		return fieldError(e, "description", "too_long", fmt.Sprintf("description has %d characters; at most 256 are allowed.", n))
	}
	// as on every save of the description (access.Trimmed), before the
	// job is queued: a group commit's failed save would say less
	if err := access.ControlCharacterError("description", body.Description); err != nil {
		return fieldError(e, "description", err.Code(), err.Error())
	}
	if len(body.Input) > maxJobInputBytes {
		return fieldError(e, "input", "too_large", fmt.Sprintf("input is %d bytes; at most %d (%d MB) are allowed per job.", len(body.Input), maxJobInputBytes, maxJobInputBytes>>20))
	}
	model, err := s.predictors.get(info)
	if err != nil {
		return e.Error(http.StatusConflict, sentence(err), nil)
	}
	if err := model.predictor.ValidateInput(body.Input); err != nil {
		return inputError(e, err)
	}

	if err := s.jobs.reserve(e.Auth.Id); err != nil {
		return queueError(e, err)
	}
	job, err := s.createJob(e.Auth.Id, info.Id, body)
	if err != nil {
		s.jobs.unreserve(e.Auth.Id)
		return e.BadRequestError("The job could not be created.", err)
	}
	t := newJobTask(job.Id, e.Auth.Id, isRemote(info.Kind))
	t.created.Store(job.Fresh()) // the worker's own copy: job is enriched for the reply below
	s.jobs.push(t, true)
	if err := apis.EnrichRecord(e, job); err != nil {
		return err
	}
	return e.JSON(http.StatusAccepted, job)
}

// createJob stores a new queued job, committed with the other jobs
// submitted at the same time (group commit).
func (s *service) createJob(userID, aiID string, body inferBody) (*core.Record, error) {
	collection, err := s.app.FindCachedCollectionByNameOrId(Jobs)
	if err != nil {
		return nil, err
	}
	var job *core.Record
	err = s.commits.do(func(tx core.App) error {
		job = core.NewRecord(collection) // a fresh record each time: see committer
		job.Set("user", userID)
		job.Set("ai", aiID)
		job.Set("description", body.Description)
		job.Set("input", types.JSONRaw(body.Input))
		job.Set("status", JobQueued)
		return tx.Save(job)
	})
	return job, err
}

// cancelRequest answers POST /api/ai_logs/{id}/cancel for the job's user
// and admins: 200 with the job, canceled unless it had finished.
func (s *service) cancelRequest(e *core.RequestEvent) error {
	job, err := e.App.FindRecordById(Jobs, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No job with this id.", nil)
	}
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	if ok, _ := e.App.CanAccessRecord(job, info, job.Collection().ViewRule); !ok {
		return e.NotFoundError("No job with this id.", nil)
	}
	err = access.AsID(Jobs, job.Id, access.ActorOf(e.Auth), func() (err error) {
		job, err = s.cancelJob(job)
		return err
	})
	switch {
	case errors.Is(err, sql.ErrNoRows): // deleted meanwhile (until 2026-12-04: 500)
		return e.NotFoundError("No job with this id.", nil)
	case err != nil:
		return e.InternalServerError("The job could not be canceled.", err)
	}
	if err := apis.EnrichRecord(e, job); err != nil {
		return err
	}
	return e.JSON(http.StatusOK, job)
}

func queueError(e *core.RequestEvent, err error) error {
	switch {
	case errors.Is(err, errQueueFull):
		return e.TooManyRequestsError("The AI queue is full; try again in a minute.", nil)
	case errors.Is(err, errUserLimit):
		return e.TooManyRequestsError("You have too many AI jobs queued or running; wait for one to finish (or cancel one) and try again.", nil)
	default:
		return e.Error(http.StatusServiceUnavailable, "The server is shutting down; try again in a moment.", nil)
	}
}

// inputError answers 400 for bad input, options or dataset, with the
// InputError's sentence as data.<field>.message.
func inputError(e *core.RequestEvent, err error) error {
	var ie *InputError
	if !errors.As(err, &ie) {
		return e.BadRequestError(sentence(err), nil)
	}
	return fieldError(e, ie.Field, "invalid_"+ie.Field, ie.Message)
}

// fieldError writes PocketBase's error shape itself: ApiError would
// capitalize the message, turning "input.rows[2].x1 …" into "Input.rows…".
func fieldError(e *core.RequestEvent, field, code, message string) error {
	type item struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	return e.JSON(http.StatusBadRequest, struct {
		Status  int             `json:"status"`
		Message string          `json:"message"`
		Data    map[string]item `json:"data"`
	}{http.StatusBadRequest, message, map[string]item{field: {code, message}}})
}
