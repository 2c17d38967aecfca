//go:build unix

package main

import (
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestUnwritableDataDir: on a data dir after `chmod -R a-w`, serve and the
// CLI exit 1 naming the dir as not writable, and change nothing; until
// 2026-12-07 they said only SQLite's "attempt to write a readonly database
// (1544)" or "unable to open database file (14)", or the serve lock's
// "permission denied" on madang.lock.
//
// Root writes whatever a file's mode says, so run as root this test gives
// the dir to nobody (uid 65534) and runs the commands as nobody, from a
// copy of this test binary that nobody may run.
func TestUnwritableDataDir(t *testing.T) {
	base, err := os.MkdirTemp("", "madang-unwritable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(path, 0o755) // for RemoveAll, when not root
			}
			return nil
		})
		os.RemoveAll(base)
	})
	dir := filepath.Join(base, "pb_data")
	if out, err := madangCmd("migrate", "up", "--dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("migrate up: %v %s", err, out)
	}

	command := madangCmd
	if os.Geteuid() == 0 {
		exe, _ := os.Executable()
		copied := filepath.Join(base, "madang.test")
		if err := copyFile(exe, copied); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, 65534, 65534)
		}); err != nil {
			t.Fatal(err)
		}
		command = func(args ...string) *exec.Cmd {
			cmd := exec.Command(copied, args...)
			cmd.Env = append(os.Environ(), "MADANG_AS_MAIN=1")
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			return cmd
		}
		if out, err := command("--help").CombinedOutput(); err != nil {
			t.Skipf("running as root, and this test binary cannot run as nobody (uid 65534), who is needed to find writes refused: %v %.200s", err, out)
		}
	}
	// chmod -R a-w
	if err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chmod(path, info.Mode().Perm()&^0o222)
	}); err != nil {
		t.Fatal(err)
	}
	before := listing(t, dir)

	want := "Error: the data dir " + dir + " is not writable (permission denied): let the user Madang runs as write to it, or give another --dir (the command failed with: "
	for _, args := range [][]string{
		{"users", "list"},
		{"boards", "create", "news"},
		{"superuser", "upsert", "root@example.com", "a-long-password"},
		{"serve", "--http", freePort(t)},
	} {
		var stderr strings.Builder
		cmd := command(append(args, "--dir", dir)...)
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		err := cmd.Run()
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
			t.Errorf("%v: exit %v, want 1", args, err)
		}
		if msg := strings.TrimSpace(stderr.String()); !strings.HasPrefix(msg, want) || strings.Contains(msg, "\n") {
			t.Errorf("%v: stderr %q, want one line starting %q", args, msg, want)
		}
	}
	if after := listing(t, dir); after != before {
		t.Errorf("the data dir changed:\n%s\n->\n%s", before, after)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// listing is dir's files with their sizes and times, one a line.
func listing(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		lines = append(lines, path+" "+info.Mode().String()+" "+info.ModTime().String()+" "+strconv.FormatInt(info.Size(), 10))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
