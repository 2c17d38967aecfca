package chat_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testapp.Cleanup()
	os.Exit(code)
}

// Chat fixtures, written by withChats:
//
//	support  support session of alice (members: alice)
//	  supportMsg   by alice; supportReply by adam (admin answer)
//	group    group session of alice (members: alice, bob)
//	  groupMsg     by bob; groupHidden hidden, by bob
//	closed   closed support session of bob (members: bob)
//	  closedMsg    by bob
var (
	support      = testapp.ID("csupport")
	group        = testapp.ID("cgroup")
	closed       = testapp.ID("cclosed")
	supportMsg   = testapp.ID("msupport")
	supportReply = testapp.ID("msupreply")
	groupMsg     = testapp.ID("mgroup")
	groupHidden  = testapp.ID("mgrouphid")
	closedMsg    = testapp.ID("mclosed")
)

var (
	alice = testapp.ID(testapp.Alice)
	bob   = testapp.ID(testapp.Bob)
	gina  = testapp.ID(testapp.Gina)
	adam  = testapp.ID(testapp.Adam)
)

// withChats writes the chat fixtures through app.Save, so the model hooks
// (owner among members, last_message_at) run as for real data.
func withChats(t testing.TB, app core.App) {
	t.Helper()
	saveSession(t, app, support, "alice asks for help", "support", alice, false)
	saveSession(t, app, group, "alice and bob", "group", alice, false, bob)
	saveSession(t, app, closed, "bob's old question", "support", bob, true)
	saveMessage(t, app, supportMsg, support, alice, "I cannot sign in on my phone.", true)
	saveMessage(t, app, supportReply, support, adam, "Which browser do you use?", true)
	saveMessage(t, app, groupMsg, group, bob, "hello alice", true)
	saveMessage(t, app, groupHidden, group, bob, "oops, wrong chat", false)
	saveMessage(t, app, closedMsg, closed, bob, "thanks, solved", true)
}

// chatsFactory fits tests.ApiScenario.TestAppFactory: the fixtures plus the chats.
func chatsFactory(t testing.TB) *tests.TestApp {
	app := testapp.Factory(t)
	withChats(t, app)
	return app
}

func saveSession(t testing.TB, app core.App, id, name, kind, owner string, isClosed bool, members ...string) *core.Record {
	t.Helper()
	c, err := app.FindCollectionByNameOrId("chat_sessions")
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(c)
	if id != "" {
		r.Id = id
	}
	r.Load(map[string]any{"name": name, "kind": kind, "owner": owner, "members": members, "is_closed": isClosed})
	if err := app.Save(r); err != nil {
		t.Fatalf("saving chat session %s: %v", name, err)
	}
	return r
}

func saveMessage(t testing.TB, app core.App, id, session, author, content string, visible bool) *core.Record {
	t.Helper()
	c, err := app.FindCollectionByNameOrId("chats")
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(c)
	if id != "" {
		r.Id = id
	}
	r.Load(map[string]any{"session": session, "author": author, "content": content, "is_visible": visible})
	if err := app.Save(r); err != nil {
		t.Fatalf("saving chat message %q: %v", content, err)
	}
	return r
}

// snapshot is the chat tables' content, to compare before and after a
// refused request.
func snapshot(t testing.TB, app core.App) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT id, name, information, kind, owner, members, is_closed, last_message_at, updated FROM chat_sessions ORDER BY id",
		"SELECT id, session, author, content, is_visible, updated FROM chats ORDER BY id",
		"SELECT id, session, user, last_read_at FROM chat_reads ORDER BY id",
	} {
		rows, err := app.DB().NewQuery(q).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			line, _ := json.Marshal(vals)
			b.Write(line)
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}

// unchanged returns a BeforeTestFunc and an AfterTestFunc that assert the
// chat tables are the same after the request as before it.
func unchanged() (func(testing.TB, *tests.TestApp, *core.ServeEvent), func(testing.TB, *tests.TestApp, *http.Response)) {
	var before string
	return func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			before = snapshot(t, app)
		}, func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if after := snapshot(t, app); after != before {
				t.Fatalf("a refused request changed the chat tables:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		}
}

// ---- SSE client ------------------------------------------------------------

type sseEvent struct {
	Name string
	Data map[string]any
}

// sseClient is a real PocketBase realtime (SSE) connection.
type sseClient struct {
	ClientID string
	events   chan sseEvent
	cancel   context.CancelFunc
}

// openSSE connects to /api/realtime, reads PB_CONNECT, and subscribes to
// topics with token (may be "" for a guest).
func openSSE(t testing.TB, base, token string, topics ...string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &sseClient{events: make(chan sseEvent, 4096), cancel: cancel}
	t.Cleanup(cancel)
	go func() {
		defer close(c.events)
		defer res.Body.Close()
		lines := bufio.NewScanner(res.Body)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		var ev sseEvent
		for lines.Scan() {
			line := lines.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				ev.Name = strings.TrimPrefix(line, "event:")
			case strings.HasPrefix(line, "data:"):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data:")), &ev.Data)
			case line == "":
				if ev.Name != "" {
					c.events <- ev
				}
				ev = sseEvent{}
			}
		}
	}()
	first, ok := c.next(5 * time.Second)
	if !ok || first.Name != "PB_CONNECT" {
		t.Fatalf("no PB_CONNECT event, got %+v", first)
	}
	c.ClientID, _ = first.Data["clientId"].(string)
	r := testapp.Call(t, http.MethodPost, base+"/api/realtime", token,
		map[string]any{"clientId": c.ClientID, "subscriptions": topics})
	if r.Status != http.StatusNoContent {
		t.Fatalf("subscribing to %v: %d %s", topics, r.Status, r.Raw)
	}
	return c
}

