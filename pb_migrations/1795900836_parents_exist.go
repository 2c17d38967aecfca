package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A row is inserted only while what it belongs to exists. A create checks
// its rule and its relations before its transaction, and the delete of a
// post (a comment, a board, a chat) that commits meanwhile cascades to the
// rows that are there, not to the one about to be inserted: 50 of 50
// comments racing their post's delete were stored, with 200, under a post
// that was gone (2026-12-03); replies under a deleted comment still counted
// in comments_count. SQLite's foreign keys are off in PocketBase, so a
// trigger per cascading relation (one target each) checks it in the
// inserting statement, and hooks.ParentGone answers its abort as PocketBase
// answers a missing relation: 400, validation_missing_rel_records.
func init() {
	m.Register(func(app core.App) error {
		return eachCascadingRelation(app, func(table, field, target string) string {
			return fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s BEFORE INSERT ON {{%s}}
				WHEN NEW.[[%s]] != '' AND NOT EXISTS (SELECT 1 FROM {{%s}} WHERE [[id]] = NEW.[[%s]])
				BEGIN SELECT RAISE(ABORT, 'madang_parent_gone:%s'); END`,
				parentTrigger(table, field), table, field, target, field, field)
		})
	}, func(app core.App) error {
		return eachCascadingRelation(app, func(table, field, _ string) string {
			return "DROP TRIGGER IF EXISTS " + parentTrigger(table, field)
		})
	})
}

func parentTrigger(table, field string) string { return "madang_parent_" + table + "_" + field }

// eachCascadingRelation runs the statement sql makes for every relation
// field of Madang's collections that holds one record and is deleted with
// it (CascadeDelete).
func eachCascadingRelation(app core.App, sql func(table, field, target string) string) error {
	collections, err := app.FindAllCollections(core.CollectionTypeBase, core.CollectionTypeAuth)
	if err != nil {
		return err
	}
	for _, c := range collections {
		if c.System {
			continue
		}
		for _, f := range c.Fields {
			rel, ok := f.(*core.RelationField)
			if !ok || !rel.CascadeDelete || rel.IsMultiple() {
				continue
			}
			target, err := app.FindCollectionByNameOrId(rel.CollectionId)
			if err != nil {
				return err
			}
			if _, err := app.DB().NewQuery(sql(c.Name, rel.Name, target.Name)).Execute(); err != nil {
				return fmt.Errorf("%s.%s: %w", c.Name, rel.Name, err)
			}
		}
	}
	return nil
}
