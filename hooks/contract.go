package hooks

import (
	"fmt"
	"strconv"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
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
		if err := keepsUserIDs(e.App, e.Collection); err != nil {
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

// keepsUserIDs refuses a change to the length or the pattern of the users
// id field. The rules find a user in a stored list of users ids by its text
// (`session.members ~ @request.auth.id`, `@request.auth.blocking !~
// author`: migration 1795900901_member_text.go), which is exact only while
// every id is exactly 15 characters of a-z0-9: then no id can be found
// inside another or across the list's quotes and commas. A shorter id
// could be found inside a member's, and a member's chats read by whoever
// holds it.
func keepsUserIDs(app core.App, c *core.Collection) error {
	if c.IsNew() || c.Name != access.CollectionNameUsers {
		return nil
	}
	stored, err := app.FindCachedCollectionByNameOrId(c.Id)
	if err != nil {
		return nil // a collection saved before it is cached: nothing to keep
	}
	before, ok := stored.Fields.GetByName(core.FieldNameId).(*core.TextField)
	if !ok {
		return nil
	}
	for i, f := range c.Fields {
		now, ok := f.(*core.TextField)
		if !ok || now.Id != before.Id {
			continue
		}
		option := "pattern"
		switch {
		case now.Min != before.Min:
			option = "min"
		case now.Max != before.Max:
			option = "max"
		case now.Pattern == before.Pattern:
			return nil
		}
		return validation.Errors{"fields": validation.Errors{strconv.Itoa(i): validation.Errors{
			option: validation.NewError("validation_madang_user_ids",
				fmt.Sprintf("Madang's rules find users by their id in stored lists of ids, which needs every users id to keep its length (%d to %d characters) and pattern (%s); they cannot be changed.",
					before.Min, before.Max, before.Pattern)),
		}}}
	}
	return nil
}
