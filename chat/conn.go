package chat

import (
	"context"
	"encoding/json"
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// WebSocket limits.
const (
	maxFrameBytes     = 8 << 10 // a 2,000-character message fits with room to spare
	sendBuffer        = 128     // frames queued per connection before it counts as too slow (held only while queued)
	maxJoinedSessions = 100
	maxConnsPerUser   = 16

	messagesPerSecond = 5 // message frames, burst messagesBurst
	messagesBurst     = 10
	othersPerSecond   = 10 // join, leave and typing frames, burst othersBurst
	othersBurst       = 20
)

// clientFrame is what a client sends.
type clientFrame struct {
	Type    string `json:"type"`
	Session string `json:"session"`
	Content string `json:"content"`
}

// serverFrame is what the server sends: message, typing, joined or error.
type serverFrame struct {
	Type    string       `json:"type"`
	Session string       `json:"session,omitempty"`
	Record  *core.Record `json:"record,omitempty"`
	User    *frameUser   `json:"user,omitempty"`
	Message string       `json:"message,omitempty"`
}

type frameUser struct {
	ID   string `json:"id" db:"id"`
	Name string `json:"name" db:"name"`
}

func encodeFrame(f serverFrame) []byte {
	data, err := json.Marshal(f)
	if err != nil {
		panic(err) // plain strings always encode
	}
	return data
}

func errorFrame(message string) []byte {
	return encodeFrame(serverFrame{Type: "error", Message: message})
}

// conn is one WebSocket client. The read loop runs on the HTTP handler's
// goroutine and handles frames one at a time, in order; a writer goroutine
// drains send, and a ping timer keeps the connection alive and detects dead
// peers (a goroutine only while a ping waits for its pong: a goroutine per
// connection less to hold).
type conn struct {
	hub        *hub
	ws         *websocket.Conn
	raw        *batchConn // ws's connection: the writer batches frames that wait together
	userID     string
	tokenKey   string // the user's token key at connect: a new one ends the connection
	remoteAddr string // of the upgrade request, for dispatched requests
	host       string
	// The upgrade request's trusted proxy headers (Settings → TrustedProxy),
	// for dispatched requests: PocketBase's RealIP reads the client's
	// address from them behind a proxy, for rate limits and the request log.
	proxyHeaders http.Header
	auth         atomic.Pointer[core.Record] // the user, kept current by hub.userChanged

	mu      sync.Mutex
	pending [][]byte      // frames to write, in order; nil means close with closeCode
	wake    chan struct{} // (1) the writer has frames to take
	done    chan struct{} // closed when the connection is over
	ending  atomic.Bool   // a close is under way: nothing more is queued
	joined  map[string]bool

	closeCode   websocket.StatusCode // set by fail before it queues nil
	closeReason string

	// read loop only
	messages, others bucket
}

func newConn(h *hub, ws *websocket.Conn, raw *batchConn, user *core.Record, upgrade *http.Request) *conn {
	c := &conn{
		hub:          h,
		ws:           ws,
		raw:          raw,
		userID:       user.Id,
		tokenKey:     user.TokenKey(),
		remoteAddr:   upgrade.RemoteAddr,
		host:         upgrade.Host,
		proxyHeaders: trustedProxyHeaders(h.app, upgrade),
		wake:         make(chan struct{}, 1),
		done:         make(chan struct{}),
		joined:       map[string]bool{},
		messages:     newBucket(messagesPerSecond, messagesBurst),
		others:       newBucket(othersPerSecond, othersBurst),
	}
	c.auth.Store(user)
	return c
}

// trustedProxyHeaders copies the headers PocketBase's RealIP trusts from r.
func trustedProxyHeaders(app core.App, r *http.Request) http.Header {
	copied := http.Header{}
	for _, name := range app.Settings().TrustedProxy.Headers {
		for _, v := range r.Header.Values(name) {
			copied.Add(name, v)
		}
	}
	return copied
}

// run serves the connection until it ends.
func (c *conn) run() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	pinger := c.startPinging()
	defer pinger.Stop()

	c.readLoop()

	c.hub.unregister(c)
	if c.ending.Swap(true) {
		// a close was queued or started: let the writer finish it
		select {
		case <-writerDone:
		case <-time.After(c.hub.writeTimeout + 5*time.Second):
		}
	}
	close(c.done)
	c.signal() // the writer waits on wake alone
	c.ws.CloseNow()
	<-writerDone
}

