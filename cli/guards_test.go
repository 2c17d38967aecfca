package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// TestCommunityGuard: the commands that work on an existing community
// refuse a dir without data.db (a missing dir, an empty one, a source
// tree), naming it and creating nothing; those that start a community
// (demo, serve, migrate…) and a real data dir pass.
func TestCommunityGuard(t *testing.T) {
	root := &cobra.Command{Use: "madang"}
	root.AddCommand(Commands(core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()}))...)
	for _, name := range []string{"serve", "migrate", "superuser"} {
		root.AddCommand(&cobra.Command{Use: name})
	}
	for _, args := range [][]string{
		{"admin", "create", "q@example.com", "secret-pass-1"},
		{"users", "list"},
		{"users", "ban", "alice"},
		{"boards", "create", "x"},
		{"ai", "list"},
		{"ai", "jobs"},
	} {
		if !needsCommunity(root, args) {
			t.Errorf("%v should need an existing community", args)
		}
	}
	for _, args := range [][]string{{"demo"}, {"types"}, {"serve"}, {"migrate", "up"}, {"superuser", "upsert"}, {}} {
		if needsCommunity(root, args) {
			t.Errorf("%v may start a new community", args)
		}
	}

	empty := t.TempDir()
	tree := t.TempDir() // a source tree, say
	if err := os.WriteFile(filepath.Join(tree, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{empty, tree, filepath.Join(empty, "typo")} {
		before, _ := os.ReadDir(dir)
		err := requireCommunity(dir)
		want := "no data dir at " + dir + ": check --dir (it holds no data.db; `"
		if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), " demo` starts a new one)") {
			t.Errorf("%s: %v, want %q…", dir, err, want)
		}
		if after, _ := os.ReadDir(dir); !slices.EqualFunc(before, after, func(a, b os.DirEntry) bool { return a.Name() == b.Name() }) {
			t.Errorf("%s changed: %v -> %v", dir, before, after)
		}
	}
	community := t.TempDir()
	if err := os.WriteFile(filepath.Join(community, "data.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := requireCommunity(community); err != nil {
		t.Errorf("a data dir with data.db: %v", err)
	}
}
