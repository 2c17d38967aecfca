package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pocketbase/pocketbase/core"
)

// bindFirstRunGuide tells a newcomer, next to PocketBase's superuser link,
// how to get an in-app admin and a demo community on an empty data dir.
func bindFirstRunGuide(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		admins, err := e.App.CountRecords("users")
		if err == nil && admins == 0 {
			exe := filepath.Base(os.Args[0])
			fmt.Printf("\nMadang: this data dir (%s) has no users yet.\n"+
				"  - create an in-app admin:   %s admin create EMAIL PASSWORD\n"+
				"  - or load a demo community: %s demo\n\n", e.App.DataDir(), exe, exe)
		}
		return e.Next()
	})
}
