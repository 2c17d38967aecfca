package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

// StrictBuiltins makes PocketBase's own commands on root refuse bad input
// as Madang's do, with one line and a non-zero exit: `superuser` without a
// known subcommand (cobra printed the help and exited 0), and `migrate`
// with a count that is not a number or arguments it ignored (`migrate down
// abc` read 0 and exited 0). Their good forms run as PocketBase wrote them.
// Until 2026-12-04 both exited 0. Call it once root has them (after
// app.Start's or main's AddCommand).
func StrictBuiltins(root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "superuser":
			c.SilenceUsage = true
			c.RunE = needsSubcommand
		case "migrate":
			run := c.RunE
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if err := migrateArgsError(cmd, args); err != nil {
					return err
				}
				return run(cmd, args)
			}
		}
	}
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
