package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// bindWritableDataDir names the data dir, or its database file, when a
// command fails at bootstrap because this process may not write there (a
// dir after `chmod -R a-w`, another user's, a read-only mount). SQLite said
// only "unable to open database file (14)" or "attempt to write a readonly
// database (1544)", naming no path, until 2026-12-07. It looks only after
// a failure, so a working start pays nothing.
func bindWritableDataDir(app core.App) {
	app.OnBootstrap().Bind(&hook.Handler[*core.BootstrapEvent]{
		Func: func(e *core.BootstrapEvent) error {
			err := e.Next()
			if err == nil {
				return nil
			}
			if problem := unwritable(e.App.DataDir()); problem != nil {
				return fmt.Errorf("%w: let the user Madang runs as write to it, or give another --dir (the command failed with: %w)", problem, err)
			}
			return err
		},
		Priority: -2000, // around every other bootstrap hook, the serve lock's too
	})
}

// unwritable says why this process may not write the data dir dir or one
// of its SQLite files, or nil: a missing dir, or another failure, is for
// the command's own error to tell.
func unwritable(dir string) error {
	probe, err := os.CreateTemp(dir, ".madang-write-check-*")
	if err == nil {
		probe.Close()
		os.Remove(probe.Name())
	} else if cause, refused := writeRefused(err); refused {
		return fmt.Errorf("the data dir %s is not writable (%v)", dir, cause)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.db*")) // with their -wal and -shm
	for _, path := range files {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			f.Close()
		} else if cause, refused := writeRefused(err); refused {
			return fmt.Errorf("%s in the data dir is not writable (%v)", path, cause)
		}
	}
	return nil
}

// writeRefused tells whether err is the system refusing a write, and its
// cause without the path (permission denied, read-only file system).
func writeRefused(err error) (error, bool) {
	if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
		return nil, false
	}
	var path *fs.PathError
	if errors.As(err, &path) {
		return path.Err, true
	}
	return err, true
}
