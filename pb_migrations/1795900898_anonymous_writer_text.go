package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// anonymousWriterCollections hold the writer of what was written on an
// anonymous board in anonymous_author.
var anonymousWriterCollections = []string{"posts", "comments"}

// anonymousWriterTemp is the column the values wait in while the field's
// type changes (PocketBase changes no field's type in place).
const anonymousWriterTemp = "anonymous_writer_retyped"

// posts.anonymous_author and comments.anonymous_author become hidden text
// fields. As relations, PocketBase emptied them when their writer deleted
// the account, re-saving each such post and comment: every one lost its
// 익명 label and got the same updated time, and a live update went to
// every reader at that moment — all of one member's anonymous writing,
// linked, and tied to the deleted account (probe p19, 2026-12-04). The
// values are the same user ids; the account deletion now replaces them by
// SQL with one `gone-…` mark (community/anonymous.go). An index on them
// serves the account's export and deletion.
//
// The way down makes them relations again; the `gone-…` marks, which a
// relation cannot hold, become empty.
func init() {
	m.Register(func(app core.App) error {
		for _, name := range anonymousWriterCollections {
			field := &core.TextField{Name: anonymousWriterTemp, Max: 32, Hidden: true,
				Help: "Server-set: the writer (a user id) of a post or comment on an anonymous board, whose author stays empty; " +
					"gone-… once that account is deleted. Shown to admins and the writer only."}
			if err := retypeField(app, name, "anonymous_author", field, "COALESCE([[anonymous_author]], '')"); err != nil {
				return err
			}
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			c.AddIndex("idx_"+name+"_anonymous_author", false, "anonymous_author", "")
			if err := app.Save(c); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		for _, name := range anonymousWriterCollections {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			c.RemoveIndex("idx_" + name + "_anonymous_author")
			if err := app.Save(c); err != nil {
				return err
			}
			field := anonymousAuthorField(users)
			field.Name = anonymousWriterTemp
			keep := "CASE WHEN [[anonymous_author]] IN (SELECT [[id]] FROM {{users}}) THEN [[anonymous_author]] ELSE '' END"
			if err := retypeField(app, name, "anonymous_author", field, keep); err != nil {
				return err
			}
		}
		return nil
	})
}

// retypeField gives collection's field name the type of field (named
// anonymousWriterTemp until it takes name's place), its values carried over
// by the SQL expression value: the new field is added, filled, and takes
// the old one's name in the save that removes it, so the rules that name it
// stay valid throughout.
func retypeField(app core.App, collection, name string, field core.Field, value string) error {
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		return err
	}
	old := c.Fields.GetByName(name)
	if old == nil {
		return fmt.Errorf("%s has no field %s", collection, name)
	}
	c.Fields.Add(field)
	if err := app.Save(c); err != nil {
		return fmt.Errorf("adding %s.%s: %w", collection, anonymousWriterTemp, err)
	}
	_, err = app.DB().NewQuery("UPDATE {{" + collection + "}} SET [[" + anonymousWriterTemp + "]] = " + value).Execute()
	if err != nil {
		return fmt.Errorf("copying %s.%s: %w", collection, name, err)
	}
	if c, err = app.FindCollectionByNameOrId(collection); err != nil {
		return err
	}
	c.Fields.RemoveById(old.GetId())
	c.Fields.GetByName(anonymousWriterTemp).SetName(name)
	if err := app.Save(c); err != nil {
		return fmt.Errorf("retyping %s.%s: %w", collection, name, err)
	}
	return nil
}