func (c *conn) readLoop() {
	for !c.ending.Load() {
		typ, r, err := c.ws.Reader(context.Background())
		if err != nil {
			return
		}
		// read one byte past the limit ourselves, so that an oversized frame
		// gets an error frame before the close (SetReadLimit alone would
		// close at once)
		data, err := io.ReadAll(io.LimitReader(r, maxFrameBytes+1))
		if err != nil {
			return
		}
		if len(data) > maxFrameBytes {
			c.fail(fmt.Sprintf("Frames are limited to %d bytes; this one was longer. Reconnect and send shorter frames.", maxFrameBytes),
				websocket.StatusMessageTooBig)
			return
		}
		if typ != websocket.MessageText {
			c.sendError(`Send JSON text frames, such as {"type":"join","session":"<chat session id>"}.`)
			continue
		}
		if !utf8.Valid(data) { // RFC 6455 5.6: text is UTF-8, else close with 1007
			c.fail("Text frames must be valid UTF-8; this one was not. Reconnect and send UTF-8 text.",
				websocket.StatusInvalidFramePayloadData)
			return
		}
		var f clientFrame
		// read as PocketBase reads an HTTP body (json/v2: no duplicate
		// names, no lone surrogates; names matched in any case), so a frame
		// and the same message sent over HTTP are refused alike: until
		// 2026-12-07 a frame's duplicate "content" took the last, and a
		// lone \ud800 was stored as U+FFFD
		if err := jsonv2.Unmarshal(data, &f, jsonv2.MatchCaseInsensitiveNames(true)); err != nil {
			c.sendError(frameProblem(data, err))
			continue
		}
		c.handle(f)
	}
}

// frameProblem says what keeps data, a text frame that jsonv2.Unmarshal
// refused with err, from being a clientFrame. Until 2026-12-07 every
// refusal said the frame was not valid JSON, a number as session too.
func frameProblem(data []byte, err error) string {
	const example = `{"type":"join","session":"<chat session id>"}`
	var syntax *jsontext.SyntacticError
	var semantic *jsonv2.SemanticError
	switch {
	case errors.As(err, &syntax):
		return "That frame is not valid JSON (" + strings.TrimPrefix(syntax.Error(), "jsontext: ") +
			"); send frames such as " + example + "."
	case jsontext.Value(data).Kind() != '{':
		return "A frame is a JSON object, such as " + example + "."
	case errors.As(err, &semantic) && semantic.JSONPointer != "":
		return "In that frame, " + strings.TrimPrefix(string(semantic.JSONPointer), "/") + " must be a string; send frames such as " + example + "."
	}
	return "A frame is a JSON object, such as " + example + "."
}

func (c *conn) handle(f clientFrame) {
	now := time.Now()
	switch f.Type {
	case "join", "leave", "typing":
		if !c.others.allow(now) {
			c.refuseTooFast(fmt.Sprintf("You are sending %s frames too fast (at most %d a second); wait a moment.", f.Type, othersPerSecond))
			return
		}
	case "message":
		if !c.messages.allow(now) {
			c.refuseTooFast(fmt.Sprintf("You are sending messages too fast (at most %d a second); this one was not sent, wait a moment and send it again.", messagesPerSecond))
			return
		}
	default:
		c.sendError(fmt.Sprintf("Unknown frame type %q; use join, leave, message or typing.", f.Type))
		return
	}
	if f.Session == "" {
		c.sendError(fmt.Sprintf(`Say which chat: {"type":%q,"session":"<chat session id>"}.`, f.Type))
		return
	}
	switch f.Type {
	case "join":
		c.join(f.Session)
	case "leave":
		c.hub.leave(c, f.Session)
	case "message":
		if !c.hub.hasJoined(c, f.Session) {
			c.sendError("Join chat " + f.Session + " before sending to it.")
			return
		}
		if err := c.hub.createMessage(c, f.Session, f.Content); err != nil {
			c.refused(err)
		}
	case "typing":
		if !c.hub.hasJoined(c, f.Session) {
			c.sendError("Join chat " + f.Session + " before typing in it.")
			return
		}
		if err := c.hub.startTyping(f.Session, c.auth.Load()); err != nil {
			c.refused(err)
		}
	}
}

// join adds the connection to a session's room, then asks the rule: in
// that order, so that a membership change during the join re-checks it.
func (c *conn) join(sessionID string) {
	if !c.hub.join(c, sessionID) {
		c.sendError(fmt.Sprintf("A connection can join at most %d chats; leave one first.", maxJoinedSessions))
		return
	}
	if !c.hub.mayRead(sessionID, c.auth.Load()) {
		c.hub.leave(c, sessionID)
		c.sendError(errNoSession(sessionID).Error())
		return
	}
	access.WarmBlocks(c.hub.app, c.userID) // before "joined": the next message finds the list cached
	c.queue(encodeFrame(serverFrame{Type: "joined", Session: sessionID}))
}

// refused reports a refusal; one that ends the user's session (ban, dead
// token) also ends the connection.
func (c *conn) refused(err error) {
	var r *refusal
	switch {
	case !errors.As(err, &r):
		c.hub.app.Logger().Error("chat WebSocket request failed",
			slog.String("user", c.userID), slog.String("error", err.Error()))
		c.sendError("The server failed to do that; try again in a moment.")
	case r.endsSession:
		c.fail(r.message, websocket.StatusPolicyViolation)
	default:
		c.sendError(r.message)
	}
}

