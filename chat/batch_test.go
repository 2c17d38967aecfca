package chat

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"madang/internal/realtime"
)

// writeCounter is a connection that records each write it passes on.
type writeCounter struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, bytes.Clone(p))
	w.mu.Unlock()
	return w.Conn.Write(p)
}

func (w *writeCounter) taken() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

// discardConn takes every write.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }

// sizes shows writes by their first bytes and length.
func sizes(writes []string) string {
	var b strings.Builder
	for _, w := range writes {
		fmt.Fprintf(&b, "%.4q(%d) ", w, len(w))
	}
	return b.String()
}

// Outside a batch every write goes through at once; inside one, writes
// wait and go out in one write when the batch ends, in order; a batch that
// would pass batchLimit writes out what it holds first.
func TestBatchConnWritesABatchInOneWrite(t *testing.T) {
	under := &writeCounter{Conn: discardConn{}}
	c := &batchConn{Conn: under}
	write := func(s string) {
		t.Helper()
		if n, err := c.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	want := func(writes ...string) {
		t.Helper()
		var got []string
		for _, w := range under.taken() {
			got = append(got, string(w))
		}
		if strings.Join(got, "|") != strings.Join(writes, "|") {
			t.Fatalf("writes underneath: %s, want %s", sizes(got), sizes(writes))
		}
	}

	write("a")
	want("a")
	if err := c.end(); err != nil { // no batch open: nothing to write
		t.Fatal(err)
	}
	want("a")

	c.begin()
	write("b")
	write("c")
	want("a")
	if err := c.end(); err != nil {
		t.Fatal(err)
	}
	want("a", "bc")
	write("d") // the batch is closed: straight through
	want("a", "bc", "d")

	big := strings.Repeat("x", batchLimit-1)
	c.begin()
	write(big)
	write("yz") // would pass the limit: big goes first
	want("a", "bc", "d", big)
	_ = c.end()
	want("a", "bc", "d", big, "yz")

	huge := strings.Repeat("h", batchLimit+1)
	c.begin()
	write("e")
	write(huge) // larger than a batch: what waits, then it
	want("a", "bc", "d", big, "yz", "e", huge)
	_ = c.end()
	want("a", "bc", "d", big, "yz", "e", huge)
}

// bridgePair serves one WebSocket through batchingWriter, as the bridge's
// route does, and returns the server side as a writer-only conn, the
// connection underneath it (counting writes) and the client side.
func bridgePair(t *testing.T, timeout time.Duration) (*conn, *writeCounter, *websocket.Conn) {
	t.Helper()
	server := make(chan *conn, 1)
	counted := make(chan *writeCounter, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w := &batchingWriter{ResponseWriter: rw, timeout: timeout}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		under := &writeCounter{Conn: w.conn.Conn}
		w.conn.Conn = under
		server <- &conn{hub: &hub{writeTimeout: timeout}, ws: ws, raw: w.conn}
		counted <- under
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	client, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.CloseNow() })
	return <-server, <-counted, client
}

// The writer sends frames that wait together in one write on a real
// socket; the client reads them as separate frames, in order. A lone frame
// is written on its own, and a close queued after frames follows them.
func TestWriterBatchesFramesThatWait(t *testing.T) {
	c, under, client := bridgePair(t, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	read := func(want string) {
		t.Helper()
		typ, data, err := client.Read(ctx)
		if err != nil || typ != websocket.MessageText || string(data) != want {
			t.Fatalf("read %v %q %v, want text %q", typ, data, err, want)
		}
	}

	var frames [][]byte
	for i := range 50 {
		frames = append(frames, []byte(fmt.Sprintf(`{"type":"message","n":%d}`, i)))
	}
	if !c.writeFrames(frames) {
		t.Fatal("writeFrames ended the connection")
	}
	if n := len(under.taken()); n != 1 {
		t.Fatalf("50 waiting frames took %d writes, want 1", n)
	}
	for _, f := range frames {
		read(string(f))
	}

	if !c.writeFrames([][]byte{[]byte(`{"type":"alone"}`)}) {
		t.Fatal("writeFrames ended the connection")
	}
	if n := len(under.taken()); n != 2 {
		t.Fatalf("after a lone frame: %d writes, want 2", n)
	}
	read(`{"type":"alone"}`)

	c.closeCode, c.closeReason = websocket.StatusPolicyViolation, "bye"
	closed := make(chan bool, 1)
	go func() { closed <- c.writeFrames([][]byte{[]byte(`{"n":"last"}`), nil}) }()
	read(`{"n":"last"}`)
	_, _, err := client.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("after the last frame: %v, want a close with %d", err, websocket.StatusPolicyViolation)
	}
	if <-closed {
		t.Fatal("writeFrames went on after the close")
	}
}

// A peer that stops reading fails the writer's write once the socket's
// buffers are full and the write timeout has passed: the writer reports
// the connection over. Until 2026-12-06 a timer per batch closed it; now
// the socket's write deadline does.
func TestWriterGivesUpOnAPeerThatStopsReading(t *testing.T) {
	const timeout = 300 * time.Millisecond
	c, _, _ := bridgePair(t, timeout) // the client never reads
	frame := []byte(`{"type":"message","content":"` + strings.Repeat("x", 60<<10) + `"}`)
	ended := make(chan time.Duration, 1)
	go func() {
		for {
			start := time.Now()
			if !c.writeFrames([][]byte{frame}) {
				ended <- time.Since(start)
				return
			}
		}
	}()
	select {
	case took := <-ended:
		if took < timeout-timeout/10 {
			t.Fatalf("the stuck write failed after %v, before the write timeout of %v", took, timeout)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("writes to a peer that stopped reading never failed")
	}
}

// The write deadline moves on with each write: a connection that stayed
// quiet past the timeout (its last deadline long gone) still writes.
func TestWriteDeadlineMovesOn(t *testing.T) {
	const timeout = time.Second
	c, under, client := bridgePair(t, timeout)
	gone := time.Now().Add(-time.Minute)
	c.raw.mu.Lock()
	c.raw.deadline = realtime.WriteDeadline{Timeout: timeout} // none set since: long gone
	if err := c.raw.Conn.SetWriteDeadline(gone); err != nil {
		t.Fatal(err)
	}
	c.raw.mu.Unlock()
	if !c.writeFrames([][]byte{[]byte(`{"type":"after a quiet spell"}`)}) {
		t.Fatal("the write after a quiet spell ended the connection")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, data, err := client.Read(ctx); err != nil || string(data) != `{"type":"after a quiet spell"}` {
		t.Fatalf("read %q %v", data, err)
	}
	if n := len(under.taken()); n != 1 {
		t.Fatalf("%d writes, want 1", n)
	}
	c.raw.mu.Lock()
	defer c.raw.mu.Unlock()
	if left := time.Until(c.raw.deadline.At()); left < timeout/2 || left > timeout {
		t.Fatalf("the deadline is %v away, want about %v", left, timeout)
	}
}
