package hooks

import (
	"testing"
	"time"
)

// SetMailTimeout shortens the mail send bound for a test.
func SetMailTimeout(t testing.TB, d time.Duration) {
	old := mailTimeout
	mailTimeout = d
	t.Cleanup(func() { mailTimeout = old })
}
