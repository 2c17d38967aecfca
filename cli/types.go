package cli

import (
	"fmt"
	"os"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"madang/internal/tstypes"
)

// typesCommand is `madang types [--out FILE]`: the TypeScript definitions
// of the data dir's collections (after migrating it) and of Madang's custom
// routes, for the web client's JSDoc and for TypeScript clients.
func typesCommand(app core.App) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:          "types",
		Short:        "Write TypeScript definitions of the collections and custom routes",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return fmt.Errorf("applying migrations: %w", err)
			}
			defs, err := tstypes.Generate(app)
			if err != nil {
				return err
			}
			if out == "" {
				_, err = cmd.OutOrStdout().Write(defs)
				return err
			}
			if err := os.WriteFile(out, defs, 0o644); err != nil {
				return fmt.Errorf("writing the definitions: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s (%d bytes).\n", out, len(defs))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of standard output (the web client's copy: "+tstypes.DefaultOut+")")
	return cmd
}
