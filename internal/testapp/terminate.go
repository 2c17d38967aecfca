package testapp

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// FinishesBeforeClose triggers app's terminate as PocketBase does — the
// handlers, then the finalizer, which is where PocketBase closes the
// database (left open here for the test's cleanup) — and fails t unless
// the work named what had reported on finished, with no error, by the
// time the finalizer ran.
func FinishesBeforeClose(t testing.TB, app core.App, finished <-chan error, what string) {
	t.Helper()
	var workErr error
	reported := false
	err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error {
		select {
		case workErr = <-finished:
			reported = true
		default:
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reported {
		t.Fatalf("terminate reached the database's close while %s was still running", what)
	}
	if workErr != nil {
		t.Fatalf("%s failed: %v", what, workErr)
	}
}
