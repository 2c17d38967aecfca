package centrifugo

import (
	"testing"
	"time"
)

// StopClock stops the subscription allowance's clock at its current time
// for the rest of t, so that no token comes back while t asks.
func StopClock(t *testing.T) {
	stopped := time.Now()
	now = func() time.Time { return stopped }
	t.Cleanup(func() { now = time.Now })
}
