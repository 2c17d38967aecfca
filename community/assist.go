package community

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"madang/ai"
	"madang/internal/access"
	"madang/internal/txn"
)

// AI moderation assist. An admin attaches a text_classifier to a board
// (boards.moderation_ai, with moderation_threshold). Every new or edited
// visible post and comment there gets a system job — an ai_logs record
// without a user, naming the post or comment — written in the transaction
// of the write, so a crash loses no scoring and the write waits for no
// model: the job runs in the AI queue once the write committed. When it
// succeeds, its most probable label that is not one of the model's clean
// labels (ai.Flagged) is weighed against the threshold; above it, the
// system files a report (empty reporter, ai_label, ai_score) in the
// transaction of the job's final state — or updates its open one for the
// same target. The system counts as one reporter towards the board's
// auto_hide_reports; it never hides anything by itself otherwise.
// Admins' resolutions of these reports come back as a labelled CSV
// (GET /api/reports/ai-export) to retrain the model.

// DefaultModerationThreshold is the threshold of a board whose
// moderation_threshold is 0 (unset).
const DefaultModerationThreshold = 0.8

// maxScoredRunes is how much of a text the assist scores (the
// classifier's own input limit).
const maxScoredRunes = 10_000

func registerModerationAssist(app core.App) {
	app.OnRecordValidate(access.CollectionNameBoards).BindFunc(checkModerationModel)
	for _, c := range []string{access.CollectionNamePosts, access.CollectionNameComments} {
		app.OnRecordCreateExecute(c).BindFunc(func(e *core.RecordEvent) error { return scoreWrite(e, true) })
		app.OnRecordUpdateExecute(c).BindFunc(func(e *core.RecordEvent) error { return scoreWrite(e, false) })
	}
	app.OnRecordUpdateExecute(access.CollectionNameAILogs).BindFunc(fileAssistReport)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		// admins and superusers, as the queue it is exported from
		e.Router.GET("/api/reports/ai-export", exportAssistReports).
			Bind(apis.RequireAuth(access.CollectionNameUsers, core.CollectionNameSuperusers))
		return e.Next()
	})
}

// checkModerationModel refuses a board whose moderation_ai is not a text
// classifier (whoever saves it: API, dashboard, CLI).
func checkModerationModel(e *core.RecordEvent) error {
	id := e.Record.GetString("moderation_ai")
	if id == "" || id == e.Record.Original().GetString("moderation_ai") {
		return e.Next()
	}
	model, err := e.App.FindRecordById(access.CollectionNameAIs, id)
	if err != nil || model.GetString("kind") != "text_classifier" {
		return validation.Errors{"moderation_ai": validation.NewError("validation_not_text_classifier",
			"The moderation assist takes a text_classifier model.")}
	}
	return e.Next()
}

// scoredText is what the assist scores of a post (title and content) or a
// comment.
func scoredText(r *core.Record) string {
	if r.Collection().Name == access.CollectionNamePosts {
		return r.GetString("title") + "\n\n" + r.GetString("content")
	}
	return r.GetString("content")
}

// contentBoard returns the board of a post or comment.
func contentBoard(app core.App, r *core.Record) string {
	if r.Collection().Name == access.CollectionNamePosts {
		return r.GetString("board")
	}
	var board string
	_ = app.DB().Select("board").From(access.CollectionNamePosts).Where(dbx.HashExp{"id": r.GetString("post")}).Row(&board)
	return board
}

