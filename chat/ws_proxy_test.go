package chat_test

import (
	"net/http"
	"testing"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

// TestWSMessagesCountAgainstTheClientsAddress: behind a trusted proxy, a
// message sent over WebSocket counts against the chats:create rate limit
// of the client's own address (the upgrade's X-Real-IP), as an SDK create
// does. The dispatched create used to carry the proxy's address and no
// proxy header, so every WebSocket user shared one bucket.
func TestWSMessagesCountAgainstTheClientsAddress(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	const limit = 3
	app.Settings().TrustedProxy.Headers = []string{"X-Real-IP"}
	app.Settings().RateLimits.Enabled = true
	app.Settings().RateLimits.Rules = append(app.Settings().RateLimits.Rules,
		core.RateLimitRule{Label: "chats:create", MaxRequests: limit, Duration: 600})
	base := testapp.Serve(t, app)

	from := func(token, ip string) *wsClient {
		t.Helper()
		return dialTicket(t, base, ticketFor(t, base, token),
			&websocket.DialOptions{HTTPHeader: http.Header{"X-Real-IP": {ip}}})
	}
	aliceWS := from(testapp.Token(testapp.Alice), "5.5.5.5")
	aliceWS.join(t, group)
	for range limit {
		aliceWS.send(t, frame{"type": "message", "session": group, "content": "from 5.5.5.5"})
		aliceWS.expect(t, "message")
	}
	aliceWS.send(t, frame{"type": "message", "session": group, "content": "one too many"})
	aliceWS.expectError(t, "Too many requests")

	bobWS := from(testapp.Token(testapp.Bob), "6.6.6.6")
	bobWS.join(t, group)
	bobWS.send(t, frame{"type": "message", "session": group, "content": "from 6.6.6.6"})
	if rec, _ := bobWS.expect(t, "message")["record"].(map[string]any); rec["content"] != "from 6.6.6.6" {
		t.Fatalf("bob's message frame: %v", rec)
	}

	for content, want := range map[string]int{"from 5.5.5.5": limit, "one too many": 0, "from 6.6.6.6": 1} {
		saved, err := app.FindRecordsByFilter("chats", "session = {:s} && content = {:c}", "", 0, 0,
			map[string]any{"s": group, "c": content})
		if err != nil || len(saved) != want {
			t.Fatalf("%d messages %q saved (%v), want %d", len(saved), content, err, want)
		}
	}
}
