package cli

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// StrictBuiltins makes PocketBase's own commands on root refuse bad input
// as Madang's do, with one line and a non-zero exit: `superuser` without a
// known subcommand (cobra printed the help and exited 0), and `migrate`
// with a count that is not a number or arguments it ignored (`migrate down
// abc` read 0 and exited 0). Their good forms run as PocketBase wrote them.
// Until 2026-12-04 both exited 0. `superuser delete` of an email no
// superuser has fails naming it (until 2026-12-07 it said so in yellow and
// exited 0, so a script's typo passed for a removed account). `migrate down`
// also reverts Madang's migrations only, never beside a server
// (revertingMadangOnly). Call it once root has them (after app.Start's or
// main's AddCommand).
func StrictBuiltins(app core.App, root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "superuser":
			c.SilenceUsage = true
			c.RunE = needsSubcommand
			for _, sub := range c.Commands() {
				if sub.Name() == "delete" {
					run := sub.RunE
					sub.RunE = func(cmd *cobra.Command, args []string) error {
						if err := superuserMissing(app, args); err != nil {
							return err
						}
						return run(cmd, args)
					}
				}
			}
		case "migrate":
			run := c.RunE
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if err := migrateArgsError(cmd, args); err != nil {
					return err
				}
				if len(args) > 0 && args[0] == "down" {
					if err := revertingMadangOnly(app, cmd, args); err != nil {
						return err
					}
				}
				return run(cmd, args)
			}
		}
	}
}

// superuserMissing refuses deleting a superuser that does not exist. An
// email of the wrong form is PocketBase's delete's to refuse, in its words.
func superuserMissing(app core.App, args []string) error {
	if len(args) == 0 || is.EmailFormat.Validate(args[0]) != nil {
		return nil
	}
	_, err := app.FindAuthRecordByEmail(core.CollectionNameSuperusers, args[0])
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("no superuser with email %q: nothing was deleted", args[0])
	}
	return nil // found, or PocketBase's lookup fails again and says why
}

// migrateArgsError refuses what PocketBase's migrate reads wrongly or
// ignores: `down` takes at most one count, a whole number other than 0 (a
// negative one reverts every migration, as PocketBase documents), and
// `up` and `history-sync` take nothing. `create` and `collections` are
// PocketBase's to check.
func migrateArgsError(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	path := cmd.CommandPath() + " " + args[0]
	switch args[0] {
	case "down":
		if len(args) > 2 {
			return fmt.Errorf("%q takes one count, got %d arguments; see %s --help", path, len(args)-1, cmd.CommandPath())
		}
		if len(args) == 2 {
			if n, err := strconv.Atoi(args[1]); err != nil || n == 0 {
				return fmt.Errorf("bad count %q for %q: give how many of the last applied migrations to revert, such as 1", args[1], path)
			}
		}
	case "up", "history-sync":
		if len(args) > 1 {
			return fmt.Errorf("%q takes no arguments, got %q; see %s --help", path, args[1], cmd.CommandPath())
		}
	}
	return nil
}

// revertingMadangOnly refuses a `migrate down` that would revert one of
// PocketBase's own migrations, and one beside a running server. PocketBase
// reverts the last applied migrations of its own and the app's alike: until
// 2026-12-07 `migrate down 100` on a dir with 55 applied reverted Madang's,
// then PocketBase's base schema (users, settings, logs), failed half-way
// through and left a data dir that no server could start; and a server
// serving the dir meanwhile kept writing to tables that were going away.
// The data dir's serve lock is held until the command ends, so no server
// starts during it either.
func revertingMadangOnly(app core.App, cmd *cobra.Command, args []string) error {
	if err := lockDataDir(app.DataDir()); err != nil {
		return fmt.Errorf("%w; migrate down changes the schema under it", err)
	}
	count := 1 // PocketBase's reading of no count; a negative one is all
	if len(args) == 2 {
		count, _ = strconv.Atoi(args[1]) // checked by migrateArgsError
	}
	// the migrations PocketBase would revert, in its order (newest first)
	var names []any
	for _, name := range knownMigrations() {
		names = append(names, name)
	}
	var applied []string
	err := app.DB().Select("file").From("_migrations").
		Where(dbx.Not(dbx.HashExp{"applied": nil})).
		AndWhere(dbx.HashExp{"file": names}).
		OrderBy("substr(applied||'0000000000000000', 0, 17) DESC").
		AndOrderBy("file DESC").
		Column(&applied)
	if err != nil {
		return fmt.Errorf("reading the applied migrations: %w", err)
	}
	madang := 0
	for _, file := range applied {
		if !slices.ContainsFunc(core.AppMigrations.Items(), func(m *core.Migration) bool { return m.File == file }) {
			break
		}
		madang++
	}
	if count >= 0 && count <= madang {
		return nil
	}
	asked := "every applied migration"
	if count >= 0 {
		asked = fmt.Sprintf("the last %d applied migrations", count)
	}
	if madang == 0 {
		return fmt.Errorf("%q would revert %s, and the last one applied is PocketBase's own (its base schema: users, settings, logs), which no data dir can do without: there is nothing of Madang's to revert",
			cmd.CommandPath()+" "+args[0], asked)
	}
	return fmt.Errorf("%q would revert %s, past Madang's into PocketBase's own (its base schema: users, settings, logs), which no data dir can do without: give at most %d, the Madang migrations applied last",
		cmd.CommandPath()+" "+args[0], asked, madang)
}