// next returns the next event, or false after timeout or when the stream ended.
func (c *sseClient) next(timeout time.Duration) (sseEvent, bool) {
	select {
	case ev, ok := <-c.events:
		return ev, ok
	case <-time.After(timeout):
		return sseEvent{}, false
	}
}

// expectRecord waits for a record event on topic and returns the record.
func (c *sseClient) expectRecord(t testing.TB, topic string) map[string]any {
	t.Helper()
	ev, ok := c.next(5 * time.Second)
	if !ok {
		t.Fatalf("no event on %s", topic)
	}
	// a subscription with options is answered under its full name
	if name, _, _ := strings.Cut(ev.Name, "?"); name != topic {
		t.Fatalf("event on %s, want %s: %v", ev.Name, topic, ev.Data)
	}
	if rec, ok := ev.Data["record"].(map[string]any); ok {
		return rec
	}
	return ev.Data
}

// expectNothing asserts that no event arrives for a while.
func (c *sseClient) expectNothing(t testing.TB, wait time.Duration) {
	t.Helper()
	if ev, ok := c.next(wait); ok {
		t.Fatalf("unexpected event %s: %v", ev.Name, ev.Data)
	}
}

// expectEnd asserts that the server ends the stream.
func (c *sseClient) expectEnd(t testing.TB) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				return
			}
			t.Logf("event before the end: %s %v", ev.Name, ev.Data)
		case <-deadline:
			t.Fatal("the realtime stream stayed open")
		}
	}
}

// ---- WebSocket client ------------------------------------------------------

type frame map[string]any

// wsClient is a real WebSocket connection to /api/chat/ws.
type wsClient struct {
	conn   *websocket.Conn
	frames chan frame
	err    error // why reading stopped; read after frames is closed
}

func wsURL(base, ticket string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "/api/chat/ws?ticket=" + ticket
}

func ticketFor(t testing.TB, base, token string) string {
	t.Helper()
	r := testapp.Call(t, http.MethodPost, base+"/api/chat/ticket", token, nil)
	ticket, _ := r.Body["ticket"].(string)
	if r.Status != http.StatusOK || ticket == "" {
		t.Fatalf("ticket: %d %s", r.Status, r.Raw)
	}
	return ticket
}

// dialWS gets a ticket with token and connects.
func dialWS(t testing.TB, base, token string) *wsClient {
	t.Helper()
	return dialTicket(t, base, ticketFor(t, base, token))
}

func dialTicket(t testing.TB, base, ticket string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(base, ticket), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsClient{conn: conn, frames: make(chan frame, 4096)}
	go func() {
		defer close(c.frames)
		for {
			var f frame
			if err := wsjson.Read(context.Background(), conn, &f); err != nil {
				c.err = err
				return
			}
			c.frames <- f
		}
	}()
	return c
}

func (c *wsClient) send(t testing.TB, f any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := wsjson.Write(ctx, c.conn, f); err != nil {
		t.Fatalf("send %v: %v", f, err)
	}
}

func (c *wsClient) next(timeout time.Duration) (frame, bool) {
	select {
	case f, ok := <-c.frames:
		return f, ok
	case <-time.After(timeout):
		return nil, false
	}
}

// expect waits for a frame of type typ, failing on any other.
func (c *wsClient) expect(t testing.TB, typ string) frame {
	t.Helper()
	f, ok := c.next(5 * time.Second)
	if !ok {
		t.Fatalf("no %q frame (connection: %v)", typ, c.err)
	}
	if f["type"] != typ {
		t.Fatalf("got frame %v, want type %q", f, typ)
	}
	return f
}

// expectError waits for an error frame whose message contains want.
func (c *wsClient) expectError(t testing.TB, want string) {
	t.Helper()
	f := c.expect(t, "error")
	if msg, _ := f["message"].(string); !strings.Contains(msg, want) {
		t.Fatalf("error %q, want it to contain %q", msg, want)
	}
}

func (c *wsClient) expectNothing(t testing.TB, wait time.Duration) {
	t.Helper()
	if f, ok := c.next(wait); ok {
		t.Fatalf("unexpected frame %v", f)
	}
}

// expectClosed waits for the server to close the connection with code.
func (c *wsClient) expectClosed(t testing.TB, code websocket.StatusCode) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				if got := websocket.CloseStatus(c.err); got != code {
					t.Fatalf("closed with %v (%v), want %v", got, c.err, code)
				}
				return
			}
			t.Fatalf("frame %v before the close", f)
		case <-deadline:
			t.Fatal("the connection stayed open")
		}
	}
}

func (c *wsClient) join(t testing.TB, session string) {
	t.Helper()
	c.send(t, frame{"type": "join", "session": session})
	c.expect(t, "joined")
}
