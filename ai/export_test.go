package ai

import "testing"

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
