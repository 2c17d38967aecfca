package testapp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Event is one SSE event: its name (the topic, with options when the
// subscription had them) and its JSON data.
type Event struct {
	Name string
	Data map[string]any
}

// Record returns the event's record ({action, record} events), or nil.
func (ev Event) Record() map[string]any {
	r, _ := ev.Data["record"].(map[string]any)
	return r
}

// Topic is the event's name without subscription options.
func (ev Event) Topic() string {
	topic, _, _ := strings.Cut(ev.Name, "?")
	return topic
}

// SSE is a real PocketBase realtime connection, read in the background.
type SSE struct {
	ClientID string
	Events   chan Event // closed when the stream ends
	base     string
	token    string
	cancel   context.CancelFunc
}

// OpenSSE connects to base's /api/realtime, reads PB_CONNECT, and
// subscribes to topics with token ("" for a guest).
func OpenSSE(t testing.TB, base, token string, topics ...string) *SSE {
	t.Helper()
	c := Connect(t, base, token)
	c.Subscribe(t, topics...)
	return c
}

// Connect opens the connection without subscribing.
func Connect(t testing.TB, base, token string) *SSE {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &SSE{Events: make(chan Event, 4096), base: base, token: token, cancel: cancel}
	t.Cleanup(cancel)
	go func() {
		defer close(c.Events)
		defer res.Body.Close()
		lines := bufio.NewScanner(res.Body)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		var ev Event
		for lines.Scan() {
			line := lines.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				ev.Name = strings.TrimPrefix(line, "event:")
			case strings.HasPrefix(line, "data:"):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data:")), &ev.Data)
			case line == "":
				if ev.Name != "" {
					c.Events <- ev
				}
				ev = Event{}
			}
		}
	}()
	first, ok := c.Next(5 * time.Second)
	if !ok || first.Name != "PB_CONNECT" {
		t.Fatalf("no PB_CONNECT event, got %+v", first)
	}
	c.ClientID, _ = first.Data["clientId"].(string)
	return c
}

// Subscribe replaces the connection's subscriptions with topics.
func (c *SSE) Subscribe(t testing.TB, topics ...string) {
	t.Helper()
	if r := c.TrySubscribe(t, topics...); r.Status != http.StatusNoContent {
		t.Fatalf("subscribing to %v: %d %s", topics, r.Status, r.Raw)
	}
}

// TrySubscribe is Subscribe that returns the answer instead of failing.
func (c *SSE) TrySubscribe(t testing.TB, topics ...string) Response {
	t.Helper()
	return Call(t, http.MethodPost, c.base+"/api/realtime", c.token,
		map[string]any{"clientId": c.ClientID, "subscriptions": topics})
}

// Close ends the connection from the client's side.
func (c *SSE) Close() { c.cancel() }

// Next returns the next event, or false after timeout or when the stream ended.
func (c *SSE) Next(timeout time.Duration) (Event, bool) {
	select {
	case ev, ok := <-c.Events:
		return ev, ok
	case <-time.After(timeout):
		return Event{}, false
	}
}

// ExpectRecord waits for a record event on topic and returns the record.
func (c *SSE) ExpectRecord(t testing.TB, topic string) map[string]any {
	t.Helper()
	ev, ok := c.Next(5 * time.Second)
	if !ok {
		t.Fatalf("no event on %s", topic)
	}
	if ev.Topic() != topic {
		t.Fatalf("event on %s, want %s: %v", ev.Name, topic, ev.Data)
	}
	if rec := ev.Record(); rec != nil {
		return rec
	}
	return ev.Data
}

// ExpectOnly waits for the event sentinel selects and fails if any other
// event comes first: how a test shows that nothing else was delivered
// without waiting out a quiet window. Trigger the sentinel after the
// events that must not arrive; the server sends in order.
func (c *SSE) ExpectOnly(t testing.TB, sentinel func(Event) bool) Event {
	t.Helper()
	ev, ok := c.Next(5 * time.Second)
	if !ok {
		t.Fatal("no event: the sentinel did not arrive")
	}
	if !sentinel(ev) {
		t.Fatalf("unexpected event before the sentinel: %s %v", ev.Name, ev.Data)
	}
	return ev
}

// Before returns the events that arrive before the sentinel's (Sentinel),
// in order; the stream must not go quiet for 10 s before it comes.
func (c *SSE) Before(t testing.TB, sentinel func(Event) bool) []Event {
	t.Helper()
	var events []Event
	for {
		ev, ok := c.Next(10 * time.Second)
		if !ok {
			t.Fatal("the stream ended or went quiet before the sentinel")
		}
		if sentinel(ev) {
			return events
		}
		events = append(events, ev)
	}
}

// ExpectEnd asserts that the server ends the stream.
func (c *SSE) ExpectEnd(t testing.TB) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events:
			if !ok {
				return
			}
			t.Logf("event before the end: %s %v", ev.Name, ev.Data)
		case <-deadline:
			t.Fatal("the realtime stream stayed open")
		}
	}
}

// SentinelTopic follows a record every subscriber may read, guests
// included: the public board. A client that must show it got none of some
// events, and would get nothing else after them, subscribes to it as well;
// Sentinel then sends it an event that comes after them.
var SentinelTopic = "boards/" + ID(BoardPublic)

var sentinels atomic.Int64

// Sentinel saves the public board and returns the matcher, for
// ExpectOnly, of that save's event on SentinelTopic. Call it after the
// events that must not arrive.
func Sentinel(t testing.TB, app core.App) func(Event) bool {
	t.Helper()
	board, err := app.FindRecordById("boards", ID(BoardPublic))
	if err != nil {
		t.Fatal(err)
	}
	mark := fmt.Sprintf("sentinel %d", sentinels.Add(1))
	board.Set("information", mark)
	if err := app.Save(board); err != nil {
		t.Fatal(err)
	}
	return func(ev Event) bool {
		return ev.Name == SentinelTopic && ev.Record()["information"] == mark
	}
}
