package realtime_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"

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
	awaitPlace(t, extra)
}

// openRawStream opens an SSE stream over a plain connection and reads its
// response's head; the body (PB_CONNECT first) is left in r. after is sent
// right behind the request, in the same write.
func openRawStream(t *testing.T, base, after string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET /api/realtime HTTP/1.1\r\nHost: madang\r\nAccept: text/event-stream\r\n\r\n"+after); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	return conn, r, res
}

// TestSSEStreamIsNotChunked: an HTTP/1.1 event stream is sent as is, to
// the end of its connection (net/http's setup for SSE), not in chunks: the
// response names no Transfer-Encoding, says Connection: close, and its
// body starts with the PB_CONNECT event itself, not a chunk's length.
func TestSSEStreamIsNotChunked(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	conn, r, res := openRawStream(t, base, "")
	defer conn.Close()
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

// TestSubscriptionsAreBounded: one subscribe asks for at most
// realtime.MaxSubscriptions topics, and at most realtime.MaxPerCollection
// of them that one record event is checked against — a collection's by
// name or id, "/*" or bare, or one record's — else 400 naming which, and
// the connection follows nothing new; superusers are not limited.
func TestSubscriptionsAreBounded(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	posts, err := app.FindCollectionByNameOrId("posts")
	if err != nil {
		t.Fatal(err)
	}
	filtered := func(topic string, n int) []string {
		var names []string
		for i := range n {
			names = append(names, topic+"?options="+url.QueryEscape(fmt.Sprintf(`{"query":{"filter":"id != 'x%d'"}}`, i)))
		}
		return names
	}
	var records []string
	for i := range realtime.MaxSubscriptions {
		records = append(records, fmt.Sprintf("posts/p%014d", i))
	}
	post := testapp.VisiblePost(testapp.BoardPublic)
	for _, c := range []struct {
		what   string
		topics []string
		status int
		says   string
	}{
		{"the most topics", records, 204, ""},
		{"one topic too many", append(slices.Clone(records), "users/x"), 400, "at most 100 topics"},
		{"the most filters on posts/*", filtered("posts/*", realtime.MaxPerCollection), 204, ""},
		{"one filter too many on posts/*", filtered("posts/*", realtime.MaxPerCollection+1), 400, "the posts collection"},
		{"the posts collection by name and id, with and without /*",
			slices.Concat(filtered("posts/*", 2), filtered(posts.Id+"/*", 1), filtered("posts", 1), filtered(posts.Id, 1)), 400, "the posts collection"},
		{"one record's", filtered("posts/"+post, realtime.MaxPerCollection+1), 400, "posts/" + post},
		{"other collections beside", slices.Concat(filtered("posts/*", realtime.MaxPerCollection), filtered("comments/*", realtime.MaxPerCollection),
			filtered("posts/"+post, realtime.MaxPerCollection)), 204, ""},
	} {
		for _, who := range []string{"", testapp.Alice} {
			sse := testapp.Connect(t, base, testapp.Token(who))
			r := sse.TrySubscribe(t, c.topics...)
			if r.Status != c.status || !strings.Contains(r.Raw, c.says) {
				t.Errorf("%s, as %q: %d %s, want %d saying %q", c.what, who, r.Status, r.Raw, c.status, c.says)
			}
			sse.Close()
		}
	}
	root := testapp.Connect(t, base, testapp.Token("root"))
	if r := root.TrySubscribe(t, filtered("posts/*", 20)...); r.Status != 204 {
		t.Errorf("a superuser's 20 filters: %d %s", r.Status, r.Raw)
	}
}

// TestGuestConnectionsAreCappedPerAddress: one address holds at most
// realtime.MaxGuestConnsPerIP signed-out SSE connections; the next
// subscribe answers 429 with a message, a signed-in member on the same
// address is not affected, and a closed connection frees its place.
func TestGuestConnectionsAreCappedPerAddress(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	var conns []*testapp.SSE
	for range realtime.MaxGuestConnsPerIP {
		conns = append(conns, testapp.OpenSSE(t, base, "", "posts/*"))
	}
	extra := testapp.Connect(t, base, "")
	if r := extra.TrySubscribe(t, "posts/*"); r.Status != http.StatusTooManyRequests || !strings.Contains(r.Raw, "without signing in") {
		t.Fatalf("guest connection %d: %d %s, want 429", realtime.MaxGuestConnsPerIP+1, r.Status, r.Raw)
	}
	testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "posts/*") // members have their own cap

	conns[0].Close()
	awaitPlace(t, extra)
}

