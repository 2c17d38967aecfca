package migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/dbutils"
)

// An email address is one account whatever its case: the email unique
// index of users and superusers compares COLLATE NOCASE, which PocketBase's
// look-ups by email (sign-in, reset, verification, email change) follow,
// and stored addresses are lowercased as access.Emails stores new ones.
// Until 2026-12-03 alice@x.io and ALICE@x.io could be two accounts; if a
// data dir holds such a pair the migration changes nothing and stops,
// naming them: which account keeps the address is the operator's call.
func init() {
	m.Register(func(app core.App) error {
		for _, name := range []string{"users", core.CollectionNameSuperusers} {
			if err := emailsIgnoreCase(app, name, true); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, name := range []string{"users", core.CollectionNameSuperusers} {
			if err := emailsIgnoreCase(app, name, false); err != nil {
				return err
			}
		}
		return nil
	})
}

// emailsIgnoreCase makes the email unique index of collection NOCASE (or,
// with nocase false, plain again), lowercasing the stored addresses first.
func emailsIgnoreCase(app core.App, name string, nocase bool) error {
	collection, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		return err
	}
	index, ok := dbutils.FindSingleColumnUniqueIndex(collection.Indexes, core.FieldNameEmail)
	if !ok {
		return fmt.Errorf("%s has no unique email index", name)
	}
	collate := ""
	if nocase {
		if err := lowercaseEmails(app, name); err != nil {
			return err
		}
		collate = " COLLATE NOCASE"
	}
	collection.AddIndex(index.IndexName, true, "`email`"+collate, "`email` != ''")
	return app.Save(collection)
}

// lowercaseEmails lowercases the ASCII letters of the addresses in table
// (as SQLite's lower and NOCASE do), or fails naming the accounts whose
// addresses differ only in case.
func lowercaseEmails(app core.App, table string) error {
	var clashes []struct {
		Email string `db:"email"`
		Held  string `db:"held"`
	}
	err := app.DB().NewQuery("SELECT lower([[email]]) AS email, group_concat([[id]] || ' (' || [[email]] || ')', ', ') AS held " +
		"FROM {{" + table + "}} WHERE [[email]] != '' GROUP BY lower([[email]]) HAVING count(*) > 1 ORDER BY 1").All(&clashes)
	if err != nil {
		return fmt.Errorf("looking for %s emails that differ only in case: %w", table, err)
	}
	if len(clashes) > 0 {
		var held []string
		for _, c := range clashes {
			held = append(held, c.Email+" is held by "+c.Held)
		}
		return fmt.Errorf("%s: %d email addresses belong to more than one account when case is ignored (%s). "+
			"Keep one account per address: give the others another email (in the dashboard, on the previous version, "+
			"or: sqlite3 data.db \"UPDATE %s SET email = 'new@address' WHERE id = 'ID'\") or delete them, then start Madang again",
			table, len(clashes), strings.Join(held, "; "), table)
	}
	_, err = app.DB().Update(table, dbx.Params{"email": dbx.NewExp("lower([[email]])")},
		dbx.NewExp("[[email]] != lower([[email]])")).Execute()
	if err != nil {
		return fmt.Errorf("lowercasing %s emails: %w", table, err)
	}
	return nil
}
