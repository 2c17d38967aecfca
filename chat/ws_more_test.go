package chat_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/chat"
	"madang/internal/testapp"
)

// usersURL is the users records API.
const usersURL = "/api/collections/users/records"

// frameRecord returns the record of a frame.
func frameRecord(f frame) map[string]any {
	rec, _ := f["record"].(map[string]any)
	return rec
}

// expectMessage waits for a message frame and checks its id and session.
func (c *wsClient) expectMessage(t testing.TB, id, session string) map[string]any {
	t.Helper()
	rec := frameRecord(c.expect(t, "message"))
	if rec["id"] != id || rec["session"] != session {
		t.Fatalf("message frame %v, want message %s of session %s", rec, id, session)
	}
	return rec
}

// expectClosedWith waits for an error frame saying one of messages, then
// for the server to close with code and that message as the close reason.
// Frames of other types before the error frame (a record change the same
// event caused) are skipped and logged.
func (c *wsClient) expectClosedWith(t testing.TB, code websocket.StatusCode, messages ...string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	var said string
	for said == "" {
		var f frame
		var ok bool
		select {
		case f, ok = <-c.frames:
		case <-deadline:
			t.Fatalf("no error frame %q: the connection stayed open", messages)
		}
		if !ok {
			t.Fatalf("the connection closed (%v) without the error frame %q", c.err, messages)
		}
		if f["type"] != "error" {
			t.Logf("frame before the error: %v", f)
			continue
		}
		said, _ = f["message"].(string)
		if !slices.Contains(messages, said) {
			t.Fatalf("error frame %q, want one of %q", said, messages)
		}
	}
	if len(messages) > 1 {
		t.Logf("error frame %q", said)
	}
	c.expectClosed(t, code)
	var ce websocket.CloseError
	if !errors.As(c.err, &ce) || ce.Reason != said {
		t.Fatalf("close reason %q (%v), want %q", ce.Reason, c.err, said)
	}
}

// joinPaced joins session, waiting out the join rate limit (10 a second
// after a burst of 20) instead of failing on it.
func (c *wsClient) joinPaced(t testing.TB, session string) {
	t.Helper()
	for {
		c.send(t, frame{"type": "join", "session": session})
		f, ok := c.next(5 * time.Second)
		switch {
		case !ok:
			t.Fatalf("joining %s: no answer (connection: %v)", session, c.err)
		case f["type"] == "joined" && f["session"] == session:
			return
		case f["type"] == "error" && strings.Contains(fmt.Sprint(f["message"]), "too fast"):
			time.Sleep(110 * time.Millisecond) // one token refills in 100ms
		default:
			t.Fatalf("joining %s: got %v", session, f)
		}
	}
}

// TestWSLeave: after a leave frame the connection gets no more messages of
// that session, but still those of the other sessions it joined; it may not
// send to the session it left, and may join it again.
func TestWSLeave(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, group)
	aliceWS.join(t, support)
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)

	// both joined: alice gets the group's messages
	id := post(t, base, testapp.Bob, group, "before the leave")
	aliceWS.expectMessage(t, id, group)
	bobWS.expectMessage(t, id, group)

	aliceWS.send(t, frame{"type": "leave", "session": group})
	// a leave has no answer; frames are handled in order, so this refusal
	// shows the leave was handled
	aliceWS.send(t, frame{"type": "message", "session": group, "content": "after leaving"})
	aliceWS.expectError(t, "Join chat "+group+" before sending to it.")

	id = post(t, base, testapp.Bob, group, "after the leave")
	bobWS.expectMessage(t, id, group) // it was delivered, to who is still joined
	// deliveries are queued during the create request, in order: a group
	// frame for alice would come before this support one, her sentinel
	reply := post(t, base, testapp.Adam, support, "alice still hears her support chat")
	aliceWS.expectOnly(t, isMessage(reply))

	// leaving twice, or a session never joined, is harmless
	aliceWS.send(t, frame{"type": "leave", "session": group})
	aliceWS.send(t, frame{"type": "leave", "session": closed})
	aliceWS.join(t, group)
	id = post(t, base, testapp.Bob, group, "welcome back")
	aliceWS.expectMessage(t, id, group)
	bobWS.expectMessage(t, id, group)
	if n, _ := app.CountRecords("chats", dbx.HashExp{"content": "after leaving"}); n != 0 {
		t.Fatal("a message to a session left was saved")
	}
}

