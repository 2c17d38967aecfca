package hooks

import (
	"regexp"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// parentGone matches the abort of the triggers that insert a row only
// while what it belongs to exists (migration 1795900836_parents_exist.go).
var parentGone = regexp.MustCompile(`madang_parent_gone:([a-z_]+)`)

// registerParentChecks answers a create whose post, comment, board or chat
// was deleted while it was checked (the trigger's abort) as PocketBase
// answers a relation to a missing record: 400 naming the field, instead of
// "Failed to create record.".
func registerParentChecks(app core.App) {
	app.OnRecordCreateExecute().BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		if err == nil {
			return nil
		}
		if m := parentGone.FindStringSubmatch(err.Error()); m != nil {
			return validation.Errors{m[1]: validation.NewError("validation_missing_rel_records",
				"The record this belongs to was deleted meanwhile.")}
		}
		return err
	})
}
