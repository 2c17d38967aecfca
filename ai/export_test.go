package ai

import (
	"testing"
	"time"
)

// SetKind replaces the kind of the same name for the rest of the test, so
// the queue's tests can run models that block, stream or panic on demand.
// Call it before creating the app: its restore then runs after the app's
// cleanup has stopped the workers.
func SetKind(t testing.TB, k Kind) {
	t.Helper()
	old := kinds[k.Name()]
	kinds[k.Name()] = k
	t.Cleanup(func() { kinds[k.Name()] = old })
}

// SetRunningMarkDelay sets how long a job of the apps created from now on
// runs before its running state is written, for the rest of the test.
func SetRunningMarkDelay(t testing.TB, d time.Duration) {
	t.Helper()
	old := runningMarkDelay
	runningMarkDelay = d
	t.Cleanup(func() { runningMarkDelay = old })
}