// TestWSJoinLimit: a connection joins at most 100 sessions; the 101st join is
// refused with an error frame naming the limit and leaves the connection
// usable; leaving one makes room.
func TestWSJoinLimit(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	const limit = 100 // maxJoinedSessions
	sessions := make([]string, limit)
	err := app.RunInTransaction(func(tx core.App) error {
		for i := range sessions {
			sessions[i] = fmt.Sprintf("capsession%05d", i)
			saveSession(t, tx, sessions[i], fmt.Sprintf("chat %d", i), "group", alice, false)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	base := testapp.Serve(t, app)

	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	start := time.Now()
	for _, s := range sessions {
		aliceWS.joinPaced(t, s)
	}
	t.Logf("joined %d sessions in %v", limit, time.Since(start))
	time.Sleep(time.Second) // let the join rate limit refill

	aliceWS.send(t, frame{"type": "join", "session": support})
	aliceWS.expectError(t, "A connection can join at most 100 chats; leave one first.")
	// the refused join did not join
	aliceWS.send(t, frame{"type": "message", "session": support, "content": "am I in?"})
	aliceWS.expectError(t, "Join chat "+support)
	reply := post(t, base, testapp.Adam, support, "not for the full connection")
	// joining again a session already joined is no new join
	aliceWS.join(t, sessions[0])
	// the connection still works: a message to a joined session arrives
	// (and the support reply above did not)
	id := post(t, base, testapp.Alice, sessions[limit-1], "the last one")
	aliceWS.expectMessage(t, id, sessions[limit-1])

	// a second connection has its own limit
	second := dialWS(t, base, testapp.Token(testapp.Alice))
	second.join(t, support)

	aliceWS.send(t, frame{"type": "leave", "session": sessions[0]})
	aliceWS.join(t, support)
	reply = post(t, base, testapp.Adam, support, "now you are in")
	aliceWS.expectMessage(t, reply, support)
	second.expectMessage(t, reply, support)
	// and it came once: the next frame is the next message
	id = post(t, base, testapp.Alice, sessions[limit-1], "the last one again")
	aliceWS.expectOnly(t, isMessage(id))
}

// TestWSConnectionLimit: a user holds at most 16 WebSockets; the 17th is
// refused before the upgrade with 429, other users are not affected, and
// closing one makes room.
func TestWSConnectionLimit(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	const limit = 16 // maxConnsPerUser
	conns := make([]*wsClient, limit)
	for i := range conns {
		conns[i] = dialWS(t, base, testapp.Token(testapp.Alice))
	}
	// the server registers a connection just after the handshake
	waitConns(t, app, alice, limit)

	refusedDial(t, base, ticketFor(t, base, testapp.Token(testapp.Alice)), http.StatusTooManyRequests,
		"You have too many chat connections open; close one first.")
	waitConns(t, app, alice, limit)

	// another user is not limited by alice's connections
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)

	// the open connections all work
	conns[0].join(t, group)
	conns[limit-1].join(t, group)
	id := post(t, base, testapp.Bob, group, "to all of alice's tabs")
	for _, c := range []*wsClient{conns[0], conns[limit-1], bobWS} {
		c.expectMessage(t, id, group)
	}

	conns[3].conn.Close(websocket.StatusNormalClosure, "")
	waitConns(t, app, alice, limit-1)
	again := dialWS(t, base, testapp.Token(testapp.Alice))
	again.join(t, support)
	waitConns(t, app, alice, limit)
}

// TestWSPasswordChangeClosesTheSocket: a password change rotates the user's
// token key, which ends their WebSockets, as it ends their tokens; other
// users' sockets stay, and the new password opens a new one.
func TestWSPasswordChangeClosesTheSocket(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, group)
	aliceIdle := dialWS(t, base, testapp.Token(testapp.Alice)) // joined nothing
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)
	unused := ticketFor(t, base, testapp.Token(testapp.Alice))

	const newPassword = "a-new-password-456"
	r := testapp.Call(t, http.MethodPatch, base+usersURL+"/"+alice, testapp.Token(testapp.Alice), map[string]any{
		"oldPassword": testapp.Password, "password": newPassword, "passwordConfirm": newPassword,
	})
	if r.Status != http.StatusOK {
		t.Fatalf("changing the password: %d %s", r.Status, r.Raw)
	}
	const ended = "Your session has ended; please sign in again."
	aliceWS.expectClosedWith(t, websocket.StatusPolicyViolation, ended)
	aliceIdle.expectClosedWith(t, websocket.StatusPolicyViolation, ended)
	waitConns(t, app, alice, 0)

	// a ticket issued before the change is dead too
	refusedDial(t, base, unused, http.StatusUnauthorized, "not valid")

	// bob's socket is untouched
	id := post(t, base, testapp.Bob, group, "still here")
	bobWS.expectMessage(t, id, group)

	// a token issued after the change opens a new one (minted here: signing
	// in costs two bcrypt rounds, seconds under -race)
	fresh, err := app.FindRecordById("users", alice)
	if err != nil {
		t.Fatal(err)
	}
	token, err := fresh.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	again := dialWS(t, base, token)
	again.join(t, group)
	id = post(t, base, testapp.Bob, group, "welcome back")
	again.expectMessage(t, id, group)
}

