package centrifugo

import (
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
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
