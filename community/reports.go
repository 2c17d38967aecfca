package community

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/access"
	"madang/internal/txn"
)

// Report targets and resolutions, spelled as in the migration and the contract.
const (
	ReportOpen      = "open"
	ReportDismissed = "dismissed"
	ReportActioned  = "actioned"

	ResolveDismiss = "dismiss"
	ResolveHide    = "hide"
	ResolveBan     = "ban"
)

// targetFields maps a report's target_kind to its relation field and the
// collection it points to.
var targetFields = map[string]string{
	"post": access.CollectionNamePosts, "comment": access.CollectionNameComments,
	"chat": access.CollectionNameChats, "user": access.CollectionNameUsers,
}

func registerReports(app core.App) {
	// a report's text is read by moderators, in the queue and the CLI
	access.Trimmed(app, Reports, "text")
	access.ServerSet(app, Reports, func(e *core.RecordRequestEvent) error {
		if e.Auth == nil {
			return e.UnauthorizedError("Sign in to report.", nil)
		}
		e.Record.Set("reporter", e.Auth.Id)
		e.Record.Set("status", ReportOpen)
		for _, f := range []string{"resolved_by", "resolved_at", "ai_label", "ai_score", "target_id"} {
			e.Record.Set(f, nil)
		}
		return checkReportTarget(e)
	}, "reporter", "status", "resolved_by", "resolved_at", "target_id")
	app.OnRecordCreate(Reports).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("status") == "" {
			e.Record.Set("status", ReportOpen)
		}
		keepTargetID(e.Record)
		return e.Next()
	})
	app.OnRecordUpdate(Reports).BindFunc(func(e *core.RecordEvent) error {
		keepTargetID(e.Record)
		return e.Next()
	})
	// An empty reporter is the moderation assist's (its reports carry
	// ai_label) or a deleted account's. A superuser, whom ServerSet lets
	// set reporter, files on a member's behalf and names them: a report of
	// nobody read as the assist's in the queue, and escaped the
	// one-open-report index (until 2026-12-03).
	app.OnRecordValidate(Reports).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.IsNew() && e.Record.GetString("reporter") == "" && e.Record.GetString("ai_label") == "" {
			msg := "Name the member this report is from (reporter); only the moderation assist files reports without one."
			return validation.Errors{"reporter": validation.NewError("validation_required", msg)}
		}
		return e.Next()
	})
	app.OnRecordCreateExecute(Reports).BindFunc(func(e *core.RecordEvent) error {
		return txn.Around(e, func(tx core.App) error { return autoHide(tx, e.Record) })
	})
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		// admins, and superusers, who pass every rule (CONTRACT.md)
		moderators := apis.RequireAuth(access.CollectionNameUsers, core.CollectionNameSuperusers)
		e.Router.POST("/api/reports/{id}/resolve", resolveReport).Bind(moderators)
		e.Router.GET("/api/reports/queue", reportQueue).Bind(moderators)
		return e.Next()
	})
}

// keepTargetID copies a report's target relation into target_id, which
// keeps it once the target is deleted (the relation is not cascading, so
// the delete empties it: migration 1795900840_report_evidence.go).
func keepTargetID(report *core.Record) {
	if id := report.GetString(report.GetString("target_kind")); id != "" {
		report.Set("target_id", id)
	}
}

// target returns the record a report is about, or nil (also once deleted).
func target(app core.App, report *core.Record) *core.Record {
	kind := report.GetString("target_kind")
	collection, ok := targetFields[kind]
	if !ok {
		return nil
	}
	r, err := app.FindRecordById(collection, report.GetString(kind))
	if err != nil {
		return nil
	}
	return r
}

