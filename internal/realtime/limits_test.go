package realtime_test

import (
	"net/http"
	"testing"
	"time"

	"madang/internal/realtime"
	"madang/internal/testapp"
)

// TestSSEConnectionsAreCappedPerUser: an account holds at most
// realtime.MaxConnsPerUser signed-in SSE connections; the next one is
// refused with 429 and a message, other accounts are not affected, and a
// closed connection frees its place.
func TestSSEConnectionsAreCappedPerUser(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	var conns []*testapp.SSE
	for range realtime.MaxConnsPerUser {
		conns = append(conns, testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "posts/*"))
	}
	extra := testapp.Connect(t, base, testapp.Token(testapp.Alice))
	r := extra.TrySubscribe(t, "posts/*")
	if r.Status != http.StatusTooManyRequests || r.Body["message"] == "" {
		t.Fatalf("connection %d: %d %s, want 429", realtime.MaxConnsPerUser+1, r.Status, r.Raw)
	}
	testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "posts/*") // bob is not capped by alice

	conns[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r := extra.TrySubscribe(t, "posts/*"); r.Status == http.StatusNoContent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed connection did not free its place")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
