package migrations

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"golang.org/x/text/unicode/norm"
)

// composedTexts are the free-text fields stored composed (Unicode NFC)
// from now on (internal/access TextForm). Names keep their own rule (NFKC
// from 2026-12-03 on; older names keep their form, and a composed twin of
// one may exist), so they are not here.
var composedTexts = []struct{ table, field string }{
	{"posts", "title"}, {"posts", "content"}, {"comments", "content"},
	{"chats", "content"}, {"chat_sessions", "name"},
	{"reports", "text"}, {"moderation_log", "reason"},
	{"ais", "description"}, {"users", "ban_reason"},
}

// Text written before 2026-12-04 was stored as sent, and Hangul sent
// decomposed (NFD, as macOS and some input methods send it) was found by
// no search a Korean keyboard types. Each such value is rewritten composed
// by SQL — no save hook runs, no updated time moves, the search index
// follows through its triggers; a reader sees the same characters. The way
// down keeps them composed: the decomposed form is nothing anyone chose.
func init() {
	m.Register(func(app core.App) error {
		for _, t := range composedTexts {
			if err := composeColumn(app, t.table, t.field); err != nil {
				return err
			}
		}
		return nil
	}, nil)
}

// composeColumn rewrites the values of table.field that are not NFC, in
// batches by rowid (a table of posts may be large).
func composeColumn(app core.App, table, field string) error {
	type row struct {
		RowID int64  `db:"rowid"`
		Text  string `db:"text"`
	}
	update := app.DB().NewQuery("UPDATE {{" + table + "}} SET [[" + field + "]] = {:text} WHERE rowid = {:rowid}").Prepare()
	defer update.Close()
	for after := int64(0); ; {
		var rows []row
		err := app.DB().NewQuery("SELECT rowid, [[" + field + "]] AS text FROM {{" + table + "}} WHERE rowid > {:after} ORDER BY rowid LIMIT 1000").
			Bind(dbx.Params{"after": after}).All(&rows)
		if err != nil || len(rows) == 0 {
			return err
		}
		for _, r := range rows {
			if norm.NFC.IsNormalString(r.Text) {
				continue
			}
			if _, err := update.Bind(dbx.Params{"text": norm.NFC.String(r.Text), "rowid": r.RowID}).Execute(); err != nil {
				return err
			}
		}
		after = rows[len(rows)-1].RowID
	}
}