// TestWSAccountDeletionClosesTheSocket: deleting a user's account, by the
// user or by a superuser, ends their WebSockets.
func TestWSAccountDeletionClosesTheSocket(t *testing.T) {
	const deleted = "Your account was deleted."

	t.Run("by the user", func(t *testing.T) {
		app := testapp.New(t)
		withChats(t, app)
		base := testapp.Serve(t, app)

		bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
		bobWS.join(t, closed) // his own support session: admins still reach it
		bobIdle := dialWS(t, base, testapp.Token(testapp.Bob))
		aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
		aliceWS.join(t, support)

		r := testapp.Call(t, http.MethodDelete, base+usersURL+"/"+bob, testapp.Token(testapp.Bob), nil)
		if r.Status != http.StatusNoContent {
			t.Fatalf("bob deleting his account: %d %s", r.Status, r.Raw)
		}
		// Deleting bob also removes him from the closed session's members
		// and owner; the hub's re-check of that session may end bob's socket
		// first, and it too must say the account is gone.
		bobWS.expectClosedWith(t, websocket.StatusPolicyViolation, deleted)
		bobIdle.expectClosedWith(t, websocket.StatusPolicyViolation, deleted)
		waitConns(t, app, bob, 0)

		id := post(t, base, testapp.Adam, support, "alice is not affected")
		aliceWS.expectMessage(t, id, support)
	})

	t.Run("by a superuser", func(t *testing.T) {
		app := testapp.New(t)
		withChats(t, app)
		base := testapp.Serve(t, app)

		ginaWS := dialWS(t, base, testapp.Token(testapp.Gina))
		adamWS := dialWS(t, base, testapp.Token(testapp.Adam))
		adamWS.join(t, support)

		r := testapp.Call(t, http.MethodDelete, base+usersURL+"/"+gina, testapp.Token("root"), nil)
		if r.Status != http.StatusNoContent {
			t.Fatalf("root deleting gina: %d %s", r.Status, r.Raw)
		}
		ginaWS.expectClosedWith(t, websocket.StatusPolicyViolation, deleted)
		waitConns(t, app, gina, 0)
		// gina's deletion sent adam nothing: his next frame is a support message
		id := post(t, base, testapp.Alice, support, "adam is not affected")
		adamWS.expectOnly(t, isMessage(id))
		if n := chat.ConnCount(app, adam); n != 1 {
			t.Fatalf("adam has %d connections after gina's deletion, want 1", n)
		}
	})
}

// TestWSShutdownClosesTheSockets: when the app terminates (PocketBase
// triggers OnTerminate on SIGINT/SIGTERM and before a restart), every
// WebSocket gets an error frame and a going-away close (1001), so clients
// know to reconnect.
func TestWSShutdownClosesTheSockets(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, support)
	aliceIdle := dialWS(t, base, testapp.Token(testapp.Alice))
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)
	adamWS := dialWS(t, base, testapp.Token(testapp.Adam))
	adamWS.join(t, support)
	waitConns(t, app, alice, 2)

	// as pocketbase.go does after the command ends; the bootstrap is left for
	// app.Cleanup to clear
	event := new(core.TerminateEvent)
	event.App = app
	if err := app.OnTerminate().Trigger(event); err != nil {
		t.Fatal(err)
	}

	const restarting = "The server is restarting; reconnect in a moment."
	for _, c := range []*wsClient{aliceWS, aliceIdle, bobWS, adamWS} {
		c.expectClosedWith(t, websocket.StatusGoingAway, restarting)
	}
	for _, u := range []string{alice, bob, adam} {
		waitConns(t, app, u, 0)
	}
}

