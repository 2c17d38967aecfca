package centrifugo

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/realtime"
)

// Broadcasts sent while the app stops (a late announcer's event, as CI
// once caught under -race) are dropped, never sent on the closed queue.
func TestSendRacingStop(t *testing.T) {
	app, err := tests.NewTestApp()
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	a := newAPI(app, Config{APIURL: "http://127.0.0.1:1/api", APIKey: "k"}) // nothing listens: calls fail fast
	var senders sync.WaitGroup
	start := make(chan struct{})
	for range 4 {
		senders.Go(func() {
			<-start
			for range 200 {
				a.Send([]string{"u"}, "notifications/x", []byte(`{}`))
			}
		})
	}
	close(start)
	a.stop()
	senders.Wait()
	a.Send([]string{"u"}, "notifications/x", []byte(`{}`)) // after the stop: dropped
}

// A Centrifugo that accepts and never answers holds the shutdown for
// drainTimeout at most, not callTimeout per queued broadcast (until
// 2026-12-03: 42.7 s for 10), and the drop is said once, with its count.
func TestStopDrainIsBounded(t *testing.T) {
	app, err := tests.NewTestApp()
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	hung := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hung:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hung)

	BindConfig(app, Config{APIURL: srv.URL + "/api", APIKey: "k", TokenSecret: "s", WSURL: "ws://127.0.0.1:1/connection/websocket"})
	a := realtime.TierOf(app).(*api)
	var stderr bytes.Buffer
	a.stderr = &stderr
	for range 10 {
		a.Send([]string{"u"}, "notifications/x", []byte(`{}`))
	}
	start := time.Now()
	if err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}); err != nil {
		t.Fatal(err)
	}
	if took, bound := time.Since(start), drainTimeout+3*time.Second; took > bound {
		t.Fatalf("terminate took %s with a hung Centrifugo, want at most %s", took, bound)
	}
	if want := "10 broadcasts dropped"; !strings.Contains(stderr.String(), want) {
		t.Fatalf("stderr = %q, want it to say %q", stderr.String(), want)
	}
}
