package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/spf13/cobra"

	"madang/internal/filelock"
)

// LockFile is the file in the data dir that a serving Madang holds locked.
const LockFile = "madang.lock"

// serveLock is the locked file, kept open (and out of the garbage
// collector's reach, whose finalizer would close it) for the process's
// life: the lock ends with the process, or at the exec of a restart.
var serveLock struct {
	sync.Mutex
	file *os.File
}

// bindOneServer lets one `serve` at a time use a data dir: it takes an
// exclusive lock on LockFile first thing at bootstrap, before any hook
// starts work (after refusing bad serve flags: serveFlagsError). Until
// 2026-12-03 a second serve (a port in use, a restart loop, another
// --http) resumed the live server's AI jobs, sent them to the
// model server again and set them back to queued. The other commands run
// beside a server and take no lock.
func bindOneServer(app core.App, root *cobra.Command) {
	app.OnBootstrap().Bind(&hook.Handler[*core.BootstrapEvent]{
		Func: func(e *core.BootstrapEvent) error {
			cmd, args, err := root.Find(os.Args[1:])
			if err != nil || cmd.Name() != "serve" || cmd.Parent() != root {
				return e.Next()
			}
			if err := serveFlagsError(cmd, args); err != nil {
				return err
			}
			if err := lockDataDir(e.App.DataDir()); err != nil {
				return err
			}
			return e.Next()
		},
		Priority: -1000, // before every other bootstrap hook
	})
}

// lockDataDir takes the data dir's lock for this process, creating the dir
// as serve would, and writes the process id in the file for the next one's
// refusal. Taking it again in the same process is a no-op.
func lockDataDir(dir string) error {
	serveLock.Lock()
	defer serveLock.Unlock()
	if serveLock.file != nil {
		return nil
	}
	if err := os.MkdirAll(dir, os.ModePerm); err != nil {
		return fmt.Errorf("creating the data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening the lock file %s: %w", path, err)
	}
	held, err := filelock.TryLock(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("locking %s: %w", path, err)
	}
	if !held {
		pid, _ := os.ReadFile(path)
		f.Close()
		who := "another Madang process"
		if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
			who += fmt.Sprintf(" (pid %d)", n)
		}
		return fmt.Errorf("%s already serves the data dir %s: stop it first, or give this one another --dir (one process per data dir)", who, dir)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	serveLock.file = f
	return nil
}
