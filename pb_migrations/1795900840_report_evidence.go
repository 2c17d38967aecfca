package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Reports are evidence: they outlive what they report and who filed them.
// Until 2026-12-03 the reports' relations were cascading, so deleting a
// post, comment, message or account deleted every report about it — an
// author erased the open reports against a post by deleting it — and
// every report its reporter filed. Deleting a target now empties the
// relation (PocketBase's non-cascading delete), and the report keeps
// target_id, the id of what it was about, which the moderation queue
// groups by, the resolve route and the log name, and the one-open-report
// index reads (a relation emptied by a delete no longer tells two targets
// apart). A deleted reporter's reports stay, without a reporter.
var reportRelations = []string{"reporter", "post", "comment", "chat", "user"}

const (
	reportsOpenTarget    = "status, target_kind, target_id"
	reportsOneOpen       = "reporter, target_kind, target_id"
	reportsOneOpenWhere  = "status = 'open' AND reporter != ''"
	oldReportsOpenTarget = "status, target_kind, post, comment, chat, user"
	oldReportsOneOpen    = "reporter, target_kind, post, comment, chat, user"
)

func init() {
	m.Register(func(app core.App) error {
		reports, err := app.FindCollectionByNameOrId("reports")
		if err != nil {
			return err
		}
		setReportCascade(reports, false)
		reports.Fields.Add(&core.TextField{Name: "target_id", Max: 32,
			Help: "Server-set: the id of what was reported, kept when it is deleted (its relation then empties)."})
		reports.RemoveIndex("idx_reports_open_target")
		reports.RemoveIndex("idx_reports_one_open")
		if err := app.Save(reports); err != nil {
			return err
		}
		_, err = app.DB().NewQuery(`UPDATE {{reports}} SET [[target_id]] =
			COALESCE(NULLIF([[post]], ''), NULLIF([[comment]], ''), NULLIF([[chat]], ''), [[user]])`).Execute()
		if err != nil {
			return err
		}
		reports.AddIndex("idx_reports_open_target", false, reportsOpenTarget, "")
		reports.AddIndex("idx_reports_one_open", true, reportsOneOpen, reportsOneOpenWhere)
		return app.Save(reports)
	}, func(app core.App) error {
		reports, err := app.FindCollectionByNameOrId("reports")
		if err != nil {
			return err
		}
		// what lost its target or its reporter would have cascaded: it goes
		// (an empty reporter meant the moderation assist before)
		if _, err := app.DB().NewQuery(`DELETE FROM {{reports}} WHERE
			COALESCE(NULLIF([[post]], ''), NULLIF([[comment]], ''), NULLIF([[chat]], ''), [[user]]) = ''
			OR ([[reporter]] = '' AND [[ai_label]] = '')`).Execute(); err != nil {
			return err
		}
		setReportCascade(reports, true)
		reports.RemoveIndex("idx_reports_open_target")
		reports.RemoveIndex("idx_reports_one_open")
		reports.Fields.RemoveByName("target_id")
		reports.AddIndex("idx_reports_open_target", false, oldReportsOpenTarget, "")
		reports.AddIndex("idx_reports_one_open", true, oldReportsOneOpen, reportsOneOpenWhere)
		return app.Save(reports)
	})
}

func setReportCascade(reports *core.Collection, cascade bool) {
	for _, name := range reportRelations {
		if f, ok := reports.Fields.GetByName(name).(*core.RelationField); ok {
			f.CascadeDelete = cascade
		}
	}
}