// TestOpenConnectionsAreCappedPerAddress: one address opens at most
// realtime.MaxOpenConnsPerIP SSE connections that have not signed in (bare
// ones, never subscribed); the next connect answers 429 with a message, a
// connection that signs in leaves the count, and a closed one frees its
// place. Until 2026-12-07 one address held 5,000 bare connections.
func TestOpenConnectionsAreCappedPerAddress(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	member := testapp.Connect(t, base, testapp.Token(testapp.Alice)) // bare until it subscribes
	for range realtime.MaxOpenConnsPerIP - 1 {
		testapp.Connect(t, base, "")
	}
	connect := func() *http.Response {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := connect()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "without signing in") {
		t.Fatalf("bare connection %d: %d %s, want 429", realtime.MaxOpenConnsPerIP+1, res.StatusCode, body)
	}
	// a connection that signs in is a member's: the address has a place again
	member.Subscribe(t, "posts/*")
	eventually(t, "a signed-in connection still counted as a bare one", func() bool {
		res := connect()
		defer res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// awaitPlace waits until extra may subscribe: a closed connection freed
// its place under a cap.
func awaitPlace(t *testing.T, extra *testapp.SSE) {
	t.Helper()
	eventually(t, "a closed connection did not free its place", func() bool {
		return extra.TrySubscribe(t, "posts/*").Status == http.StatusNoContent
	})
}

// eventually polls ok until it holds, failing with problem after 5 s.
func eventually(t *testing.T, problem string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(problem)
		}
	}
}

// leftBroker tells whether the client is gone from app's broker.
func leftBroker(app core.App, clientID string) func() bool {
	return func() bool {
		_, err := app.SubscriptionsBroker().ClientById(clientID)
		return err != nil
	}
}

// TestSSEConnectionsEndAtTheirTimeLimits: a connection ends after its
// IdleTimeout without an event (an event in time keeps it open) and after
// its MaxTimeout however busy, as PocketBase's loop ends them; its client
// leaves the broker.
func TestSSEConnectionsEndAtTheirTimeLimits(t *testing.T) {
	app := testapp.New(t)
	const short = 400 * time.Millisecond
	var maxTimeout atomic.Int64
	maxTimeout.Store(int64(time.Hour))
	app.OnRealtimeConnectRequest().BindFunc(func(e *core.RealtimeConnectRequestEvent) error {
		e.IdleTimeout, e.MaxTimeout = short, time.Duration(maxTimeout.Load())
		return e.Next()
	})
	base := testapp.Serve(t, app)

	// events every short/4 for 3×short keep an idle-limited connection
	// open: each arrives
	sse := testapp.Connect(t, base, "")
	sendEvery(t, app, sse.ClientID, short/4, 12, func(i int) {
		if ev, ok := sse.Next(5 * time.Second); !ok || ev.Name != fmt.Sprint("tick", i) {
			t.Fatalf("event %d: %+v, %v", i, ev, ok)
		}
	})
	awaitEnd(t, app, sse) // then, without events, it ends

	// a MaxTimeout ends a connection that gets events
	maxTimeout.Store(int64(short))
	busy := testapp.Connect(t, base, "")
	start := time.Now()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for time.Since(start) < 20*short {
			c, err := app.SubscriptionsBroker().ClientById(busy.ClientID)
			if err != nil {
				return
			}
			c.Send(subscriptions.Message{Name: "tick", Data: []byte("{}")})
			time.Sleep(short / 8)
		}
	}()
	awaitEnd(t, app, busy)
	<-stopped
	if took := time.Since(start); took >= 20*short {
		t.Fatalf("the busy connection lived %v, MaxTimeout %v", took, short)
	}
}

// sendEvery sends n events named tick0…tickN-1 to the client, one each
// interval, calling got after each.
func sendEvery(t *testing.T, app core.App, clientID string, interval time.Duration, n int, got func(i int)) {
	t.Helper()
	for i := range n {
		c, err := app.SubscriptionsBroker().ClientById(clientID)
		if err != nil {
			t.Fatalf("event %d: the client left the broker: %v", i, err)
		}
		c.Send(subscriptions.Message{Name: fmt.Sprint("tick", i), Data: []byte("{}")})
		got(i)
		time.Sleep(interval)
	}
}

