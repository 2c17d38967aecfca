package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"madang/internal/filelock"
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

// TestServeLock: the data dir's lock refuses a second holder with the
// first one's pid and the dir, and is taken once the first lets go.
func TestServeLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, LockFile)
	other, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if held, err := filelock.TryLock(other); !held || err != nil {
		t.Fatalf("first lock: %v %v", held, err)
	}
	other.WriteString("4242\n")

	err = lockDataDir(dir)
	want := "another Madang process (pid 4242) already serves the data dir " + dir + ": stop it first"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("second lock: %v, want %q…", err, want)
	}
	if serveLock.file != nil {
		t.Fatal("a refused lock was kept")
	}

	other.Close() // the first process ends
	if err := lockDataDir(dir); err != nil {
		t.Fatalf("lock after the first let go: %v", err)
	}
	t.Cleanup(func() {
		serveLock.file.Close()
		serveLock.file = nil
	})
	if pid, _ := os.ReadFile(path); strings.TrimSpace(string(pid)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want this pid", pid)
	}
	if err := lockDataDir(dir); err != nil {
		t.Errorf("taking it again in the same process: %v", err)
	}
}
