package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/osutils"
	"github.com/pocketbase/pocketbase/ui"
	"github.com/spf13/cobra"
)

// bindFirstRunGuide tells a newcomer, next to PocketBase's superuser link,
// how to get an in-app admin and a demo community on an empty data dir, and
// gives that link's command line the data dir too (firstSuperuserGuide).
func bindFirstRunGuide(app core.App, root *cobra.Command) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		dir := dirFlag(e.App.DataDir(), defaultDataDir(root))
		admins, err := e.App.CountRecords("users")
		if err == nil && admins == 0 {
			fmt.Print(firstRunGuide(commandName(), e.App.DataDir(), dir))
		}
		if e.InstallerFunc != nil {
			e.InstallerFunc = firstSuperuserGuide(commandName(), dir)
		}
		return e.Next()
	})
}

// firstRunGuide is the text bindFirstRunGuide prints for a server on
// dataDir, with the commands as exe runs them on it (dirFlag). Until
// 2026-12-04 they never named the dir, and `./madang demo` beside `serve
// --dir=/var/lib/madang` filled a second community in the default dir.
func firstRunGuide(exe, dataDir, dirFlag string) string {
	return fmt.Sprintf("\nMadang: this data dir (%s) has no users yet.\n"+
		"  - create an in-app admin:       %s admin create EMAIL PASSWORD --name NAME%s\n"+
		"  - and/or load a demo community: %s demo%s\n\n", dataDir, exe, dirFlag, exe, dirFlag)
}

// dirFlag is " --dir=DIR" for commands that must act on dataDir, empty
// when it is defaultDir, where the CLI looks without --dir.
func dirFlag(dataDir, defaultDir string) string {
	if sameDir(dataDir, defaultDir) {
		return ""
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	return " --dir=" + shellQuoted(abs)
}

// firstSuperuserGuide is PocketBase's installer (apis.DefaultInstallerFunc:
// it opens the dashboard's page that creates the first superuser and
// prints its link) with the command line it offers instead run as exe on
// the server's dir (dirFlag): until 2026-12-07 that line was PocketBase's
// `superuser upsert EMAIL PASS` without --dir, which created the superuser
// in another data dir.
func firstSuperuserGuide(exe, dirFlag string) func(core.App, *core.Record, string) error {
	command := exe + " superuser upsert EMAIL PASS" + dirFlag
	return func(app core.App, systemSuperuser *core.Record, baseURL string) error {
		if ui.DistDirFS == nil {
			fmt.Printf("You can create your first superuser by running: %s\n", command)
			return nil
		}
		token, err := systemSuperuser.NewStaticAuthToken(30 * time.Minute)
		if err != nil {
			return err
		}
		url := strings.TrimRight(baseURL, "/") + "/_/#/pbinstall/" + token
		_ = osutils.LaunchURL(url) // the link below is printed either way
		fmt.Printf("\n(!) Launch the URL below in the browser if it hasn't been open already to create your first superuser account:\n"+
			"%s\n(you can also create your first superuser by running: %s)\n\n", url, command)
		return nil
	}
}

// defaultDataDir is the --dir the CLI takes when none is given:
// PocketBase's default, pb_data next to the binary (in the working
// directory under `go run`).
func defaultDataDir(root *cobra.Command) string {
	if flag := root.PersistentFlags().Lookup("dir"); flag != nil {
		return flag.DefValue
	}
	return ""
}

func sameDir(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// shellQuoted is s as a POSIX shell reads it back: as it is when it holds
// only characters no shell treats specially, else in single quotes.
func shellQuoted(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