// TestWSShutdownWaitsForAMessageBeingSaved: a message frame still being
// handled when the app terminates is saved before terminate reaches the
// database's close (PocketBase's finalizer closes it). The save is held
// until the client has the restart notice, which terminate sends first.
func TestWSShutdownWaitsForAMessageBeingSaved(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)
	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, support)

	entered, release, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	app.OnRecordCreate(chat.Messages).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("content") != "saved at shutdown" {
			return e.Next()
		}
		var err error
		once.Do(func() {
			close(entered)
			select {
			case <-release:
			case <-time.After(10 * time.Second):
				err = errors.New("the client never got the restart notice")
				finished <- err
				return
			}
			if err = e.Next(); err == nil {
				_, err = app.FindRecordById(chat.Messages, e.Record.Id)
			}
			finished <- err
		})
		return err
	})
	aliceWS.send(t, frame{"type": "message", "session": support, "content": "saved at shutdown"})
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the message frame was never handled")
	}
	notified := make(chan struct{})
	go func() {
		defer close(notified)
		for f := range aliceWS.frames {
			if f["type"] == "error" {
				close(release)
				break
			}
		}
		for range aliceWS.frames { // to the close
		}
	}()

	testapp.FinishesBeforeClose(t, app, finished, "saving a message frame")
	<-notified
	if code := websocket.CloseStatus(aliceWS.err); code != websocket.StatusGoingAway {
		t.Fatalf("closed with %v, want going away (%v)", code, aliceWS.err)
	}
}

// TestWSSuperuserMessage: a superuser (the dashboard) creates a message in
// any session through the records API, naming its author; it is saved with
// that author and reaches the joined WebSockets and the SSE subscribers.
func TestWSSuperuserMessage(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	aliceWS := dialWS(t, base, testapp.Token(testapp.Alice))
	aliceWS.join(t, support)
	adamWS := dialWS(t, base, testapp.Token(testapp.Adam))
	adamWS.join(t, support)
	bobWS := dialWS(t, base, testapp.Token(testapp.Bob))
	bobWS.join(t, group)
	aliceSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "chats/*")
	adaSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Ada), "chats/*")
	bobSSE := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*")

	const content = "운영팀입니다. The team had a look at your account."
	r := testapp.Call(t, http.MethodPost, base+chatsURL, testapp.Token("root"),
		map[string]any{"session": support, "author": adam, "content": content})
	if r.Status != http.StatusOK {
		t.Fatalf("root creating a message: %d %s", r.Status, r.Raw)
	}
	id, _ := r.Body["id"].(string)
	if r.Body["author"] != adam || r.Body["is_visible"] != true {
		t.Fatalf("created record %s", r.Raw)
	}

	for _, c := range []*wsClient{aliceWS, adamWS} {
		if rec := c.expectMessage(t, id, support); rec["author"] != adam || rec["content"] != content || rec["is_visible"] != true {
			t.Fatalf("message frame %v", rec)
		}
	}
	for _, c := range []*testapp.SSE{aliceSSE, adaSSE} {
		if rec := c.ExpectRecord(t, "chats/*"); rec["id"] != id || rec["author"] != adam || rec["content"] != content {
			t.Fatalf("SSE record %v", rec)
		}
	}
	saved, err := app.FindRecordById("chats", id)
	if err != nil || saved.GetString("author") != adam || saved.GetString("content") != content || !saved.GetBool("is_visible") {
		t.Fatalf("saved message %v %v", saved, err)
	}
	if s, _ := app.FindRecordById("chat_sessions", support); s.GetString("last_message_at") != saved.GetString("created") {
		t.Fatal("a superuser's message did not update last_message_at")
	}

	// another session, with another author of the superuser's choice
	r = testapp.Call(t, http.MethodPost, base+chatsURL, testapp.Token("root"),
		map[string]any{"session": group, "author": alice, "content": "written for alice"})
	if r.Status != http.StatusOK || r.Body["author"] != alice {
		t.Fatalf("root writing in the group: %d %s", r.Status, r.Raw)
	}
	if rec := bobWS.expectMessage(t, r.Body["id"].(string), group); rec["author"] != alice {
		t.Fatalf("group frame %v", rec)
	}
	if rec := bobSSE.ExpectRecord(t, "chats/*"); rec["id"] != r.Body["id"] {
		t.Fatalf("bob's SSE record %v", rec)
	}
	if rec := aliceSSE.ExpectRecord(t, "chats/*"); rec["id"] != r.Body["id"] {
		t.Fatalf("alice's SSE record %v", rec)
	}

	// who may not read a session hears nothing of it: the next message of a
	// session they read is the next thing they get
	inGroup := post(t, base, testapp.Bob, group, "back to the group")
	inSupport := post(t, base, testapp.Alice, support, "back to support")
	bobWS.expectOnly(t, isMessage(inGroup))
	bobSSE.ExpectOnly(t, isRecord(inGroup))
	aliceWS.expectOnly(t, isMessage(inSupport))
	adamWS.expectOnly(t, isMessage(inSupport))
	adaSSE.ExpectOnly(t, isRecord(inSupport))
}
