package testapp

import (
	"bytes"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"madang/cli"
)

// RunCLI executes one madang subcommand against app, in process, as
// `madang ARGS...`, and returns what it printed (stdout and stderr).
func RunCLI(t testing.TB, app core.App, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "madang", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(cli.Commands(app)...)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}
