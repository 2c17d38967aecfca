package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A training that takes the process down (out of memory) stays `training`
// and resumed at every start, so the server died again each time, with no
// request at all (2026-12-03). The ai package counts here the starts of a
// training that have not ended, and fails the training after a few. A
// plain table, not a collection: nobody reads it through the API.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`CREATE TABLE IF NOT EXISTS _madang_training_starts (
			model TEXT PRIMARY KEY NOT NULL,
			starts INTEGER NOT NULL DEFAULT 0
		)`).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery(`DROP TABLE IF EXISTS _madang_training_starts`).Execute()
		return err
	})
}
