package chat

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/realtime"
)

// typingEvery is how often one user's typing in one session is broadcast at
// most; more frequent signals are absorbed (clients send one every few
// seconds while the user types).
const typingEvery = time.Second

// typingEvent is the data of a typing indicator on the SSE topic
// chat_typing/{sessionId}.
type typingEvent struct {
	Session string    `json:"session"`
	User    frameUser `json:"user"`
}

// typingRequest answers POST /api/chat/sessions/{id}/typing with 204.
func (h *hub) typingRequest(e *core.RequestEvent) error {
	err := h.startTyping(e.Request.PathValue("id"), e.Auth)
	if err != nil {
		return apiError(err)
	}
	return e.NoContent(http.StatusNoContent)
}

// startTyping tells the session's other participants that user is typing:
// SSE clients subscribed to the session's typing topic and WebSocket
// clients that joined it, each only if the rules let them read the session
// and, unless they are admins, they did not block user (whose messages they
// do not get either: access.HidesAuthor).
// Typing indicators are not stored.
func (h *hub) startTyping(sessionID string, user *core.Record) error {
	if !h.mayRead(sessionID, user) {
		return errNoSession(sessionID)
	}
	session, err := h.app.FindRecordById(Sessions, sessionID)
	if err != nil {
		return errNoSession(sessionID)
	}
	if session.GetBool("is_closed") {
		return errClosed(sessionID)
	}
	if !h.typingDue(sessionID, user.Id) {
		return nil
	}
	who := frameUser{ID: user.Id, Name: user.GetString("name")}

	data, err := json.Marshal(typingEvent{Session: sessionID, User: who})
	if err != nil {
		return err
	}
	hides := access.AuthorHider(h.app, user.Id) // who blocked the typer, read once for every reader
	realtime.Publish(h.app, TypingTopic(sessionID), func(auth *core.Record) []byte {
		if auth == nil || auth.Id == user.Id || !h.mayRead(sessionID, auth) || hides(auth) {
			return nil
		}
		return data
	})

	frame := encodeFrame(serverFrame{Type: "typing", Session: sessionID, User: &who})
	for _, c := range h.roomConns(sessionID) {
		if auth := c.auth.Load(); c.userID != user.Id && h.mayRead(sessionID, auth) && !hides(auth) {
			c.queue(frame)
		}
	}
	return nil
}

// typingDue reports whether user's typing in session may be broadcast now,
// and if so records it.
func (h *hub) typingDue(sessionID, userID string) bool {
	key := sessionID + "/" + userID
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if last, ok := h.typing[key]; ok && now.Sub(last) < typingEvery {
		return false
	}
	if len(h.typing) >= 10_000 { // forget the stale entries now and then
		for k, last := range h.typing {
			if now.Sub(last) >= typingEvery {
				delete(h.typing, k)
			}
		}
	}
	h.typing[key] = now
	return true
}
