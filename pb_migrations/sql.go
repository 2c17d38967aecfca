package migrations

import "github.com/pocketbase/pocketbase/core"

// execAll runs each statement in order on app (the migration's
// transaction), stopping at the first error.
func execAll(app core.App, statements []string) error {
	for _, q := range statements {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			return err
		}
	}
	return nil
}
