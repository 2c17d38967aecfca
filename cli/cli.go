// Package cli holds the operators' subcommands (admin, users, boards, demo, types).
// Each command works on the same data dir as `serve` (PocketBase's --dir flag),
// applies pending migrations first, and changes nothing when it fails.
package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"madang/internal/access"
)

// Register adds the Madang subcommands to root, prints first-run guidance
// when `serve` starts on a data dir without admins, and guards the data dir:
// the operators' commands need a community there, one serve at a time, and
// a dir the process may not write is named as such.
func Register(app core.App, root *cobra.Command) {
	root.AddCommand(Commands(app)...)
	root.SetFlagErrorFunc(flagError)
	bindFirstRunGuide(app, root)
	bindNewerDataDirWarning(app)
	bindExistingDataDir(app, root)
	bindOneServer(app, root)
	bindWritableDataDir(app)
}

// needsDataDir marks (in cobra's Annotations) the commands that work on
// an existing community only.
const needsDataDir = "madang.needsDataDir"

// bindExistingDataDir refuses to run the operators' commands (admin,
// users, boards, ai) on a dir that holds no community (no data.db), before
// PocketBase bootstraps and would create one: a mistyped --dir made a
// second, empty community, where an admin create or a ban "succeeded".
// Until 2026-12-03 only a missing dir was refused, and any existing folder
// (an empty one, a source tree, the parent of pb_data) got a new data.db.
// serve, demo, types, superuser and migrate still start a new one.
func bindExistingDataDir(app core.App, root *cobra.Command) {
	app.OnBootstrap().BindFunc(func(e *core.BootstrapEvent) error {
		if needsCommunity(root, os.Args[1:]) {
			if err := requireCommunity(e.App.DataDir()); err != nil {
				return err
			}
		}
		return e.Next()
	})
}

// needsCommunity tells whether the command args name (or one of its
// parents) works on an existing community only.
func needsCommunity(root *cobra.Command, args []string) bool {
	cmd, _, err := root.Find(args)
	if err != nil {
		return false
	}
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[needsDataDir] != "" {
			return true
		}
	}
	return false
}

// requireCommunity refuses a data dir without data.db, touching nothing.
func requireCommunity(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "data.db")); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no data dir at %s: check --dir (it holds no data.db; `%s serve` or `%s demo` starts a new one)",
			dir, commandName(), commandName())
	}
	return nil
}

// Commands builds the subcommands bound to app; tests run them directly.
func Commands(app core.App) []*cobra.Command {
	return []*cobra.Command{
		adminCommand(app),
		usersCommand(app),
		boardsCommand(app),
		aiCommand(app),
		demoCommand(app),
		typesCommand(app),
	}
}

// group makes a parent command whose children share the migrate-first step.
// Called without one of them, it fails: cobra would print the help and
// exit 0, and a script that mistyped `users unbna` would go on as if the
// user was unbanned.
func group(app core.App, use, short string, children ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:           use,
		Short:         short,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{needsDataDir: "yes"},
		RunE:          needsSubcommand,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return fmt.Errorf("applying migrations: %w", err)
			}
			access.SetDefaultActor(app, "cli") // the moderation log says who acted
			return nil
		},
	}
	for _, c := range children {
		c.SilenceUsage = true
		c.SilenceErrors = true
		run := c.RunE
		c.RunE = func(cmd *cobra.Command, args []string) error { return fieldsSpelledOut(run(cmd, args)) }
	}
	cmd.AddCommand(children...)
	return cmd
}

// needsSubcommand is the RunE of a parent command: called without one of
// its commands, or with one it does not have, it fails naming them.
func needsSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unknown command %q for %q; see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return fmt.Errorf("%q needs a command: %s (see %s --help)", cmd.CommandPath(), strings.Join(names, ", "), cmd.CommandPath())
}

// flagError words a flag's bad value, for every command under root, as
// Madang's own refusals are worded (`bad --read "all": use …`): cobra's
// was `invalid argument "abc" for "--limit" flag: strconv.ParseInt:
// parsing "abc": invalid syntax` until 2026-12-07. Other flag problems (an
// unknown flag, one without its value) keep cobra's words, and point to
// the help.
func flagError(cmd *cobra.Command, err error) error {
	var bad *pflag.InvalidValueError
	if !errors.As(err, &bad) {
		return fmt.Errorf("%w; see %s --help", err, cmd.CommandPath())
	}
	flag := bad.GetFlag()
	takes := "a value of type " + flag.Value.Type()
	switch flag.Value.Type() {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		takes = "a whole number, such as " + flag.DefValue
	case "float32", "float64":
		takes = "a number, such as " + flag.DefValue
	case "bool":
		takes = "true or false, or the flag alone for true"
	case "duration":
		takes = "a duration, such as 30s or 5m"
	}
	return fmt.Errorf("bad --%s %q: it takes %s; see %s --help", flag.Name, bad.GetValue(), takes, cmd.CommandPath())
}

// fieldsSpelledOut writes the field problems inside err as sentences:
// ozzo-validation ends their list with a period of its own, after the
// messages' ("name: Invalid value format..").
func fieldsSpelledOut(err error) error {
	var fields validation.Errors
	if !errors.As(err, &fields) {
		return err
	}
	var sentences []string
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		sentence := name + ": " + fields[name].Error()
		if last, _ := utf8.DecodeLastRuneInString(sentence); unicode.IsLetter(last) || unicode.IsDigit(last) {
			sentence += "."
		}
		sentences = append(sentences, sentence)
	}
	return errors.New(strings.Replace(err.Error(), fields.Error(), strings.Join(sentences, " "), 1))
}

// findUser finds a user by email, or by name as a convenience (both as
// their unique indexes compare them: see access.FindByName).
func findUser(app core.App, identity string) (*core.Record, error) {
	if user, err := app.FindAuthRecordByEmail("users", identity); err == nil {
		return user, nil
	}
	user, err := access.FindByName(app, "users", identity)
	if err != nil {
		return nil, fmt.Errorf("no user with email or name %q", identity)
	}
	return user, nil
}

// findBoard finds a board by id or by name (see access.FindByName).
func findBoard(app core.App, nameOrID string) (*core.Record, error) {
	if board, err := app.FindRecordById("boards", nameOrID); err == nil {
		return board, nil
	}
	board, err := access.FindByName(app, "boards", nameOrID)
	if err != nil {
		return nil, fmt.Errorf("no board with name or id %q", nameOrID)
	}
	return board, nil
}

var dateLayouts = []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}

// parseDate reads a date as an operator types it; dates without a zone are UTC.
func parseDate(s string) (time.Time, error) {
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q: use YYYY-MM-DD, YYYY-MM-DD HH:MM or RFC 3339 (UTC unless a zone is given)", s)
}
