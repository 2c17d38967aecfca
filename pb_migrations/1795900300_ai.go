package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// AI rules. Models (ais) are managed by admins; members see the visible,
// ready ones. Jobs (ai_logs) are read by their user and admins and written
// only by the server (the ai package's routes and queue), so their write
// rules are null: superusers only. Banned users never reach a rule over
// HTTP (their requests answer 401 first, hooks/bans.go).
const (
	aiAdminRule = `@request.auth.collectionName = "users" && @request.auth.role = "admin"`
	aisReadRule = `@request.auth.role = "admin" || ` +
		`(@request.auth.collectionName = "users" && is_visible = true && status = "ready")`
	aiLogsReadRule = `@request.auth.collectionName = "users" && ` +
		`(user = @request.auth.id || @request.auth.role = "admin")`
)

func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		ais := newAisCollection()
		if err := app.Save(ais); err != nil {
			return err
		}
		return app.Save(newAiLogsCollection(ais, users))
	}, func(app core.App) error {
		// dependents first: a collection cannot go while another refers to it
		for _, name := range []string{"ai_logs", "ais"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		return nil
	})
}

func newAisCollection() *core.Collection {
	ais := core.NewBaseCollection("ais")
	ais.ListRule = types.Pointer(aisReadRule)
	ais.ViewRule = types.Pointer(aisReadRule)
	ais.CreateRule = types.Pointer(aiAdminRule)
	ais.UpdateRule = types.Pointer(aiAdminRule)
	ais.DeleteRule = types.Pointer(aiAdminRule)
	ais.Fields.Add(
		&core.TextField{Name: "name", Required: true, Min: 1, Max: 64, Presentable: true,
			Help: "1–64 characters, unique regardless of case; `madang ai train NAME` uses it."},
		&core.TextField{Name: "description", Max: 256, Help: "Up to 256 characters, shown to members."},
		&core.SelectField{Name: "kind", Required: true, MaxSelect: 1,
			Values: []string{"linear_regression", "text_classifier", "openai_chat"},
			Help:   "The model family. Changing it sends the model back to draft: train it again."},
		&core.SelectField{Name: "status", MaxSelect: 1, Values: []string{"draft", "training", "ready", "failed"},
			Help: "Server-set: draft → training (POST /api/ais/{id}/train) → ready or failed. Members only see ready models."},
		&core.BoolField{Name: "is_visible",
			Help: "Checked = members can see and use the model once it is ready; admins always can."},
		// Not Hidden, or admins could not upload it through the API: the ai
		// package hides it from members and refuses them the download.
		&core.FileField{Name: "dataset", MaxSelect: 1, MaxSize: 50 << 20, Protected: true,
			MimeTypes: []string{"text/csv", "text/plain"},
			Help:      "The training data: a CSV file with a header row, ≤ 50 MB. Admins only. Not needed by openai_chat."},
		&core.JSONField{Name: "options", MaxSize: 256 << 10,
			Help: `Per kind: {"target":"y"}; {"text_column":"text","label_column":"label"}; {"base_url","model","system_prompt"}. Any kind: "timeout_seconds" per job.`},
		// Hidden (shown to admins by the ai package's enrich hook) so that
		// members can neither read it nor probe it with filters.
		&core.JSONField{Name: "model", MaxSize: 16 << 20, Hidden: true,
			Help: "Server-set by training: the fitted model (a text classifier is about 1 MB). Admins only."},
		&core.JSONField{Name: "metrics", MaxSize: 64 << 10,
			Help: "Server-set by training: rmse and r2, or accuracy and macro_f1, on a held-out fifth of the dataset."},
		&core.TextField{Name: "error", Max: 2000, Help: "Server-set: why the last training failed."},
		&core.DateField{Name: "trained_at", Help: "Server-set: when the last training succeeded."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	ais.AddIndex("idx_ais_name", true, "name COLLATE NOCASE", "")
	return ais
}

func newAiLogsCollection(ais, users *core.Collection) *core.Collection {
	logs := core.NewBaseCollection("ai_logs")
	logs.ListRule = types.Pointer(aiLogsReadRule)
	logs.ViewRule = types.Pointer(aiLogsReadRule)
	// created by POST /api/ais/{id}/infer only; written by the job queue
	logs.Fields.Add(
		&core.RelationField{Name: "user", CollectionId: users.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
			Help: "Who asked for the job; set by the server. Deleting the user deletes their jobs."},
		&core.RelationField{Name: "ai", CollectionId: ais.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
			Help: "The model that runs the job. Deleting the model deletes (and cancels) its jobs."},
		&core.TextField{Name: "description", Max: 256, Presentable: true, Help: "The user's note, up to 256 characters."},
		&core.JSONField{Name: "input", MaxSize: 4 << 20, Help: "What the model is asked, in the kind's input shape (≤ 4 MB)."},
		&core.JSONField{Name: "result", MaxSize: 8 << 20, Help: "Server-set: the model's answer, in the kind's result shape."},
		&core.SelectField{Name: "status", MaxSelect: 1, Values: []string{"queued", "running", "succeeded", "failed", "canceled"},
			Help: "Server-set: queued → running → succeeded, failed or canceled. Every change is a realtime update."},
		&core.TextField{Name: "error", Max: 2000, Help: "Server-set: why the job failed or was canceled."},
		&core.BoolField{Name: "is_finished", Help: "Derived from status: succeeded, failed or canceled."},
		&core.DateField{Name: "started_at", Help: "Server-set: when a worker took the job."},
		&core.DateField{Name: "finished_at", Help: "Server-set: when the job ended."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	// the queue restores unfinished jobs by status; users page their
	// history newest first; stats and admins go per model
	logs.AddIndex("idx_ai_logs_status", false, "status", "")
	logs.AddIndex("idx_ai_logs_user_created", false, "user, created", "")
	logs.AddIndex("idx_ai_logs_ai_created", false, "ai, created", "")
	return logs
}
