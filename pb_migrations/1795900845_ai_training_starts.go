package migrations

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A training that takes the process down (out of memory) stays `training`
// and resumed at every start, so the server died again each time, with no
// request at all (2026-12-03). The ai package counts here the starts of a
// training that have not ended, and fails the training after a few. A
// plain table, not a collection: nobody reads it through the API.
//
// This migration was first 1795900840_ai_training_starts.go (1900770), a
// name now 1795900840_report_evidence.go's. A data dir that ran it keeps
// that row in _migrations, which this migration takes over: left there,
// a revert of this one dropped the table while the row still said it was
// made, so the older binary, started on the reverted dir, did not make it
// again, and its guard against a training that keeps taking the process
// down was off without a word.
const trainingStartsFirstName = "1795900840_ai_training_starts.go"

func init() {
	m.Register(func(app core.App) error {
		if _, err := app.DB().NewQuery(`CREATE TABLE IF NOT EXISTS _madang_training_starts (
			model TEXT PRIMARY KEY NOT NULL,
			starts INTEGER NOT NULL DEFAULT 0
		)`).Execute(); err != nil {
			return err
		}
		_, err := app.DB().Delete(core.DefaultMigrationsTable, dbx.HashExp{"file": trainingStartsFirstName}).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery(`DROP TABLE IF EXISTS _madang_training_starts`).Execute()
		return err
	})
}
