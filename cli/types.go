package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"madang/internal/tstypes"
)

// typesCommand is `madang types [--out FILE] [--sdk-import PATH]`: the
// TypeScript definitions of the data dir's collections (after migrating it)
// and of Madang's custom routes, for the web client's JSDoc and for
// TypeScript clients.
func typesCommand(app core.App) *cobra.Command {
	var out, sdk string
	cmd := &cobra.Command{
		Use:          "types",
		Short:        "Write TypeScript definitions of the collections and custom routes",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return fmt.Errorf("applying migrations: %w", err)
			}
			if sdk == "" {
				sdk = sdkImport(out)
			}
			defs, err := tstypes.Generate(app, sdk)
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
	cmd.Flags().StringVar(&sdk, "sdk-import", "", "import the PocketBase JS SDK's types from this module (default \""+tstypes.SDKPackage+
		"\", the npm package; \""+tstypes.WebClientSDK+"\" for a file written into a pb_public/js folder)")
	return cmd
}

// sdkImport is where definitions written to out import the SDK from when
// --sdk-import is not given: the npm package, as a TypeScript client
// imports it, except in the web client's folder, pb_public/js, whose
// vendored build sits at ../vendor — so the command the committed copy's
// header names (and jsconfig.json's) still writes it. Until 2026-12-07 every
// output imported the vendored build, which no file outside pb_public/js
// resolves.
func sdkImport(out string) string {
	if out == "" {
		return tstypes.SDKPackage
	}
	abs, err := filepath.Abs(out)
	if err == nil && strings.HasSuffix(filepath.ToSlash(filepath.Dir(abs)), "/pb_public/js") {
		return tstypes.WebClientSDK
	}
	return tstypes.SDKPackage
}
