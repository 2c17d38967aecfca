// Package filelock holds exclusive locks on files of a data dir that the
// kernel drops when the holding process ends, however it ends (kill -9
// included): one serving process per data dir (cli), one training per
// model across the server and the operators' CLI (ai).
package filelock

import (
	"fmt"
	"os"
	"path/filepath"
)

// Hold takes the exclusive lock of the file at path without waiting,
// creating the file and its folder if needed. held is false when another
// process, or another Hold in this one, has it. release unlocks and closes
// the file; it is nil unless held.
func Hold(path string) (release func(), held bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), os.ModePerm); err != nil {
		return nil, false, fmt.Errorf("creating the folder of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("opening the lock file %s: %w", path, err)
	}
	held, err = TryLock(f)
	if err != nil || !held {
		f.Close()
		if err != nil {
			return nil, false, fmt.Errorf("locking %s: %w", path, err)
		}
		return nil, false, nil
	}
	// closing the file drops the lock: the kernel's, as at the process's end
	return func() { f.Close() }, true, nil
}