// checkReportTarget makes a report name exactly one target, of its kind,
// that the reporter can read (a post, comment or chat message), or another
// user; and be the reporter's only open report of it.
func checkReportTarget(e *core.RecordRequestEvent) error {
	kind := e.Record.GetString("target_kind")
	if _, ok := targetFields[kind]; !ok {
		code, msg := "validation_required", "Say what you report: target_kind is post, comment, chat or user."
		if kind != "" {
			code, msg = "validation_invalid_value", "target_kind is post, comment, chat or user, not "+strconv.Quote(clip(kind, 32))+"."
		}
		return apis.NewBadRequestError(msg, validation.Errors{"target_kind": validation.NewError(code, msg)})
	}
	for k := range targetFields {
		if k != kind && e.Record.GetString(k) != "" {
			msg := "A " + kind + " report names only the " + kind + "; leave " + k + " empty."
			return apis.NewBadRequestError(msg, validation.Errors{k: validation.NewError("validation_other_target", msg)})
		}
	}
	if e.Record.GetString(kind) == "" {
		msg := "Name the " + kind + " you report (" + kind + ")."
		return apis.NewBadRequestError(msg, validation.Errors{kind: validation.NewError("validation_required", msg)})
	}
	t := target(e.App, e.Record)
	unreadable := t == nil
	if t != nil && kind != "user" {
		info, _ := e.RequestInfo()
		ok, _ := e.App.CanAccessRecord(t, info, t.Collection().ViewRule)
		unreadable = !ok
	}
	if unreadable || (kind == "user" && t.Id == e.Auth.Id) {
		msg := "There is no such " + kind + " for you to report."
		return apis.NewBadRequestError(msg, validation.Errors{kind: validation.NewError("validation_invalid_target", msg)})
	}
	_, err := e.App.FindFirstRecordByFilter(Reports, "reporter = {:me} && target_kind = {:kind} && target_id = {:target} && status = 'open'",
		dbx.Params{"me": e.Auth.Id, "kind": kind, "target": t.Id})
	if err == nil {
		return apis.NewBadRequestError("You already reported this; an admin will look at it.", validation.Errors{kind: validation.NewError(
			"validation_already_reported", "You already reported this; an admin will look at it.")})
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return e.Next()
}

// boardOf returns the board of a reported post or comment, or nil.
func boardOf(app core.App, t *core.Record) *core.Record {
	switch t.Collection().Name {
	case access.CollectionNamePosts, access.CollectionNameComments:
	default:
		return nil
	}
	board, err := app.FindRecordById(access.CollectionNameBoards, contentBoard(app, t))
	if err != nil {
		return nil
	}
	return board
}

// autoHide hides a post or comment once as many distinct reporters (the
// moderation assist counting as one) reported it as its board's
// auto_hide_reports says (0: never). Only admins bring it
// back (the rules let authors hide, never unhide).
func autoHide(tx core.App, report *core.Record) error {
	t := target(tx, report)
	if t == nil || !t.GetBool("is_visible") {
		return nil
	}
	board := boardOf(tx, t)
	if board == nil || board.GetInt("auto_hide_reports") <= 0 {
		return nil
	}
	kind := report.GetString("target_kind")
	// the moderation assist (its reports carry ai_label) counts as one; a
	// report whose reporter's account was deleted counts no more
	var reporters int
	err := tx.DB().Select("COUNT(DISTINCT NULLIF([[reporter]], '')) + COALESCE(MAX([[ai_label]] != ''), 0)").From(Reports).
		Where(dbx.HashExp{"target_kind": kind, "target_id": t.Id, "status": ReportOpen}).Row(&reporters)
	if err != nil || reporters < board.GetInt("auto_hide_reports") {
		return err
	}
	t.Set("is_visible", false)
	a := access.Actor{Label: "system", Reason: "auto-hidden after " + strconv.Itoa(reporters) + " reports"}
	return access.As(t, a, func() error { return tx.Save(t) })
}

// resolveReport answers POST /api/reports/{id}/resolve {action, reason}
// for admins and superusers: dismiss, hide the reported post, comment or message, or ban
// (the reported user, or the author of the reported content) — in one
// transaction with every open report of the same target, which becomes
// actioned (or dismissed), the moderation log line, and the notices to the
// author and the reporters. It answers the report.
func resolveReport(e *core.RequestEvent) error {
	if !access.IsAdmin(e.Auth) && !e.HasSuperuserAuth() {
		return e.ForbiddenError("Only admins resolve reports.", nil)
	}
	// a superuser is no users record: resolved_by and the reporters'
	// notices name nobody; the moderation log names the superuser
	resolver := e.Auth.Id
	if e.HasSuperuserAuth() {
		resolver = ""
	}
	var body struct {
		Action string `json:"action" form:"action"`
		Reason string `json:"reason" form:"reason"`
	}
	if err := e.BindBody(&body); err != nil {
		return e.BadRequestError("Send JSON {action, reason}.", err)
	}
	if body.Action != ResolveDismiss && body.Action != ResolveHide && body.Action != ResolveBan {
		msg := "The action must be dismiss, hide or ban."
		return e.BadRequestError(msg, validation.Errors{"action": validation.NewError("validation_invalid_action", msg)})
	}
	if len([]rune(body.Reason)) > 1000 {
		msg := "The reason must be at most 1,000 characters."
		return e.BadRequestError(msg, validation.Errors{"reason": validation.NewError("validation_max_text_constraint", msg)})
	}
	// it becomes a ban's reason and the log's (until 2026-12-04 an escape
	// sequence reached the operator's terminal through the CLI and logs)
	if err := access.ControlCharacterError("reason", body.Reason); err != nil {
		return e.BadRequestError(err.Error(), validation.Errors{"reason": err})
	}
	report, err := e.App.FindRecordById(Reports, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("There is no such report.", nil)
	}
	who := access.ActorOf(e.Auth)
	who.Reason = body.Reason
	status := ReportActioned
	if body.Action == ResolveDismiss {
		status = ReportDismissed
	}
	// The report and its target are read in the transaction: SQLite runs
	// one write transaction at a time, so of concurrent resolutions of a
	// report only the first finds it open, and the others change nothing.
	// Until 2026-12-04 the status was read before it, and each of them ran
	// its hide or ban and wrote its log entries.
	err = e.App.RunInTransaction(func(tx core.App) error {
		report, err := tx.FindRecordById(Reports, report.Id)
		if err != nil {
			return apis.NewNotFoundError("There is no such report.", nil)
		}
		if report.GetString("status") != ReportOpen {
			return apis.NewBadRequestError("This report was already resolved.", nil)
		}
		t := target(tx, report)
		if t == nil && body.Action != ResolveDismiss {
			return apis.NewBadRequestError("What was reported no longer exists; dismiss the report.", nil)
		}
		kind := report.GetString("target_kind")
		if body.Action == ResolveHide && kind == "user" {
			msg := "A user cannot be hidden: ban them, or dismiss the report."
			return apis.NewBadRequestError(msg, validation.Errors{"action": validation.NewError("validation_invalid_action", msg)})
		}
		switch body.Action {
		case ResolveHide:
			if t.GetBool("is_visible") {
				t.Set("is_visible", false)
				if err := access.As(t, who, func() error { return tx.Save(t) }); err != nil {
					return err
				}
			}
		case ResolveBan:
			user := t
			if kind != "user" {
				if user, err = tx.FindRecordById(access.CollectionNameUsers, writerOf(t)); err != nil {
					return apis.NewBadRequestError("The author of what was reported no longer exists.", nil)
				}
			}
			if user.GetString("role") == access.RoleAdmin && !e.HasSuperuserAuth() {
				return apis.NewForbiddenError("Admins cannot ban other admins; ask a superuser.", nil)
			}
			if !user.GetBool("banned") {
				user.Set("banned", true)
				user.Set("ban_reason", clip(body.Reason, 512))
				user.Set("banned_until", "")
				// the ban's log entry carries its ban_reason; the resolver's
				// reason with it wrote it twice (until 2026-12-04)
				if err := access.As(user, access.ActorOf(e.Auth), func() error { return tx.Save(user) }); err != nil {
					return err
				}
			}
		}
		targetID := report.GetString("target_id")
		same, err := tx.FindAllRecords(Reports, dbx.HashExp{"target_kind": kind, "target_id": targetID, "status": ReportOpen})
		if err != nil {
			return err
		}
		now := types.NowDateTime()
		for _, r := range same {
			r.Set("status", status)
			r.Set("resolved_by", resolver)
			r.Set("resolved_at", now)
			if err := tx.Save(r); err != nil {
				return err
			}
			if err := notify(tx, notice{user: r.GetString("reporter"), kind: KindModeration, actor: resolver,
				text: "Your report was " + status + "."}); err != nil {
				return err
			}
		}
		return writeLog(tx, who, entry{ActionReportResolve, kind, targetID,
			fmt.Sprintf("%s (%d report(s))", body.Action, len(same))})
	})
	if err != nil {
		return err
	}
	report, err = e.App.FindRecordById(Reports, report.Id)
	if err != nil {
		return err
	}
	if err := apis.EnrichRecord(e, report); err != nil {
		return err
	}
	return e.JSON(http.StatusOK, report)
}

// queueItem is one target of the moderation queue.
type queueItem struct {
	TargetKind string         `json:"target_kind" db:"target_kind"`
	TargetID   string         `json:"target_id" db:"target_id"`
	Reports    int            `json:"reports" db:"reports"`
	Reporters  int            `json:"reporters" db:"reporters"`
	Latest     string         `json:"latest" db:"latest"`
	FromAI     bool           `json:"from_ai" db:"from_ai"`
	Deleted    bool           `json:"deleted" db:"deleted"`
	Reasons    map[string]int `json:"reasons" db:"-"`
	RawReasons string         `json:"-" db:"raw_reasons"`
}

// reportQueue answers GET /api/reports/queue?page=&perPage= for admins: the
// open reports grouped by target, the most reported first, with counts by
// reason: {"page","perPage","items":[{target_kind, target_id, reports,
// reporters, latest, from_ai, deleted, reasons}]}, where deleted says what
// was reported no longer exists (dismiss it). The reports themselves are
// listed with the SDK (filter by target_id).
func reportQueue(e *core.RequestEvent) error {
	if !access.IsAdmin(e.Auth) && !e.HasSuperuserAuth() {
		return e.ForbiddenError("Only admins see the moderation queue.", nil)
	}
	query := e.Request.URL.Query()
	if err := access.CheckPaging(map[string]string{"page": query.Get("page"), "perPage": query.Get("perPage")}); err != nil {
		return err
	}
	page, _ := strconv.Atoi(query.Get("page"))
	perPage, _ := strconv.Atoi(query.Get("perPage"))
	page, perPage = max(page, 1), min(max(perPage, 1), 100)
	if query.Get("perPage") == "" {
		perPage = 30
	}
	var items []queueItem
	err := e.App.DB().NewQuery(`SELECT [[r.target_kind]] AS [[target_kind]], [[r.target_id]] AS [[target_id]],
			COUNT(*) AS [[reports]], COUNT(DISTINCT NULLIF([[r.reporter]], '')) AS [[reporters]], MAX([[r.created]]) AS [[latest]],
			MAX([[r.ai_label]] != '') AS [[from_ai]], group_concat([[r.reason]]) AS [[raw_reasons]],
			NOT CASE [[r.target_kind]]
				WHEN 'post' THEN EXISTS (SELECT 1 FROM {{posts}} WHERE [[id]] = [[r.target_id]])
				WHEN 'comment' THEN EXISTS (SELECT 1 FROM {{comments}} WHERE [[id]] = [[r.target_id]])
				WHEN 'chat' THEN EXISTS (SELECT 1 FROM {{chats}} WHERE [[id]] = [[r.target_id]])
				ELSE EXISTS (SELECT 1 FROM {{users}} WHERE [[id]] = [[r.target_id]]) END AS [[deleted]]
		FROM {{reports}} [[r]] WHERE [[r.status]] = 'open'
		GROUP BY [[r.target_kind]], [[r.target_id]]
		ORDER BY [[reports]] DESC, [[latest]] DESC
		LIMIT {:limit} OFFSET {:offset}`).
		Bind(dbx.Params{"limit": perPage, "offset": (page - 1) * perPage}).All(&items)
	if err != nil {
		return fmt.Errorf("reading the moderation queue: %w", err)
	}
	for i := range items {
		items[i].Reasons = map[string]int{}
		for _, r := range strings.Split(items[i].RawReasons, ",") {
			items[i].Reasons[r]++
		}
	}
	if items == nil {
		items = []queueItem{}
	}
	return e.JSON(http.StatusOK, map[string]any{"page": page, "perPage": perPage, "items": items})
}
