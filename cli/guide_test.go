package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
)

// TestFirstRunGuide: on the dir the CLI takes by default the guide's
// commands are as the README shows them; on any other they name it, quoted
// for a shell when needed, so pasting them works on the server's community
// (until 2026-12-04 `./madang demo` filled a second one in the default dir).
func TestFirstRunGuide(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dataDir, defaultDir, want string }{
		{"/opt/madang/pb_data", "/opt/madang/pb_data", "\nMadang: this data dir (/opt/madang/pb_data) has no users yet.\n" +
			"  - create an in-app admin:       ./madang admin create EMAIL PASSWORD --name NAME\n" +
			"  - and/or load a demo community: ./madang demo\n\n"},
		// the same dir, spelt relative to the working directory
		{"pb_data", filepath.Join(wd, "pb_data"), "\nMadang: this data dir (pb_data) has no users yet.\n" +
			"  - create an in-app admin:       ./madang admin create EMAIL PASSWORD --name NAME\n" +
			"  - and/or load a demo community: ./madang demo\n\n"},
		{"/var/lib/madang", "/opt/madang/pb_data", "\nMadang: this data dir (/var/lib/madang) has no users yet.\n" +
			"  - create an in-app admin:       ./madang admin create EMAIL PASSWORD --name NAME --dir=/var/lib/madang\n" +
			"  - and/or load a demo community: ./madang demo --dir=/var/lib/madang\n\n"},
		// a relative dir is named absolute, to paste from anywhere
		{"data", "/opt/madang/pb_data", "\nMadang: this data dir (data) has no users yet.\n" +
			"  - create an in-app admin:       ./madang admin create EMAIL PASSWORD --name NAME --dir=" + filepath.Join(wd, "data") + "\n" +
			"  - and/or load a demo community: ./madang demo --dir=" + filepath.Join(wd, "data") + "\n\n"},
		{"/srv/우리 동네's data", "/opt/madang/pb_data", "\nMadang: this data dir (/srv/우리 동네's data) has no users yet.\n" +
			`  - create an in-app admin:       ./madang admin create EMAIL PASSWORD --name NAME --dir='/srv/우리 동네'\''s data'` + "\n" +
			`  - and/or load a demo community: ./madang demo --dir='/srv/우리 동네'\''s data'` + "\n\n"},
	} {
		if got := firstRunGuide("./madang", c.dataDir, dirFlag(c.dataDir, c.defaultDir)); got != c.want {
			t.Errorf("%s (default %s):\n%s\nwant:\n%s", c.dataDir, c.defaultDir, got, c.want)
		}
	}

	root := &cobra.Command{Use: "madang"}
	if got := defaultDataDir(root); got != "" {
		t.Errorf("default dir without the flag: %q", got)
	}
	root.PersistentFlags().String("dir", "/opt/madang/pb_data", "")
	if got := defaultDataDir(root); got != "/opt/madang/pb_data" {
		t.Errorf("default dir: %q", got)
	}
}
