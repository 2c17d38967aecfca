package chat

import (
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Test seams for chat_test. This file is in package chat but imports
// nothing of Madang, so internal/testapp (which imports chat) stays usable
// from chat_test.

func hubOf(app core.App) *hub {
	return app.Store().Get(hubStoreKey).(*hub)
}

// IssueTicket signs a ticket for user valid for ttl from now (negative:
// already expired), as POST /api/chat/ticket does.
func IssueTicket(app core.App, user *core.Record, ttl time.Duration) string {
	ticket, _, err := hubOf(app).tickets.issue(user, ttl)
	if err != nil {
		panic(err)
	}
	return ticket
}

// SetKeepAlive changes the ping interval and pong timeout of the
// connections app opens from now on.
func SetKeepAlive(app core.App, interval, timeout time.Duration) {
	h := hubOf(app)
	h.pingInterval, h.pingTimeout = interval, timeout
}

// ConnCount returns how many WebSocket connections of userID app holds.
func ConnCount(app core.App, userID string) int {
	return hubOf(app).connCount(userID)
}

// CachedAccess reports the hub's cached answer of whether userID may read
// sessionID, and whether there is one.
func CachedAccess(app core.App, sessionID, userID string) (allowed, cached bool) {
	h := hubOf(app)
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[sessionID]
	if r == nil {
		return false, false
	}
	allowed, cached = r.allowed[authID{"users", userID}]
	return allowed, cached
}

// RunInBackground queues run on the hub's background runner, as the hub
// queues its warm-ups and re-checks.
func RunInBackground(app core.App, run func()) {
	hubOf(app).tasks.do("", run)
}

// WaitBackground returns once the hub's background runner has no work
// queued or running, or false after timeout.
func WaitBackground(app core.App, timeout time.Duration) bool {
	return hubOf(app).tasks.idleWithin(timeout)
}

// idleWithin returns once b has no work queued or running, or false after
// timeout.
func (b *background) idleWithin(timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b.mu.Lock()
		idle := b.workers == 0 && len(b.queue) == 0
		b.mu.Unlock()
		if idle {
			return true
		}
	}
	return false
}

// PublishPresence runs a presence round now, as the server does every
// PresenceEvery; it returns once that round's events are queued, and
// after any round under way (rounds take turns).
func PublishPresence(app core.App) {
	hubOf(app).publishPresence()
}

// PrepareMessageEvents decides and encodes the SSE events of message's
// creation for every subscriber, as the create does after its commit, and
// discards them: the part of a message's fan-out that runs on its request.
func PrepareMessageEvents(app core.App, message *core.Record) {
	hubOf(app).prepareSSE(app, "create", message).Discard()
}
