package cli

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// bindNewerDataDirWarning has serve say, on its standard error and in the
// log, when the data dir was migrated by a newer Madang: migrations applied
// there that this binary does not have, dated after its own last one. The
// server then runs on a schema and rules it does not know (see the README's
// Rolling back); until 2026-12-07 it started without a word.
func bindNewerDataDirWarning(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if unknown := newerMigrations(e.App); len(unknown) > 0 {
			msg := fmt.Sprintf("Madang: this data dir (%s) was migrated by a newer Madang: %d of its migrations are not in this binary (%s). "+
				"This server runs on a schema and rules it does not know: stop it, and run the newer binary, or with it `madang migrate down` to this binary's last migration, %s",
				e.App.DataDir(), len(unknown), strings.Join(unknown, ", "), lastAppMigration())
			fmt.Fprintln(os.Stderr, msg)
			e.App.Logger().Warn(msg, slog.Any("migrations", unknown))
		}
		return e.Next()
	})
}

// newerMigrations are the applied migrations this binary lacks whose names
// sort after its own last one (PocketBase names them by their time).
func newerMigrations(app core.App) []string {
	last := lastAppMigration()
	var applied []string
	err := app.DB().Select("file").From("_migrations").
		Where(dbx.NewExp("file > {:last}", dbx.Params{"last": last})).OrderBy("file").Column(&applied)
	if err != nil {
		return nil // a dir PocketBase could migrate has the table
	}
	known := knownMigrations()
	var unknown []string
	for _, f := range applied {
		if !slices.Contains(known, f) {
			unknown = append(unknown, f)
		}
	}
	return unknown
}

// knownMigrations are the names of this binary's migrations, PocketBase's
// own and Madang's.
func knownMigrations() []string {
	var names []string
	for _, list := range []core.MigrationsList{core.SystemMigrations, core.AppMigrations} {
		for _, m := range list.Items() {
			names = append(names, m.File)
		}
	}
	return names
}

// lastAppMigration is the name of this binary's newest migration.
func lastAppMigration() string {
	last := ""
	for _, m := range core.AppMigrations.Items() {
		last = max(last, m.File)
	}
	return last
}
