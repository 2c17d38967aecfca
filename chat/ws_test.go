package chat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/pocketbase/pocketbase/core"

	"madang/chat"
	"madang/internal/testapp"
)

// refusedDial dials with ticket and expects an HTTP refusal before the upgrade.
func refusedDial(t *testing.T, base, ticket string, status int, message string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, wsURL(base, ticket), nil)
	if err == nil {
		conn.CloseNow()
		t.Fatalf("ticket %q was accepted", ticket)
	}
	if res == nil || res.StatusCode != status {
		t.Fatalf("dial: %v %v, want status %d", res, err, status)
	}
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), message) {
		t.Fatalf("refusal %s, want it to say %q", body, message)
	}
}

// waitConns waits until the server holds want connections of userID.
func waitConns(t *testing.T, app core.App, userID string, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for chat.ConnCount(app, userID) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections of %s, want %d", chat.ConnCount(app, userID), userID, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWSTickets(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)

	r := testapp.Call(t, http.MethodPost, base+"/api/chat/ticket", testapp.Token(testapp.Alice), nil)
	if r.Status != http.StatusOK || r.Body["ticket"] == "" || r.Body["expires"] == "" {
		t.Fatalf("ticket: %d %s", r.Status, r.Raw)
	}
	for who, status := range map[string]int{"": 401, testapp.Ben: 401, "root": 403} {
		token := ""
		if who != "" {
			token = testapp.Token(who)
		}
		if r := testapp.Call(t, http.MethodPost, base+"/api/chat/ticket", token, nil); r.Status != status {
			t.Errorf("ticket for %q: %d %s, want %d", who, r.Status, r.Raw, status)
		}
	}

	t.Run("missing", func(t *testing.T) {
		refusedDial(t, base, "", 401, "Add ?ticket=")
	})
	t.Run("forged", func(t *testing.T) {
		refusedDial(t, base, "not-a-ticket", 401, "not valid")
		// an auth token is not a ticket
		refusedDial(t, base, testapp.Token(testapp.Alice), 401, "not valid")
		// a ticket with its signature altered
		ticket := ticketFor(t, base, testapp.Token(testapp.Alice))
		refusedDial(t, base, ticket[:len(ticket)-4]+"AAAA", 401, "not valid")
	})
	t.Run("expired", func(t *testing.T) {
		user, _ := app.FindRecordById("users", alice)
		refusedDial(t, base, chat.IssueTicket(app, user, -time.Second), 401, "expired")
	})
	t.Run("reused", func(t *testing.T) {
		ticket := ticketFor(t, base, testapp.Token(testapp.Alice))
		first := dialTicket(t, base, ticket, nil)
		first.conn.Close(websocket.StatusNormalClosure, "")
		refusedDial(t, base, ticket, 401, "already used")
	})
	t.Run("issued before a ban", func(t *testing.T) {
		ticket := ticketFor(t, base, testapp.Token(testapp.Bob))
		if r := testapp.Call(t, http.MethodPatch, base+"/api/collections/users/records/"+bob, testapp.Token(testapp.Adam),
			map[string]any{"banned": true}); r.Status != 200 {
			t.Fatalf("ban: %d %s", r.Status, r.Raw)
		}
		refusedDial(t, base, ticket, 401, "not valid")
	})
	t.Run("plain HTTP", func(t *testing.T) {
		ticket := ticketFor(t, base, testapp.Token(testapp.Alice))
		r := testapp.Call(t, http.MethodGet, base+"/api/chat/ws?ticket="+ticket, "", nil)
		if r.Status != 400 || !strings.Contains(r.Raw, "WebSocket only") {
			t.Fatalf("plain GET: %d %s", r.Status, r.Raw)
		}
	})
}

