package txn

import "sync/atomic"

// CountYields counts handOn's yields until the returned restore runs.
func CountYields() (count func() int, restore func()) {
	var n atomic.Int64
	old := yield
	yield = func() { n.Add(1); old() }
	return func() int { return int(n.Load()) }, func() { yield = old }
}
