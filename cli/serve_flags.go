package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// serveFlagsError refuses serve's flags that PocketBase and main.go would
// take without a word: a negative --queryTimeout (PocketBase reads any
// value below 1 as its default, 30 s) and a --publicDir that is no folder
// (every page of the web client was then a 404). Until 2026-12-07 serve
// started with both. It runs at bootstrap, before the data dir is made or
// opened, where cobra has not parsed the flags yet: args are read here into
// a copy of them.
func serveFlagsError(serve *cobra.Command, args []string) error {
	flags := typedFlags(serve, args)
	if f := flags.Lookup("queryTimeout"); f != nil && f.Changed {
		if n, err := strconv.Atoi(f.Value.String()); err == nil && n < 0 {
			return fmt.Errorf("bad --queryTimeout %d: it takes the seconds a query may run, 1 or more (leave it out for PocketBase's 30)", n)
		}
	}
	if f := flags.Lookup("publicDir"); f != nil && f.Value.String() != "" {
		dir := f.Value.String()
		info, err := os.Stat(dir)
		problem := ""
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problem = "no such folder"
		case err != nil:
			problem = err.Error()
		case !info.IsDir():
			problem = "a file, not a folder"
		}
		if problem != "" {
			return fmt.Errorf("bad --publicDir %s: %s; give the web client's folder (such as ./pb_public), or leave the flag out to serve the copy built into the binary", dir, problem)
		}
	}
	return nil
}

// typedFlags reads args as cmd will, into a copy of its flags (its own and
// inherited ones) that holds their values as typed. A value cmd's own
// flags cannot take is left for cobra to refuse; cmd's own flags are not
// parsed twice, which would give a list flag (serve --origins) its values
// twice.
func typedFlags(cmd *cobra.Command, args []string) *pflag.FlagSet {
	typed := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
	typed.SetOutput(io.Discard)
	typed.ParseErrorsAllowlist.UnknownFlags = true // -h, which cobra adds later
	copyFlag := func(f *pflag.Flag) {
		if typed.Lookup(f.Name) == nil {
			typed.StringP(f.Name, f.Shorthand, "", "")
			typed.Lookup(f.Name).NoOptDefVal = f.NoOptDefVal // a bool's --dev takes no value
		}
	}
	cmd.LocalFlags().VisitAll(copyFlag)
	cmd.InheritedFlags().VisitAll(copyFlag)
	typed.Parse(args)
	return typed
}