func TestWSRefusalsAreErrorFrames(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	gina := dialWS(t, base, testapp.Token(testapp.Gina))
	gina.send(t, frame{"type": "join", "session": support})
	gina.expectError(t, "does not exist or you are not one of its participants")
	gina.send(t, frame{"type": "join", "session": testapp.ID("nosuch")})
	gina.expectError(t, "does not exist")
	gina.send(t, frame{"type": "message", "session": support, "content": "let me in"})
	gina.expectError(t, "Join chat "+support)
	gina.send(t, frame{"type": "typing", "session": support})
	gina.expectError(t, "Join chat "+support)
	gina.send(t, frame{"type": "join"})
	gina.expectError(t, "Say which chat")
	gina.send(t, frame{"type": "shout", "session": support})
	gina.expectError(t, "Unknown frame type")
	if err := gina.conn.Write(context.Background(), websocket.MessageText, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	gina.expectError(t, "not valid JSON")
	// valid JSON that is no frame says what is wrong with it
	for _, c := range []struct{ frame, want string }{
		{`{"type":"join","session":123}`, "In that frame, session must be a string"},
		{`{"type":"message","session":"` + support + `","content":123}`, "In that frame, content must be a string"},
		{`[1,2]`, "A frame is a JSON object"},
		{`"join"`, "A frame is a JSON object"},
		// refused as the same body over HTTP is (until 2026-12-07 the last
		// duplicate won, and a lone surrogate became U+FFFD)
		{`{"type":"message","session":"` + support + `","content":"a","content":"b"}`, `That frame is not valid JSON (duplicate object member name "content")`},
		{`{"type":"message","session":"` + support + `","content":"\ud800"}`, "That frame is not valid JSON (invalid surrogate pair"},
		{`{"type":"join","Session":7}`, "In that frame, Session must be a string"},
	} {
		if err := gina.conn.Write(context.Background(), websocket.MessageText, []byte(c.frame)); err != nil {
			t.Fatal(err)
		}
		gina.expectError(t, c.want)
	}
	if err := gina.conn.Write(context.Background(), websocket.MessageBinary, []byte(`{"type":"join"}`)); err != nil {
		t.Fatal(err)
	}
	gina.expectError(t, "text frames")

	bob := dialWS(t, base, testapp.Token(testapp.Bob))
	bob.join(t, closed)
	bob.send(t, frame{"type": "message", "session": closed, "content": "one more thing"})
	bob.expectError(t, "is closed")
	bob.send(t, frame{"type": "typing", "session": closed})
	bob.expectError(t, "is closed")
	bob.join(t, group)
	bob.send(t, frame{"type": "message", "session": group, "content": strings.Repeat("a", 2001)})
	bob.expectError(t, "content:")
	bob.send(t, frame{"type": "message", "session": group, "content": ""})
	bob.expectError(t, "content:")

	if n, _ := app.CountRecords("chats"); n != 5 {
		t.Fatalf("%d messages, want the 5 fixtures: a refusal saved something", n)
	}
	// each refusal was one frame: the answer to gina's next frame comes next
	gina.send(t, frame{"type": "sentinel", "session": support})
	gina.expectOnly(t, func(f frame) bool {
		msg, _ := f["message"].(string)
		return f["type"] == "error" && strings.Contains(msg, `"sentinel"`)
	})
}

func TestWSMessagesMeetSSEAndSDK(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, support)
	adamWS := dialWS(t, base, testapp.Token(testapp.Adam))
	adamWS.join(t, support)
	adamSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Adam), "chats/*")
	bobSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)

	// WebSocket → WebSocket (the sender too) and SSE
	aliceWS.send(t, frame{"type": "message", "session": support, "content": "안녕하세요, 아직 로그인이 안 돼요", "author": bob})
	for _, c := range []*wsClient{aliceWS, adamWS} {
		rec, _ := c.expect(t, "message")["record"].(map[string]any)
		if rec["author"] != alice || rec["session"] != support || rec["content"] != "안녕하세요, 아직 로그인이 안 돼요" || rec["is_visible"] != true {
			t.Fatalf("message frame record %v", rec)
		}
	}
	if rec := adamSSE.ExpectRecord(t, "chats/*"); rec["author"] != alice {
		t.Fatalf("SSE record %v", rec)
	}
	newest, err := app.FindRecordsByFilter("chats", "session = {:s}", "-created", 1, 0, map[string]any{"s": support})
	if err != nil || newest[0].GetString("author") != alice {
		t.Fatalf("saved message: %v %v", newest, err)
	}
	s, _ := app.FindRecordById("chat_sessions", support)
	if s.GetString("last_message_at") != newest[0].GetString("created") {
		t.Fatal("a WebSocket message did not update last_message_at")
	}

	// SDK → WebSocket
	id := post(t, base, testapp.Adam, support, "Which phone is it?")
	for _, c := range []*wsClient{aliceWS, adamWS} {
		if rec, _ := c.expect(t, "message")["record"].(map[string]any); rec["id"] != id {
			t.Fatalf("SDK message on WebSocket: %v", rec)
		}
	}
	adamSSE.ExpectRecord(t, "chats/*")

	// the server itself (dashboard, CLI) → WebSocket
	direct := saveMessage(t, app, "", support, adam, "Try clearing the cache.", true)
	if rec, _ := aliceWS.expect(t, "message")["record"].(map[string]any); rec["id"] != direct.Id {
		t.Fatalf("direct message on WebSocket: %v", rec)
	}
	adamWS.expect(t, "message")

	// a hidden message reaches its author only: bob's next message is the
	// visible one after it, on both transports; alice did not join the group
	// on her socket, which gets the support answer after both
	saveMessage(t, app, "", group, alice, "hidden by alice", false)
	visible := saveMessage(t, app, "", group, alice, "visible by alice", true)
	answer := post(t, base, testapp.Adam, support, "Anything else?")
	bobWS.expectOnly(t, isMessage(visible.Id))
	bobSSE.ExpectOnly(t, isRecord(visible.Id))
	aliceWS.expectOnly(t, isMessage(answer))
}

