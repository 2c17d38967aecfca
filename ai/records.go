package ai

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// serverModelFields are the ais fields only training writes. API requests
// of admins cannot change them (superusers, in the dashboard, may repair them).
var serverModelFields = []string{"status", "model", "metrics", "error", "trained_at"}

// defaultModelStatus starts every model as a draft, whoever creates it.
func defaultModelStatus(e *core.RecordEvent) error {
	if e.Record.GetString("status") == "" {
		e.Record.Set("status", StatusDraft)
	}
	return e.Next()
}

// resetOnKindChange keeps a model consistent with its kind: a model fitted
// for one kind cannot be loaded by another, so it goes back to draft. A
// model training when its options or dataset change goes back to draft
// too: that training fits the old ones, and its outcome is discarded
// (saveTrained), so the model would otherwise stay training for good. A
// ready model whose options change goes back to draft as well: ready means
// trained with its options, which training checks (and openai_chat reads
// per job), so new ones count once a training has checked and fitted them.
// Its model and metrics stay, for the admin, until that training.
func resetOnKindChange(e *core.RecordEvent) error {
	original := e.Record.Original()
	switch {
	case e.Record.GetString("kind") != original.GetString("kind"):
		e.Record.Set("status", StatusDraft)
		e.Record.Set("model", nil)
		e.Record.Set("metrics", nil)
		e.Record.Set("trained_at", "")
	case original.GetString("status") == StatusTraining && e.Record.GetString("status") == StatusTraining &&
		(changedSince(e.Record, inputsOf(original)) != ""):
		e.Record.Set("status", StatusDraft)
	case original.GetString("status") == StatusReady && e.Record.GetString("status") == StatusReady &&
		!sameJSON(rawJSON(original, "options"), rawJSON(e.Record, "options")):
		e.Record.Set("status", StatusDraft)
	}
	return e.Next()
}

// sameJSON says whether a and b hold the same JSON value, however spaced
// or ordered (the dashboard may send unchanged options reformatted).
func sameJSON(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

// serverJobFields are the ai_logs fields only the server writes: all but
// the user's description.
var serverJobFields = []string{"user", "ai", "input", "result", "status", "error", "is_finished",
	"started_at", "finished_at", "attempt", "post", "comment"}

// draftModel is the ServerSet create function of ais: whatever an admin
// sends, training alone fills serverModelFields, from a draft.
func draftModel(e *core.RecordRequestEvent) error {
	for _, f := range serverModelFields {
		e.Record.Set(f, nil)
	}
	e.Record.Set("status", StatusDraft)
	return nil
}

// inputFeatures adds input_features (computed, not stored) to a
// linear_regression model: what its input must name, so clients can build a
// form without seeing the model (a private field: internal/access shows it
// to admins only). The same for every requester.
func inputFeatures(e *core.RecordEnrichEvent) error {
	if e.Record.GetString("kind") == "linear_regression" {
		var m struct {
			Features []string `json:"features"`
		}
		if raw := e.Record.GetString("model"); raw != "" && json.Unmarshal([]byte(raw), &m) == nil && len(m.Features) > 0 {
			e.Record.WithCustomData(true)
			e.Record.Set("input_features", m.Features)
		}
	}
	return e.Next()
}

// refuseDatasetDownload keeps training data to admins: the protected-file
// check alone would let anyone who can view a ready model download it.
func refuseDatasetDownload(e *core.FileDownloadRequestEvent) error {
	if e.FileField.Name != "dataset" {
		return e.Next()
	}
	auth, _ := e.App.FindAuthRecordByToken(e.Request.URL.Query().Get("token"), core.TokenTypeFile)
	if auth == nil || !(auth.IsSuperuser() || access.IsAdmin(auth)) {
		return e.NotFoundError("", nil)
	}
	return e.Next()
}

// finishedStatuses are the job states nothing changes any more.
var finishedStatuses = []string{JobSucceeded, JobFailed, JobCanceled}

// deriveJobFields keeps is_finished true exactly for finished jobs, and new
// jobs queued, whoever writes them.
func deriveJobFields(e *core.RecordEvent) error {
	if e.Record.GetString("status") == "" {
		e.Record.Set("status", JobQueued)
	}
	e.Record.Set("is_finished", slices.Contains(finishedStatuses, e.Record.GetString("status")))
	return e.Next()
}
