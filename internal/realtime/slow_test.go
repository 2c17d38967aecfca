package realtime_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/realtime"
	"madang/internal/testapp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testapp.Cleanup()
	os.Exit(code)
}

// openStalled opens an SSE connection that reads its PB_CONNECT event,
// subscribes to topics, and then never reads again, with a small receive
// buffer so the server's writes back up soon. It returns the client id.
func openStalled(t *testing.T, base, token string, topics ...string) string {
	t.Helper()
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	conn, err := dialer.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET /api/realtime HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n")
	lines := bufio.NewReader(conn)
	clientID := ""
	for clientID == "" {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("reading PB_CONNECT: %v", err)
		}
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "id:"); ok {
			clientID = id
		}
	}
	r := testapp.Call(t, http.MethodPost, base+"/api/realtime", token, map[string]any{"clientId": clientID, "subscriptions": topics})
	if r.Status != http.StatusNoContent {
		t.Fatalf("subscribing: %d %s", r.Status, r.Raw)
	}
	return clientID
}

// servedGroup serves a test app with a group chat of alice's that bob is
// in.
func servedGroup(t *testing.T, name string) (app *tests.TestApp, base string, session *core.Record) {
	t.Helper()
	app = testapp.New(t)
	base = testapp.Serve(t, app)
	sessions, _ := app.FindCollectionByNameOrId("chat_sessions")
	session = core.NewRecord(sessions)
	session.Load(map[string]any{"name": name, "kind": "group", "owner": testapp.ID(testapp.Alice),
		"members": []string{testapp.ID(testapp.Bob)}})
	if err := app.Save(session); err != nil {
		t.Fatal(err)
	}
	return app, base, session
}

func registered(app core.App, id string) bool {
	_, err := app.SubscriptionsBroker().ClientById(id)
	return err == nil
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestStalledSSEReadersAreDisconnected: subscribers that stop reading while
// a chat goes on are disconnected once realtime.QueueSize events wait for
// them (each counted in realtime.StatsOf, for the metrics), the server's
// memory stays bounded meanwhile, and a reader that keeps up receives
// every message, in order.
func TestStalledSSEReadersAreDisconnected(t *testing.T) {
	const (
		stalled  = 8
		messages = 1500
	)
	app, base, session := servedGroup(t, "busy")
	alice := testapp.ID(testapp.Alice)

	reader := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	received := make(chan []string, 1)
	go func() {
		var ids []string
		for ev := range reader.Events {
			if rec := ev.Record(); rec != nil {
				if ids = append(ids, rec["id"].(string)); len(ids) == messages {
					break
				}
			}
		}
		received <- ids
	}()
	var clients []string
	for range stalled {
		clients = append(clients, openStalled(t, base, testapp.Token(testapp.Alice), "chats/*"))
	}

	before := heapInUse()
	chats, _ := app.FindCollectionByNameOrId("chats")
	content := strings.Repeat("마당", 1000) // 2,000 characters, 6 KB
	var sent []string
	var peak uint64
	for i := range messages {
		m := core.NewRecord(chats)
		m.Load(map[string]any{"session": session.Id, "author": alice, "content": content, "is_visible": true})
		if err := app.Save(m); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m.Id)
		if i%300 == 299 {
			peak = max(peak, heapInUse())
		}
	}

	select {
	case ids := <-received:
		if len(ids) != messages {
			t.Fatalf("the reader got %d of %d messages", len(ids), messages)
		}
		for i := range ids {
			if ids[i] != sent[i] {
				t.Fatalf("message %d: got %s, sent %s", i, ids[i], sent[i])
			}
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the reader did not get every message")
	}
	deadline := time.Now().Add(realtime.WriteTimeout + 5*time.Second)
	for _, id := range clients {
		for registered(app, id) {
			if time.Now().After(deadline) {
				t.Fatalf("stalled client %s is still connected after %d messages", id, messages)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if st := realtime.StatsOf(app); st.SlowQueueFull+st.SlowWriteTimeout != stalled {
		t.Errorf("slow clients counted: %d (queue full) + %d (write timeout), want %d in all",
			st.SlowQueueFull, st.SlowWriteTimeout, stalled)
	}
	growth := int64(peak) - int64(before)
	t.Logf("heap in use: %d MB before, %d MB at the peak (%d stalled clients, %d messages of %d bytes)",
		before>>20, peak>>20, stalled, messages, len(content))
	// unbounded, each stalled client would hold every message: 8 × 1,500 × ~6 KB ≈ 70 MB and up
	if growth > 40<<20 {
		t.Fatalf("heap grew by %d MB while clients stalled", growth>>20)
	}
}

// TestStalledReaderHoldsOneLatestEvent: Latest events of one record (a
// streaming job's text so far) take the place of the one a subscriber was
// not yet sent, so a reader that stopped reading is not disconnected by
// them and holds one, not one per event; a reader that keeps up ends with
// the last one. Ordinary events still fill a stalled reader's queue.
func TestStalledReaderHoldsOneLatestEvent(t *testing.T) {
	const updates = 1000
	app, base, session := servedGroup(t, "streaming")
	alice := testapp.ID(testapp.Alice)
	chats, _ := app.FindCollectionByNameOrId("chats")
	message := core.NewRecord(chats)
	message.Load(map[string]any{"session": session.Id, "author": alice, "content": "시작", "is_visible": true})
	if err := app.Save(message); err != nil {
		t.Fatal(err)
	}

	reader := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/"+message.Id)
	stalled := openStalled(t, base, testapp.Token(testapp.Alice), "chats/"+message.Id)
	text := strings.Repeat("마당", 900) // 5.4 KB: the socket's buffers fill within a few events
	update := func(i int, latest bool) {
		m := message.Fresh()
		m.Set("content", fmt.Sprintf("%s %d", text, i))
		realtime.Deliver(app, realtime.Event{Action: "update", Record: m, Latest: latest})
	}
	for i := range updates {
		update(i, true)
	}
	if !registered(app, stalled) {
		t.Fatalf("the stalled reader was disconnected by %d Latest events of one record", updates)
	}
	if st := realtime.StatsOf(app); st.SlowQueueFull != 0 {
		t.Fatalf("%d clients counted slow for a full queue", st.SlowQueueFull)
	}
	want := fmt.Sprintf("%s %d", text, updates-1)
	deadline := time.After(30 * time.Second)
	for last := ""; last != want; {
		select {
		case ev, ok := <-reader.Events:
			if !ok {
				t.Fatal("the reader's connection ended")
			}
			if rec := ev.Record(); rec != nil {
				last, _ = rec["content"].(string)
			}
		case <-deadline:
			t.Fatal("the reader did not get the last update")
		}
	}

	// the same number of ordinary events: the stalled reader's queue fills
	for i := range updates {
		update(i, false)
	}
	for gone := time.Now().Add(5 * time.Second); registered(app, stalled) && time.Now().Before(gone); {
		time.Sleep(10 * time.Millisecond) // the discarded client unregisters in a goroutine of its own
	}
	if registered(app, stalled) || realtime.StatsOf(app).SlowQueueFull != 1 {
		t.Fatalf("ordinary events did not fill the stalled reader's queue: registered %v, %+v",
			registered(app, stalled), realtime.StatsOf(app))
	}
}