// scoreWrite queues a system job for a visible post or comment of a
// moderated board, on create or when an edit changed its text, in the
// write's transaction. Communities without a moderated board pay one
// cached lookup.
func scoreWrite(e *core.RecordEvent, created bool) error {
	if !anyModeratedBoard(e.App) || !e.Record.GetBool("is_visible") {
		return e.Next()
	}
	text := scoredText(e.Record)
	if !created && text == scoredText(e.Record.Original()) {
		return e.Next()
	}
	facts := boardFactsOf(e.App, contentBoard(e.App, e.Record))
	if facts.moderationAI == "" {
		return e.Next()
	}
	return txn.Around(e, func(tx core.App) error {
		jobs, err := tx.FindCachedCollectionByNameOrId(access.CollectionNameAILogs)
		if err != nil {
			return err
		}
		if r := []rune(text); len(r) > maxScoredRunes {
			text = string(r[:maxScoredRunes])
		}
		input, err := json.Marshal(map[string]string{"text": text})
		if err != nil {
			return err
		}
		kind := "post"
		if e.Record.Collection().Name == access.CollectionNameComments {
			kind = "comment"
		}
		job := core.NewRecord(jobs)
		job.Set("ai", facts.moderationAI)
		job.Set(kind, e.Record.Id)
		job.Set("description", "Moderation assist: "+kind+" "+e.Record.Id)
		job.Set("input", string(input))
		job.Set("status", ai.JobQueued)
		// its relations are the record just written and the board's model
		return tx.SaveNoValidate(job)
	})
}

// fileAssistReport files (or updates) the system's report when a moderation
// job succeeds with a flagged label over its board's threshold, in the
// transaction of the job's final state.
func fileAssistReport(e *core.RecordEvent) error {
	job := e.Record
	kind, id := "post", job.GetString("post")
	if id == "" {
		kind, id = "comment", job.GetString("comment")
	}
	if id == "" || job.GetString("user") != "" || job.GetString("status") != ai.JobSucceeded ||
		job.Original().GetString("status") == ai.JobSucceeded {
		return e.Next()
	}
	content, err := e.App.FindRecordById(targetFields[kind], id)
	if err != nil {
		return e.Next() // deleted meanwhile
	}
	model, err := e.App.FindRecordById(access.CollectionNameAIs, job.GetString("ai"))
	if err != nil {
		return e.Next()
	}
	var result struct {
		Scores []map[string]float64 `json:"scores"`
	}
	if json.Unmarshal([]byte(job.GetString("result")), &result) != nil || len(result.Scores) == 0 {
		return e.Next()
	}
	label, score := ai.Flagged(json.RawMessage(model.GetString("options")), result.Scores[0])
	threshold := boardFactsOf(e.App, contentBoard(e.App, content)).threshold
	if threshold <= 0 {
		threshold = DefaultModerationThreshold
	}
	if label == "" || score <= threshold {
		return e.Next()
	}
	return txn.Around(e, func(tx core.App) error {
		report, err := tx.FindFirstRecordByFilter(Reports, "reporter = '' && ai_label != '' && target_kind = {:kind} && target_id = {:id} && status = 'open'",
			dbx.Params{"kind": kind, "id": id})
		if err != nil {
			reports, err := tx.FindCachedCollectionByNameOrId(Reports)
			if err != nil {
				return err
			}
			report = core.NewRecord(reports)
			report.Set("target_kind", kind)
			report.Set(kind, id)
			report.Set("status", ReportOpen)
		}
		report.Set("reason", reasonOf(label))
		report.Set("ai_label", clip(label, 200))
		report.Set("ai_score", score)
		report.Set("text", fmt.Sprintf("AI moderation assist: %s %.0f%% (model %s, threshold %.0f%%).",
			clip(label, 100), score*100, model.GetString("name"), threshold*100))
		return tx.Save(report)
	})
}

// reasonOf maps a model's label to a report reason.
func reasonOf(label string) string {
	switch l := strings.ToLower(label); l {
	case "spam", "abuse", "illegal":
		return l
	}
	return "other"
}

