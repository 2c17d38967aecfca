package hooks

import (
	"fmt"
	"strconv"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// registerContractFields keeps how many records each of Madang's relation
// fields holds. The fields are PocketBase system fields (migration
// 1795900900_contract_fields.go), which PocketBase keeps from being deleted
// or renamed; a system relation could still be made to hold several
// records instead of one, or one instead of several, and Madang's triggers,
// rules and hooks read each as it is. Until 2026-12-05 making
// bookmarks.user multiple in the dashboard failed inside SQLite ("error in
// trigger madang_parent_bookmarks_user after drop column"), naming no field;
// now the change is refused first, as a field error of the collection.
func registerContractFields(app core.App) {
	app.OnCollectionValidate().BindFunc(func(e *core.CollectionEvent) error {
		if err := keepsRelationKinds(e.App, e.Collection); err != nil {
			return err
		}
		return e.Next()
	})
}

// keepsRelationKinds refuses c when one of its stored system relation
// fields changed from single to multiple or back.
func keepsRelationKinds(app core.App, c *core.Collection) error {
	if c.IsNew() {
		return nil
	}
	stored, err := app.FindCachedCollectionByNameOrId(c.Id)
	if err != nil {
		return nil // a collection saved before it is cached: nothing to keep
	}
	for i, f := range c.Fields {
		now, ok := f.(*core.RelationField)
		if !ok {
			continue
		}
		before, ok := stored.Fields.GetById(now.Id).(*core.RelationField)
		if !ok || !before.System || before.IsMultiple() == now.IsMultiple() {
			continue
		}
		holds, would := "one record", "several"
		if before.IsMultiple() {
			holds, would = "several records", "only one"
		}
		return validation.Errors{"fields": validation.Errors{strconv.Itoa(i): validation.Errors{
			"maxSelect": validation.NewError("validation_madang_relation_kind",
				fmt.Sprintf("Madang's field %s.%s holds %s; it cannot be changed to hold %s.",
					stored.Name, before.Name, holds, would)),
		}}}
	}
	return nil
}