// awaitEnd waits for the connection's stream to end and its client to
// leave the broker.
func awaitEnd(t *testing.T, app core.App, sse *testapp.SSE) {
	t.Helper()
	for {
		ev, ok := sse.Next(10 * time.Second)
		if !ok {
			break
		}
		if ev.Name != "tick" {
			t.Fatalf("unexpected event %+v", ev)
		}
	}
	eventually(t, "the ended connection's client is still in the broker", leftBroker(app, sse.ClientID))
}

// TestTerminateEndsTakenOverConnections: the server's shutdown does not
// end the HTTP/1.1 connections the writer took over from net/http; the
// app's terminate event does, and their clients leave the broker (the
// SDK then reconnects).
func TestTerminateEndsTakenOverConnections(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	sse := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "posts/*")
	if err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}); err != nil {
		t.Fatal(err)
	}
	awaitEnd(t, app, sse)
}

// TestSSEOverHTTP2: an HTTP/2 stream, which cannot be taken over from
// net/http, is written through the response: PB_CONNECT, then the events
// sent to its client, in order; when the client goes, the client leaves
// the broker.
func TestSSEOverHTTP2(t *testing.T) {
	app := testapp.New(t)
	srv := httptest.NewUnstartedServer(testapp.Handler(t, app))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/realtime", nil)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.ProtoMajor != 2 {
		t.Fatalf("served over %s, want HTTP/2", res.Proto)
	}
	lines := bufio.NewReader(res.Body)
	next := func() (id, name, data string) {
		t.Helper()
		for {
			line, err := lines.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the stream: %v", err)
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				return id, name, data
			case strings.HasPrefix(line, "id:"):
				id = strings.TrimPrefix(line, "id:")
			case strings.HasPrefix(line, "event:"):
				name = strings.TrimPrefix(line, "event:")
			case strings.HasPrefix(line, "data:"):
				data = strings.TrimPrefix(line, "data:")
			}
		}
	}
	clientID, name, _ := next()
	if name != "PB_CONNECT" || clientID == "" {
		t.Fatalf("first event %q with id %q, want PB_CONNECT", name, clientID)
	}
	c, err := app.SubscriptionsBroker().ClientById(clientID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c.Send(subscriptions.Message{Name: fmt.Sprint("tick", i), Data: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	for i := range 3 {
		if id, name, data := next(); id != clientID || name != fmt.Sprint("tick", i) || data != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("event %d: id %q, name %q, data %q", i, id, name, data)
		}
	}
	cancel()
	eventually(t, "the closed HTTP/2 stream's client is still in the broker", leftBroker(app, clientID))
}

// TestSSEClientThatSendsIsDisconnected: an SSE client sends nothing after
// its request; a byte from it ends the taken-over connection at once, and
// its client leaves the broker — a byte sent once the stream started, and
// one sent with the request itself, which net/http has read before the
// takeover (until 2026-12-05 that one was never seen: CI caught a byte sent
// after PB_CONNECT landing there once).
func TestSSEClientThatSendsIsDisconnected(t *testing.T) {
	for _, c := range []struct{ name, withRequest, afterConnect string }{
		{"after PB_CONNECT", "", "x"},
		{"with the request", "x", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := testapp.New(t)
			base := testapp.Serve(t, app)
			conn, r, _ := openRawStream(t, base, c.withRequest)
			defer conn.Close()
			idLine, err := r.ReadString('\n')
			clientID, ok := strings.CutPrefix(strings.TrimSpace(idLine), "id:")
			if err != nil || !ok {
				t.Fatalf("the stream starts %q (%v), want PB_CONNECT's id", idLine, err)
			}
			if c.afterConnect != "" {
				if _, err := app.SubscriptionsBroker().ClientById(clientID); err != nil {
					t.Fatalf("the connected client is not in the broker: %v", err)
				}
				if _, err := io.WriteString(conn, c.afterConnect); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, "the client that sent a byte is still in the broker", leftBroker(app, clientID))
			if _, err := io.Copy(io.Discard, r); err != nil { // the rest of PB_CONNECT, then the end
				t.Fatalf("the stream did not end: %v", err)
			}
		})
	}
}