// TestWSInvalidUTF8: a text frame that is not UTF-8 gets an error frame and
// the close code RFC 6455 names (1007), and stores nothing; the JSON decoder
// would have stored it with U+FFFD in place of the bytes.
func TestWSInvalidUTF8(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	c := dialWS(t, base, testapp.Token(testapp.Alice))
	c.join(t, support)
	bad := []byte(`{"type":"message","session":"` + support + `","content":"caf` + "\xe9 \xff" + `"}`)
	if err := c.conn.Write(context.Background(), websocket.MessageText, bad); err != nil {
		t.Fatal(err)
	}
	c.expectError(t, "Text frames must be valid UTF-8")
	c.expectClosed(t, websocket.StatusInvalidFramePayloadData)
	if n, _ := app.CountRecords("chats"); n != 5 {
		t.Fatalf("%d messages, want the 5 fixtures", n)
	}
}

func TestWSOversizedFrame(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	c := dialWS(t, base, testapp.Token(testapp.Alice))
	c.join(t, support)
	c.send(t, frame{"type": "message", "session": support, "content": strings.Repeat("a", 9000)})
	c.expectError(t, "Frames are limited to 8192 bytes")
	c.expectClosed(t, websocket.StatusMessageTooBig)
	if n, _ := app.CountRecords("chats"); n != 5 {
		t.Fatalf("%d messages, want the 5 fixtures", n)
	}
}

// TestWSRateLimit: a flood of messages gets the rate-limit error frame for
// what the bucket refuses (its rates are bucket_test.go's), nothing of the
// refused is saved, and the connection stays open.
func TestWSRateLimit(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	c := dialWS(t, base, testapp.Token(testapp.Alice))
	c.join(t, group)
	// sent at once: 50 messages pass only if handling them takes 8 s
	const sent = 50
	for i := range sent {
		c.send(t, frame{"type": "message", "session": group, "content": fmt.Sprintf("flood %d", i)})
	}
	const tooFast = "You are sending messages too fast (at most 5 a second); this one was not sent, wait a moment and send it again."
	delivered, refused := 0, 0
	for delivered+refused < sent {
		f := c.expectOnly(t, func(f frame) bool { return f["type"] == "message" || f["type"] == "error" })
		if f["type"] == "message" {
			delivered++
		} else if f["message"] != tooFast {
			t.Fatalf("error frame %v", f)
		} else {
			refused++
		}
	}
	// the bucket starts full
	if delivered < 10 || refused == 0 {
		t.Fatalf("%d delivered, %d refused of %d sent at once", delivered, refused, sent)
	}
	if n, _ := app.CountRecords("chats"); int(n) != 5+delivered {
		t.Fatalf("%d messages saved, want %d", n-5, delivered)
	}
	// the connection stays open and usable
	c.join(t, support)
	if n := chat.ConnCount(app, alice); n != 1 {
		t.Fatalf("%d connections of alice after the flood, want 1", n)
	}
}

