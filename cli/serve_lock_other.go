//go:build !unix

package cli

import "os"

// tryLock does not lock where flock does not exist (Madang ships for
// Linux): one process per data dir is then the operator's to keep.
func tryLock(*os.File) (bool, error) { return true, nil }
