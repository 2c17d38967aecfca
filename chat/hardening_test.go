package chat_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"madang/chat"
	"madang/internal/testapp"
)

// TestChatAuthorsCannotUndoAModeratorsHide: an admin hides a message in a
// support chat; its author can no longer show it again (the rules refuse,
// nothing changes), though they may still hide their own messages.
func TestChatAuthorsCannotUndoAModeratorsHide(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice := testapp.ID(testapp.Alice)
	session := testapp.SaveRecord(t, app, chat.Sessions, map[string]any{"name": "help", "kind": "support", "owner": alice})
	msg := testapp.SaveRecord(t, app, chat.Messages, map[string]any{"session": session.Id, "author": alice, "content": "rude words", "is_visible": true})
	own := testapp.SaveRecord(t, app, chat.Messages, map[string]any{"session": session.Id, "author": alice, "content": "typo", "is_visible": true})
	url := base + "/api/collections/chats/records/"

	if r := testapp.Call(t, http.MethodPatch, url+msg.Id, testapp.Token(testapp.Adam), map[string]any{"is_visible": false}); r.Status != 200 {
		t.Fatalf("the admin hiding: %d %s", r.Status, r.Raw)
	}
	snap := testapp.TakeSnapshot(t, app, "chats")
	if r := testapp.Call(t, http.MethodPatch, url+msg.Id, testapp.Token(testapp.Alice), map[string]any{"is_visible": true}); r.Status != 404 {
		t.Fatalf("the author showing a hidden message again: %d %s", r.Status, r.Raw)
	}
	snap.AssertUnchanged(t, app)
	if r := testapp.Call(t, http.MethodPatch, url+own.Id, testapp.Token(testapp.Alice), map[string]any{"is_visible": false}); r.Status != 200 {
		t.Fatalf("the author hiding their own message: %d %s", r.Status, r.Raw)
	}
	if r := testapp.Call(t, http.MethodPatch, url+msg.Id, testapp.Token(testapp.Adam), map[string]any{"is_visible": true}); r.Status != 200 {
		t.Fatalf("the admin showing it again: %d %s", r.Status, r.Raw)
	}
}

// TestBlankChatIsRefused: a message or a session name of only whitespace
// is refused (400 naming the field), over HTTP and over the WebSocket.
func TestBlankChatIsRefused(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice := testapp.ID(testapp.Alice)
	session := testapp.SaveRecord(t, app, chat.Sessions, map[string]any{"name": "help", "kind": "support", "owner": alice})
	snap := testapp.TakeSnapshot(t, app, "chats", "chat_sessions")
	r := testapp.Call(t, http.MethodPost, base+"/api/collections/chats/records", testapp.Token(testapp.Alice),
		map[string]any{"session": session.Id, "content": " \n\t "})
	if code, _ := r.Body["data"].(map[string]any)["content"].(map[string]any)["code"]; r.Status != 400 || code != "validation_required" {
		t.Fatalf("a blank message: %d %s", r.Status, r.Raw)
	}
	r = testapp.Call(t, http.MethodPost, base+"/api/collections/chat_sessions/records", testapp.Token(testapp.Alice),
		map[string]any{"name": "   ", "kind": "support"})
	if r.Status != 400 || r.Body["data"].(map[string]any)["name"] == nil {
		t.Fatalf("a blank session name: %d %s", r.Status, r.Raw)
	}
	snap.AssertUnchanged(t, app)
}

// TestTicketsAreLimitedPerUser: one user asking for tickets in a loop is
// refused (429) after chat.TicketsPerUser in a minute, and only that user:
// another user still gets a ticket and opens a WebSocket with it.
func TestTicketsAreLimitedPerUser(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	for i := range chat.TicketsPerUser {
		if r := testapp.Call(t, http.MethodPost, base+"/api/chat/ticket", testapp.Token(testapp.Alice), nil); r.Status != 200 {
			t.Fatalf("ticket %d: %d %s", i+1, r.Status, r.Raw)
		}
	}
	if r := testapp.Call(t, http.MethodPost, base+"/api/chat/ticket", testapp.Token(testapp.Alice), nil); r.Status != 429 {
		t.Fatalf("ticket %d: %d %s, want 429", chat.TicketsPerUser+1, r.Status, r.Raw)
	}
	r := testapp.Call(t, http.MethodPost, base+"/api/chat/ticket", testapp.Token(testapp.Bob), nil)
	if r.Status != 200 {
		t.Fatalf("bob's ticket while alice floods: %d %s", r.Status, r.Raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/chat/ws?ticket="+r.Body["ticket"].(string), nil)
	if err != nil {
		t.Fatalf("bob's WebSocket while alice floods: %v", err)
	}
	ws.CloseNow()
}