// exportAssistReports answers GET /api/reports/ai-export[?board=ID] for
// admins: the system's resolved reports as CSV, oldest resolution first,
// with the text scored now and the label the admin's resolution gives it —
// the flagged label when they actioned the report, the model's first clean
// label when they dismissed it. The text and label columns are a
// text_classifier dataset as they stand. A report whose post or comment
// was deleted stays in the queue and the log, but not here: its text went
// with it (Madang keeps no copy of deleted content).
func exportAssistReports(e *core.RequestEvent) error {
	// until 2026-12-04 a superuser, who may use the queue and resolve, got 403
	if !access.IsAdmin(e.Auth) && !e.HasSuperuserAuth() {
		return e.ForbiddenError("Only admins export the moderation assist's reports.", nil)
	}
	board := e.Request.URL.Query().Get("board")
	if board != "" {
		if _, err := e.App.FindRecordById(access.CollectionNameBoards, board); err != nil {
			return e.NotFoundError("There is no such board.", nil)
		}
	}
	var rows []struct {
		ID         string  `db:"id"`
		Kind       string  `db:"target_kind"`
		Target     string  `db:"target"`
		Status     string  `db:"status"`
		Label      string  `db:"ai_label"`
		Score      float64 `db:"ai_score"`
		ResolvedAt string  `db:"resolved_at"`
		Title      string  `db:"title"`
		Content    string  `db:"content"`
		Board      string  `db:"board"`
		Options    string  `db:"options"`
	}
	q := e.App.DB().Select("r.id", "r.target_kind", "r.target_id AS target", "r.status",
		"r.ai_label", "r.ai_score", "r.resolved_at",
		"COALESCE(p.title, '') AS title", "COALESCE(c.content, p.content, '') AS content",
		"COALESCE(p.board, cp.board, '') AS board", "COALESCE(a.options, '') AS options").
		From(Reports+" r").
		LeftJoin(access.CollectionNamePosts+" p", dbx.NewExp("p.id = r.post")).
		LeftJoin(access.CollectionNameComments+" c", dbx.NewExp("c.id = r.comment")).
		LeftJoin(access.CollectionNamePosts+" cp", dbx.NewExp("cp.id = c.post")).
		LeftJoin(access.CollectionNameBoards+" b", dbx.NewExp("b.id = COALESCE(p.board, cp.board)")).
		LeftJoin(access.CollectionNameAIs+" a", dbx.NewExp("a.id = b.moderation_ai")).
		Where(dbx.NewExp("r.reporter = '' AND r.ai_label != '' AND r.status IN ('dismissed', 'actioned') AND r.target_kind IN ('post', 'comment')"+
			" AND COALESCE(p.id, c.id) IS NOT NULL")).
		OrderBy("r.resolved_at", "r.id")
	if board != "" {
		q.AndWhere(dbx.NewExp("COALESCE(p.board, cp.board) = {:board}", dbx.Params{"board": board}))
	}
	if err := q.All(&rows); err != nil {
		return fmt.Errorf("reading the moderation assist's reports: %w", err)
	}
	name := "moderation-assist-" + time.Now().UTC().Format("20060102") + ".csv"
	e.Response.Header().Set("Content-Type", "text/csv; charset=utf-8")
	e.Response.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	e.Response.WriteHeader(http.StatusOK)
	w := csv.NewWriter(e.Response)
	_ = w.Write([]string{"text", "label", "ai_label", "ai_score", "resolution", "target_kind", "target_id", "board", "resolved_at"})
	for _, r := range rows {
		text := r.Content
		if r.Kind == "post" {
			text = r.Title + "\n\n" + r.Content
		}
		label := r.Label
		if r.Status == ReportDismissed {
			label = ai.CleanLabels(json.RawMessage(r.Options))[0]
		}
		_ = w.Write([]string{ai.SpreadsheetCell(text), ai.SpreadsheetCell(label), ai.SpreadsheetCell(r.Label), strconv.FormatFloat(r.Score, 'f', 4, 64), r.Status, r.Kind, r.Target, r.Board, r.ResolvedAt})
	}
	w.Flush()
	return w.Error()
}
