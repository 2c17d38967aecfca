package realtime_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
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

// TestSSEStreamIsNotChunked: an HTTP/1.1 event stream is sent as is, to
// the end of its connection (net/http's setup for SSE), not in chunks: the
// response names no Transfer-Encoding, says Connection: close, and its
// body starts with the PB_CONNECT event itself, not a chunk's length.
func TestSSEStreamIsNotChunked(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET /api/realtime HTTP/1.1\r\nHost: madang\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || len(res.TransferEncoding) != 0 || !res.Close {
		t.Fatalf("status %d, transfer encoding %v, close %v: want 200, none, true", res.StatusCode, res.TransferEncoding, res.Close)
	}
	first, err := r.ReadString('\n') // the raw body: ReadResponse reads no byte of it
	if err != nil || !strings.HasPrefix(first, "id:") {
		t.Fatalf("the body starts %q (%v), want the event's id: line", first, err)
	}
	event, _ := r.ReadString('\n')
	if event != "event:PB_CONNECT\n" {
		t.Fatalf("second line %q, want event:PB_CONNECT", event)
	}
}
