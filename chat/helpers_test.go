package chat_test

import (
	"context"
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

// isRecord matches the SSE event of record id.
func isRecord(id string) func(testapp.Event) bool {
	return func(ev testapp.Event) bool { return ev.Record()["id"] == id }
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
	return dialTicket(t, base, ticketFor(t, base, token), nil)
}

// dialTicket connects with ticket; opts may be nil.
func dialTicket(t testing.TB, base, ticket string, opts *websocket.DialOptions) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(base, ticket), opts)
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

// expectOnly waits for the frame sentinel selects and fails if any other
// frame comes first: how a test shows that nothing else was delivered,
// without waiting out a quiet window. Trigger the sentinel after what must
// not arrive; the server sends to a connection in order.
func (c *wsClient) expectOnly(t testing.TB, sentinel func(frame) bool) frame {
	t.Helper()
	f, ok := c.next(5 * time.Second)
	if !ok {
		t.Fatalf("no frame: the sentinel did not arrive (connection: %v)", c.err)
	}
	if !sentinel(f) {
		t.Fatalf("unexpected frame before the sentinel: %v", f)
	}
	return f
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

// isMessage matches the message frame of message id.
func isMessage(id string) func(frame) bool {
	return func(f frame) bool { return f["type"] == "message" && frameRecord(f)["id"] == id }
}

func (c *wsClient) join(t testing.TB, session string) {
	t.Helper()
	c.send(t, frame{"type": "join", "session": session})
	c.expect(t, "joined")
}