// TestWSFloodIsClosedAsAFlood: a client that sends frames far past the
// rates, while reading everything, is closed (1008) saying it sends too
// fast, not that it reads too slowly: until 2026-12-07 the refusals' own
// backlog closed it as "Too slow: messages were piling up".
func TestWSFloodIsClosedAsAFlood(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	c := dialWS(t, base, testapp.Token(testapp.Alice))
	c.join(t, group)
	for range 2000 {
		if c.conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"typing","session":"`+group+`"}`)) != nil {
			break // closed while sending: the flood was seen
		}
	}
	var last string
	for f := range c.frames {
		if f["type"] == "error" {
			last, _ = f["message"].(string)
		}
	}
	const flood = "You are sending frames far faster than allowed (5 messages and 10 other frames a second); reconnect and slow down."
	var ce websocket.CloseError
	if last != flood || !errors.As(c.err, &ce) || ce.Code != websocket.StatusPolicyViolation || !strings.HasPrefix(flood, ce.Reason) {
		t.Fatalf("last error frame %q, closed with %v, want 1008 %q", last, c.err, flood)
	}
}

func TestWSBanClosesTheSocket(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)
	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, group)

	r := testapp.Call(t, http.MethodPatch, base+"/api/collections/users/records/"+bob, testapp.Token(testapp.Adam),
		map[string]any{"banned": true, "ban_reason": "spam"})
	if r.Status != 200 {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	bobWS.expectError(t, "This account is banned permanently. Reason: spam")
	bobWS.expectClosed(t, websocket.StatusPolicyViolation)
	waitConns(t, app, bob, 0)
	post(t, base, testapp.Alice, group, "still here")
	aliceWS.expect(t, "message")
}

func TestWSLosingAccessClosesTheSocket(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)
	post(t, base, testapp.Alice, group, "before")
	bobWS.expect(t, "message")

	r := testapp.Call(t, http.MethodPatch, base+sessionsURL+"/"+group, testapp.Token(testapp.Alice),
		map[string]any{"members-": bob})
	if r.Status != 200 {
		t.Fatalf("removing bob: %d %s", r.Status, r.Raw)
	}
	bobWS.expectError(t, "no longer have access to chat "+group)
	bobWS.expectClosed(t, websocket.StatusPolicyViolation)

	// an admin demoted to member loses the support sessions
	adamWS := dialWS(t, base, testapp.Token(testapp.Adam))
	adamWS.join(t, support)
	adamRec, _ := app.FindRecordById("users", adam)
	adamRec.Set("role", "member")
	if err := app.Save(adamRec); err != nil {
		t.Fatal(err)
	}
	adamWS.expectError(t, "no longer have access to chat "+support)
	adamWS.expectClosed(t, websocket.StatusPolicyViolation)
}

func TestWSTyping(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, group)
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)
	adamWS := dialWS(t, base, testapp.Token(testapp.Adam))
	adamWS.join(t, support)
	aliceSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), chat.TypingTopic(group), testapp.SentinelTopic)
	ginaSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Gina), chat.TypingTopic(group), chat.TypingTopic(support), testapp.SentinelTopic)
	adamSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Adam), chat.TypingTopic(group), testapp.SentinelTopic)

	// WebSocket typing reaches the others over both transports
	bobWS.send(t, frame{"type": "typing", "session": group})
	f := aliceWS.expect(t, "typing")
	if user, _ := f["user"].(map[string]any); f["session"] != group || user["id"] != bob || user["name"] != "bob" {
		t.Fatalf("typing frame %v", f)
	}
	ev, ok := aliceSSE.Next(5 * time.Second)
	if user, _ := ev.Data["user"].(map[string]any); !ok || ev.Name != chat.TypingTopic(group) || user["id"] != bob {
		t.Fatalf("typing event %v", ev)
	}

	// SSE clients signal typing over HTTP
	r := testapp.Call(t, http.MethodPost, base+"/api/chat/sessions/"+group+"/typing", testapp.Token(testapp.Alice), nil)
	if r.Status != http.StatusNoContent {
		t.Fatalf("typing: %d %s", r.Status, r.Raw)
	}
	if user, _ := bobWS.expect(t, "typing")["user"].(map[string]any); user["id"] != alice {
		t.Fatalf("typing of %v", user)
	}
	// a second signal within a second is absorbed
	testapp.Call(t, http.MethodPost, base+"/api/chat/sessions/"+group+"/typing", testapp.Token(testapp.Alice), nil)

	r = testapp.Call(t, http.MethodPost, base+"/api/chat/sessions/"+support+"/typing", testapp.Token(testapp.Adam), nil)
	if r.Status != http.StatusNoContent {
		t.Fatalf("admin typing on support: %d %s", r.Status, r.Raw)
	}

	for _, refusal := range []struct {
		who, session string
		status       int
	}{
		{testapp.Gina, group, 404},
		{testapp.Adam, group, 404},
		{testapp.Bob, closed, 400},
		{"", group, 401},
		{testapp.Ben, group, 401},
	} {
		token := ""
		if refusal.who != "" {
			token = testapp.Token(refusal.who)
		}
		r := testapp.Call(t, http.MethodPost, base+"/api/chat/sessions/"+refusal.session+"/typing", token, nil)
		if r.Status != refusal.status {
			t.Errorf("%q typing in %s: %d %s, want %d", refusal.who, refusal.session, r.Status, r.Raw, refusal.status)
		}
	}

	// nobody hears their own typing, outsiders hear nothing, and alice's
	// second signal was absorbed: each client's next event is its sentinel
	sentinel := testapp.Sentinel(t, app)
	for _, c := range []*testapp.SSE{ginaSSE, adamSSE, aliceSSE} {
		c.ExpectOnly(t, sentinel)
	}
	inGroup := post(t, base, testapp.Bob, group, "a group message")
	inSupport := post(t, base, testapp.Alice, support, "a support message")
	aliceWS.expectOnly(t, isMessage(inGroup))
	bobWS.expectOnly(t, isMessage(inGroup))
	adamWS.expectOnly(t, isMessage(inSupport))
}

// TestTypingSkipsWhoBlocked: a member who blocked the typist hears no
// typing from them, over SSE or the WebSocket, as they get none of their
// messages; the typist's other readers still do.
func TestTypingSkipsWhoBlocked(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)
	if r := testapp.Call(t, http.MethodPost, base+"/api/collections/blocks/records", testapp.Token(testapp.Alice), map[string]any{"blocked": bob}); r.Status != 200 {
		t.Fatalf("alice blocking bob: %d %s", r.Status, r.Raw)
	}
	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, group)
	aliceSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), chat.TypingTopic(group), testapp.SentinelTopic)
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)

	// one signal reaches both transports (startTyping)
	if r := testapp.Call(t, http.MethodPost, base+"/api/chat/sessions/"+group+"/typing", testapp.Token(testapp.Bob), nil); r.Status != http.StatusNoContent {
		t.Fatalf("bob typing: %d %s", r.Status, r.Raw)
	}
	aliceSSE.ExpectOnly(t, testapp.Sentinel(t, app))
	own := post(t, base, testapp.Alice, group, "alice's own")
	aliceWS.expectOnly(t, isMessage(own))
	bobWS.expectOnly(t, isMessage(own))

	// alice's typing still reaches bob: the block is hers
	aliceWS.send(t, frame{"type": "typing", "session": group})
	if user, _ := bobWS.expect(t, "typing")["user"].(map[string]any); user["id"] != alice {
		t.Fatalf("bob heard the typing of %v", user)
	}
}

func TestWSSlowClientIsDropped(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	// a raw client that joins, then stops reading
	ctx := context.Background()
	slow, _, err := websocket.Dial(ctx, wsURL(base, ticketFor(t, base, testapp.Token(testapp.Bob))), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	var joined frame
	if err := wsjson.Write(ctx, slow, frame{"type": "join", "session": group}); err != nil {
		t.Fatal(err)
	}
	if err := wsjson.Read(ctx, slow, &joined); err != nil || joined["type"] != "joined" {
		t.Fatalf("join: %v %v", joined, err)
	}
	fast := dialWS(t, base, testapp.Token(testapp.Alice))
	fast.join(t, group)

	// 8 KB frames: more than the socket buffers (a few MB) and the queue hold
	const messages = 1000
	big := strings.Repeat("🙂", 2000)
	start := time.Now()
	for range messages {
		saveMessage(t, app, "", group, alice, big, true)
	}
	t.Logf("%d messages saved in %v", messages, time.Since(start))
	for i := range messages {
		if _, ok := fast.next(10 * time.Second); !ok {
			t.Fatalf("the fast client got %d of %d messages", i, messages)
		}
	}

	got := 0
	for {
		readCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		var f frame
		err := wsjson.Read(readCtx, slow, &f)
		cancel()
		if err != nil {
			t.Logf("the slow client read %d frames, then: %v", got, err)
			break
		}
		got++
	}
	if got >= messages {
		t.Fatalf("the slow client got all %d messages: it was not dropped", got)
	}
	waitConns(t, app, bob, 0)
}

func TestWSKeepAlive(t *testing.T) {
	app := testapp.New(t)
	chat.SetKeepAlive(app, 50*time.Millisecond, 100*time.Millisecond)
	withChats(t, app)
	base := testapp.Serve(t, app)

	// a client that reads answers the pings (the library does it) and stays
	var pings atomic.Int32
	alive := dialTicket(t, base, ticketFor(t, base, testapp.Token(testapp.Alice)), &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool { pings.Add(1); return true },
	})
	// a client that never reads never answers: the server hangs up on it
	ctx := context.Background()
	dead, _, err := websocket.Dial(ctx, wsURL(base, ticketFor(t, base, testapp.Token(testapp.Bob))), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.CloseNow()
	waitConns(t, app, bob, 0)

	// the server pings again only once the last pong came back: a third
	// ping shows two rounds answered in time
	for deadline := time.Now().Add(5 * time.Second); pings.Load() < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d pings in 5 s at one every 50 ms", pings.Load())
		}
	}
	if n := chat.ConnCount(app, alice); n != 1 {
		t.Fatalf("the live client was dropped (%d connections)", n)
	}
	alive.join(t, group)
}

func TestTypingFollowsRoleChanges(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	adamSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Adam), chat.TypingTopic(support), testapp.SentinelTopic)
	aliceSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), chat.TypingTopic(support))
	typing := func(who string) {
		t.Helper()
		r := testapp.Call(t, http.MethodPost, base+"/api/chat/sessions/"+support+"/typing", testapp.Token(who), nil)
		if r.Status != http.StatusNoContent {
			t.Fatalf("%s typing: %d %s", who, r.Status, r.Raw)
		}
	}
	typingOf := func(who string) func(testapp.Event) bool {
		return func(ev testapp.Event) bool {
			user, _ := ev.Data["user"].(map[string]any)
			return ev.Name == chat.TypingTopic(support) && user["id"] == testapp.ID(who)
		}
	}
	typing(testapp.Alice)
	adamSSE.ExpectOnly(t, typingOf(testapp.Alice))

	adamRec, _ := app.FindRecordById("users", adam)
	adamRec.Set("role", "member")
	if err := app.Save(adamRec); err != nil {
		t.Fatal(err)
	}
	// another admin types (alice's typing is absorbed for a second): alice
	// hears it, the demoted adam no longer does
	typing(testapp.Ada)
	aliceSSE.ExpectOnly(t, typingOf(testapp.Ada))
	adamSSE.ExpectOnly(t, testapp.Sentinel(t, app))
}

// TestWSEditsHidesAndDeletes: changes to a message reach joined sockets as
// update and delete frames — the hidden message's content only to who may
// still read it (its author; support admins), a bare delete to the others.
func TestWSEditsHidesAndDeletes(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, group)
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)
	patch := func(body map[string]any) {
		t.Helper()
		if r := testapp.Call(t, http.MethodPatch, base+chatsURL+"/"+groupMsg, testapp.Token(testapp.Bob), body); r.Status != http.StatusOK {
			t.Fatalf("bob editing: %d %s", r.Status, r.Raw)
		}
	}
	record := func(f frame) map[string]any {
		rec, _ := f["record"].(map[string]any)
		return rec
	}

	patch(map[string]any{"content": "hello alice!"})
	for _, c := range []*wsClient{aliceWS, bobWS} {
		if rec := record(c.expect(t, "update")); rec["id"] != groupMsg || rec["content"] != "hello alice!" {
			t.Fatalf("edit frame: %v", rec)
		}
	}

	patch(map[string]any{"is_visible": false})
	if rec := record(bobWS.expect(t, "update")); rec["id"] != groupMsg || rec["is_visible"] != false {
		t.Fatalf("the author's hide frame: %v", rec)
	}
	gone := aliceWS.expect(t, "delete")
	if rec := record(gone); rec["id"] != groupMsg || rec["content"] != nil || gone["session"] != group {
		t.Fatalf("hide seen by alice: %v", gone)
	}
	// bob edits it while hidden: alice hears nothing of it (until
	// 2026-12-04 each edit sent her another delete)
	patch(map[string]any{"content": "hidden, edited"})
	if rec := record(bobWS.expect(t, "update")); rec["content"] != "hidden, edited" {
		t.Fatalf("the author's edit of the hidden message: %v", rec)
	}

	if r := testapp.Call(t, http.MethodDelete, base+chatsURL+"/"+groupMsg, testapp.Token(testapp.Bob), nil); r.Status != http.StatusNoContent {
		t.Fatalf("bob deleting: %d %s", r.Status, r.Raw)
	}
	if rec := record(bobWS.expect(t, "delete")); rec["id"] != groupMsg {
		t.Fatalf("delete frame: %v", rec)
	}
	// the hidden message was already gone for her: no second delete, none
	// for the edit
	next := post(t, base, testapp.Bob, group, "a new message")
	aliceWS.expectOnly(t, isMessage(next))
}
