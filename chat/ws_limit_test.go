package chat_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"madang/internal/testapp"
)

// TestWSConnectionLimitHoldsForConcurrentUpgrades: 24 upgrades of one user
// at once open exactly 16 WebSockets; the others are refused with 429
// before the upgrade. Each upgrade used to count the open connections and
// register its own only after the handshake, so all 24 passed the count.
func TestWSConnectionLimitHoldsForConcurrentUpgrades(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	const limit, tries = 16, 24 // maxConnsPerUser
	tickets := make([]string, tries)
	for i := range tickets {
		tickets[i] = ticketFor(t, base, testapp.Token(testapp.Alice))
	}
	statuses := make([]int, tries)
	conns := make([]*websocket.Conn, tries)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, ticket := range tickets {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			<-start
			conn, res, err := websocket.Dial(ctx, wsURL(base, ticket), nil)
			if res != nil {
				statuses[i] = res.StatusCode
			}
			if err == nil {
				conns[i] = conn
			}
		})
	}
	close(start)
	wg.Wait()
	opened, refused := 0, 0
	for i, conn := range conns {
		switch {
		case conn != nil:
			t.Cleanup(func() { conn.CloseNow() })
			opened++
		case statuses[i] == http.StatusTooManyRequests:
			refused++
		default:
			t.Errorf("upgrade %d: status %d", i, statuses[i])
		}
	}
	if opened != limit || refused != tries-limit {
		t.Fatalf("%d upgrades at once: %d opened, %d refused with 429; want %d and %d", tries, opened, refused, limit, tries-limit)
	}
	waitConns(t, app, alice, limit)

	for _, conn := range conns {
		if conn != nil {
			conn.Close(websocket.StatusNormalClosure, "")
			break
		}
	}
	waitConns(t, app, alice, limit-1)
	// a handshake that fails after its place was taken gives the place back
	req, err := http.NewRequest(http.MethodGet, base+"/api/chat/ws?ticket="+ticketFor(t, base, testapp.Token(testapp.Alice)), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket") // and no Sec-WebSocket-Key
	if r := testapp.Do(t, req, ""); r.Status != http.StatusBadRequest {
		t.Fatalf("a broken handshake: %d %s", r.Status, r.Raw)
	}
	again := dialWS(t, base, testapp.Token(testapp.Alice))
	again.join(t, group)
	waitConns(t, app, alice, limit)
}
