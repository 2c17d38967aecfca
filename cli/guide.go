package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// bindFirstRunGuide tells a newcomer, next to PocketBase's superuser link,
// how to get an in-app admin and a demo community on an empty data dir.
func bindFirstRunGuide(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		admins, err := e.App.CountRecords("users")
		if err == nil && admins == 0 {
			exe := commandName()
			fmt.Printf("\nMadang: this data dir (%s) has no users yet.\n"+
				"  - create an in-app admin:       %s admin create EMAIL PASSWORD --name NAME\n"+
				"  - and/or load a demo community: %s demo\n\n", e.App.DataDir(), exe, exe)
		}
		return e.Next()
	})
}

// commandName is how the operator runs this binary again from where they
// are: "./madang" in the directory that holds it (what the README shows),
// "madang" when it was found on the PATH, else the path they typed. `go run`
// builds into a temporary directory, and the README's build is ./madang.
func commandName() string {
	arg := os.Args[0]
	base := filepath.Base(arg)
	if !strings.ContainsRune(arg, filepath.Separator) {
		return base
	}
	dir, err := filepath.Abs(filepath.Dir(arg))
	wd, wdErr := os.Getwd()
	if err == nil && wdErr == nil && dir == wd {
		return "." + string(filepath.Separator) + base
	}
	if strings.Contains(arg, "go-build") {
		return "./madang"
	}
	return arg
}
