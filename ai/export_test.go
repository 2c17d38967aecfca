package ai

import (
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
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

// HoldTraining takes a model's training lock as another process's training
// would (`madang ai train`).
func HoldTraining(app core.App, id string) (release func(), held bool, err error) {
	return holdTraining(app, id)
}

// OnTrainingLeft calls fn with each training the trainer leaves to another
// process, for the rest of the test.
func OnTrainingLeft(t testing.TB, fn func(id string)) {
	t.Helper()
	old := trainingLeft
	trainingLeft = fn
	t.Cleanup(func() { trainingLeft = old })
}
