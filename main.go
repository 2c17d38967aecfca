// Command madang is a community backend (boards, chat, AI jobs) in one binary:
// PocketBase plus Madang's schema, hooks, subcommands and web client.
package main

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/osutils"

	"madang/cli"
	"madang/internal/madang"
	"madang/internal/sqlite"
	_ "madang/pb_migrations"
)

//go:embed all:pb_public
var embedded embed.FS

func main() {
	// PocketBase's SQLite, with compiled statements kept per connection,
	// and the connections kept between requests
	app := pocketbase.NewWithConfig(pocketbase.Config{DBConnect: sqlite.Connect,
		DataMaxIdleConns: sqlite.DataMaxIdleConns})

	var publicDir string
	app.RootCmd.PersistentFlags().StringVar(&publicDir, "publicDir", "",
		"serve the web client from this folder instead of the copy built into the binary (for development)")

	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		TemplateLang: migratecmd.TemplateLangGo,
		Dir:          "pb_migrations",
		Automigrate:  osutils.IsProbablyGoRun(),
	})
	madang.Bind(app)
	cli.Register(app, app.RootCmd)

	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Func: func(e *core.ServeEvent) error {
			if !e.Router.HasRoute(http.MethodGet, "/{path...}") {
				client := webClient(publicDir)
				e.Router.GET("/{path...}", clientPathsOnly(client, apis.Static(client, true)))
			}
			return e.Next()
		},
		Priority: 999, // after every other route, so the API always wins
	})

	// what app.Start does (add PocketBase's superuser and serve commands,
	// then execute), with its built-in commands refusing bad input as
	// Madang's do
	app.RootCmd.AddCommand(cmd.NewSuperuserCommand(app), cmd.NewServeCommand(app, true))
	cli.StrictBuiltins(app, app.RootCmd)
	if err := app.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// clientPathsOnly answers a path under /api/ that no route takes with
// PocketBase's JSON 404, as for every other method, and a missing file
// under the client's asset folders (/css/, /js/, /vendor/) with a 404, and
// leaves the rest to handler: the web client's fallback to index.html is
// for its own paths. Until 2026-12-03 GET /api/nope or
// /api/collections/posts/records/ (a trailing slash) answered 200 with the
// client's page, and until 2026-12-04 so did /js/missing.js, which a
// browser then refused as a script of type text/html.
func clientPathsOnly(client fs.FS, handler func(*core.RequestEvent) error) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		path := e.Request.URL.Path
		if path == "/api" || strings.HasPrefix(path, "/api/") {
			return e.NotFoundError("", nil)
		}
		for _, assets := range []string{"/css/", "/js/", "/vendor/"} {
			if strings.HasPrefix(path, assets) {
				if _, err := fs.Stat(client, strings.TrimPrefix(path, "/")); err != nil {
					return e.NotFoundError("", nil)
				}
			}
		}
		return handler(e)
	}
}

func webClient(publicDir string) fs.FS {
	if publicDir != "" {
		return os.DirFS(publicDir)
	}
	sub, err := fs.Sub(embedded, "pb_public")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	return sub
}