// queue sends a frame unless the client is too slow to take it: a client
// whose queue is full is dropped rather than slowing everyone down. Frames
// wait in a slice, not a channel of sendBuffer: that held 3 KB per
// connection whether frames waited or not.
func (c *conn) queue(data []byte) {
	if c.ending.Load() {
		return
	}
	c.mu.Lock()
	full := len(c.pending) >= sendBuffer
	if !full {
		c.pending = append(c.pending, data)
	}
	c.mu.Unlock()
	if full {
		if !c.ending.Swap(true) {
			go c.ws.Close(websocket.StatusPolicyViolation, "Too slow: messages were piling up. Reconnect to continue.")
		}
		return
	}
	c.signal()
}

// signal wakes the writer.
func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default: // already woken
	}
}

func (c *conn) sendError(message string) {
	c.queue(errorFrame(message))
}

// refuseTooFast answers a frame past its rate with message. A client that
// keeps sending far past the rates, so that the answers pile up in its
// queue, is closed saying so: until 2026-12-07 it was closed as "Too slow:
// messages were piling up", its answers' own backlog, though it read
// everything.
func (c *conn) refuseTooFast(message string) {
	c.mu.Lock()
	flooding := len(c.pending) >= sendBuffer/2
	c.mu.Unlock()
	if flooding {
		c.fail(fmt.Sprintf("You are sending frames far faster than allowed (%d messages and %d other frames a second); "+
			"reconnect and slow down.", messagesPerSecond, othersPerSecond), websocket.StatusPolicyViolation)
		return
	}
	c.sendError(message)
}

// fail sends an error frame, then closes the connection with code.
func (c *conn) fail(message string, code websocket.StatusCode) {
	if c.ending.Swap(true) {
		return
	}
	c.closeCode, c.closeReason = code, closeReason(message)
	c.mu.Lock()
	room := len(c.pending)+2 <= sendBuffer
	if room {
		c.pending = append(c.pending, errorFrame(message), nil)
	}
	c.mu.Unlock()
	if !room { // close without the explanation
		go c.ws.Close(c.closeCode, c.closeReason)
		return
	}
	c.signal()
}

// closeReason fits message in a close frame (123 bytes at most).
func closeReason(message string) string {
	const limit = 123
	if len(message) <= limit {
		return message
	}
	cut := limit
	for cut > 0 && message[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return message[:cut]
}

func (c *conn) writeLoop() {
	// The writer waits on wake alone, and the end of the connection wakes
	// it too (run): a select on wake and done cost twice a plain receive,
	// 12% of the writer's CPU in S5 (perf, 2026-12-06). A write's time
	// limit is the connection's write deadline (batchConn), moved about
	// once a second: a timer reset and stopped around every batch was
	// another 2%.
	//
	// The batch's array is given back for the next ones to fill, as the
	// SSE client's is (realtime's client.taken): a new array for every
	// message was one allocation per joined reader, 12 KB of garbage a
	// message in S5's 500-member bridge (heap profile, 2026-12-07).
	var spare [][]byte
	for {
		<-c.wake
		select {
		case <-c.done:
			return
		default:
		}
		c.mu.Lock()
		frames := c.pending
		c.pending, spare = spare, nil
		c.mu.Unlock()
		if len(frames) > 0 && !c.writeFrames(frames) {
			return
		}
		if cap(frames) <= spareFrames {
			clear(frames) // the frames are shared payloads: keep none alive
			spare = frames[:0]
		}
	}
}

// spareFrames is the largest batch array a writer keeps for reuse: a
// connection that lagged does not keep its lag's memory.
const spareFrames = 16

// writeFrames writes frames in order, several in one batch (batch.go). It
// reports false when the connection is over: a write failed (at the
// latest when the write deadline passed), or a close was queued and has
// been sent.
func (c *conn) writeFrames(frames [][]byte) bool {
	if len(frames) > 1 {
		c.raw.begin()
	}
	for _, data := range frames {
		if data == nil {
			if err := c.raw.end(); err != nil { // the frames before the close go first
				c.ws.CloseNow()
				return false
			}
			c.ws.Close(c.closeCode, c.closeReason)
			return false
		}
		if err := c.ws.Write(context.Background(), websocket.MessageText, data); err != nil {
			c.ws.CloseNow()
			return false
		}
	}
	if err := c.raw.end(); err != nil {
		c.ws.CloseNow()
		return false
	}
	return true
}

// startPinging pings the peer every pingInterval until the returned timer
// is stopped; a ping without a pong within pingTimeout ends the connection.
func (c *conn) startPinging() *time.Timer {
	var mu sync.Mutex // t is set before the first ping can read it
	var t *time.Timer
	mu.Lock()
	defer mu.Unlock()
	t = time.AfterFunc(c.hub.pingInterval, func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.hub.pingTimeout)
		err := c.ws.Ping(ctx)
		cancel()
		if err != nil {
			c.ws.CloseNow() // no pong: the peer is gone
			return
		}
		select {
		case <-c.done:
		default:
			mu.Lock()
			t.Reset(c.hub.pingInterval)
			mu.Unlock()
		}
	})
	return t
}

// bucket is a token bucket: rate tokens a second, at most burst saved.
type bucket struct {
	tokens, rate, burst float64
	last                time.Time
}

func newBucket(rate, burst float64) bucket {
	return bucket{tokens: burst, rate: rate, burst: burst}
}

func (b *bucket) allow(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
