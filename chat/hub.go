package chat

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/realtime"
)

const hubStoreKey = "madang.chat.hub"

// maxCachedRooms bounds the rooms kept only for their access cache (no
// WebSocket joined: typing indicators for SSE clients).
const maxCachedRooms = 10_000

// hub is the WebSocket side of the chat: connections, the sessions they
// joined, and a cache of who may read each session.
//
// The cache holds the answer of the chat_sessions ViewRule (run by
// app.CanAccessRecord) per session and user, so that fanning a message out
// to N joined connections costs N map lookups, not N queries. The rules make
// "may read a visible message" the same as "may read its session"
// (pb_migrations/1795900200_chat.go), which is what allows one cached answer
// per session; hidden messages are checked against the chats ListRule itself.
// Answers are dropped when the session or the user changes, and not cached
// while a session update is being written (see beginWrite).
type hub struct {
	app     core.App
	tickets *tickets
	tasks   background                   // warm-ups and re-checks, off the requests
	handler atomic.Pointer[http.Handler] // the app's router, for dispatch.go

	// timings; tests shorten them (export_test.go)
	pingInterval time.Duration
	pingTimeout  time.Duration
	writeTimeout time.Duration

	mu      sync.Mutex
	rooms   map[string]*room          // session id → room
	users   map[string]map[*conn]bool // user id → open connections
	opening map[string]int            // user id → upgrades under way (reserve)
	writing map[*core.Record]string   // session saves in flight → session id
	pending map[string]int            // session id → saves in flight
	gen     uint64                    // bumped by every invalidation (changedLocked)
	warmed  map[authID]bool           // users whose warm-up (sse.go) stored its answers in this gen
	typing  map[string]time.Time      // session+user → last typing broadcast

	presence *presenceState // the presence lists last sent (presence.go)
}

type room struct {
	conns   map[*conn]bool
	allowed map[authID]bool // may read the session

	// users is the set of the users of conns, built by joinedUsers on its
	// first call after a join or leave and shared, read only, until the
	// next: every message to the session asks it.
	users map[string]bool
}

func newHub(app core.App) *hub {
	return &hub{
		app:          app,
		tickets:      newTickets(),
		tasks:        background{log: app.Logger().Error},
		pingInterval: 25 * time.Second,
		pingTimeout:  10 * time.Second,
		writeTimeout: 10 * time.Second,
		rooms:        map[string]*room{},
		users:        map[string]map[*conn]bool{},
		opening:      map[string]int{},
		writing:      map[*core.Record]string{},
		pending:      map[string]int{},
		warmed:       map[authID]bool{},
		typing:       map[string]time.Time{},
		presence:     newPresenceState(),
	}
}

func (h *hub) bind(app core.App) {
	app.OnRecordAfterCreateSuccess(Messages).BindFunc(func(e *core.RecordEvent) error {
		h.deliver(e.Record)
		return e.Next()
	})
	// In this order: a subscribe's presence answer (warmNow) is computed
	// inside bindSSE's hook, before it queues the same user's warm-up, which
	// then finds the user warm and costs nothing.
	h.bindSSE(app)
	h.bindPresence(app)

	app.OnRecordUpdateExecute(Sessions).BindFunc(func(e *core.RecordEvent) error {
		h.beginWrite(e.Record)
		return e.Next()
	})
	app.OnRecordAfterUpdateSuccess(Sessions).BindFunc(func(e *core.RecordEvent) error {
		h.endWrite(e.Record)
		// off the request: deliveries already ask the database again, this
		// only disconnects who lost access
		id := e.Record.Id
		h.tasks.do("recheck/"+id, func() { h.recheckSession(id) })
		return e.Next()
	})
	app.OnRecordAfterUpdateError(Sessions).BindFunc(func(e *core.RecordErrorEvent) error {
		h.endWrite(e.Record)
		return e.Next()
	})
	app.OnRecordAfterDeleteSuccess(Sessions).BindFunc(func(e *core.RecordEvent) error {
		h.sessionDeleted(e.Record.Id)
		return e.Next()
	})

	app.OnRecordAfterUpdateSuccess(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		h.userChanged(e.Record.Fresh())
		return e.Next()
	})
	realtime.OnUserSavedElsewhere(app, h.userChanged) // the CLI's bans and sign-outs
	app.OnRecordAfterDeleteSuccess(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		for _, c := range h.connsOf(e.Record.Id) {
			c.fail("Your account was deleted.", websocket.StatusPolicyViolation)
		}
		return e.Next()
	})
	app.OnCollectionAfterUpdateSuccess(Sessions, Messages, access.CollectionNameUsers).BindFunc(func(e *core.CollectionEvent) error {
		h.invalidate(func(string, *room) bool { return true }) // the rules may have changed
		return e.Next()
	})

	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		h.shutdown()
		return e.Next()
	})
}

// authID names an auth record in the access cache. A struct, not a joined
// string: every message asks the cache once per reader, and joining the
// names cost 1,000 allocations per message in a chat of 500 members.
type authID struct{ collection, id string }

func authKey(auth *core.Record) authID {
	return authID{auth.Collection().Name, auth.Id}
}

// mayRead answers the chat_sessions ViewRule for auth on the session,
// from the cache when it can.
func (h *hub) mayRead(sessionID string, auth *core.Record) bool {
	if auth == nil {
		return false
	}
	key := authKey(auth)
	h.mu.Lock()
	if r := h.rooms[sessionID]; r != nil && h.pending[sessionID] == 0 {
		if ok, found := r.allowed[key]; found {
			h.mu.Unlock()
			return ok
		}
	}
	gen := h.gen
	h.mu.Unlock()

	ok := h.checkSession(sessionID, auth)

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gen != gen || h.pending[sessionID] > 0 {
		return ok // something changed meanwhile: the answer may be stale
	}
	r := h.rooms[sessionID]
	if r == nil {
		if len(h.rooms) >= maxCachedRooms {
			for id, idle := range h.rooms { // start over with the rooms in use
				if len(idle.conns) == 0 {
					delete(h.rooms, id)
				}
			}
			clear(h.warmed) // their answers went with the rooms
			if len(h.rooms) >= maxCachedRooms {
				return ok
			}
		}
		r = &room{conns: map[*conn]bool{}, allowed: map[authID]bool{}}
		h.rooms[sessionID] = r
	}
	r.allowed[key] = ok
	return ok
}

// checkSession runs the chat_sessions ViewRule for auth, against the
// committed database.
func (h *hub) checkSession(sessionID string, auth *core.Record) bool {
	sessions, err := h.app.FindCachedCollectionByNameOrId(Sessions)
	if err != nil {
		return false
	}
	// CanAccessRecord needs only the id: it queries the stored row
	session := core.NewRecord(sessions)
	session.Id = sessionID
	ok, err := h.app.CanAccessRecord(session, liveRequest(auth), sessions.ViewRule)
	if err != nil {
		h.app.Logger().Warn("checking chat session access failed",
			slog.String("session", sessionID), slog.String("auth", auth.Id), slog.String("error", err.Error()))
	}
	return ok
}

func liveRequest(auth *core.Record) *core.RequestInfo {
	return &core.RequestInfo{Auth: auth, Method: http.MethodGet, Context: core.RequestInfoContextRealtime}
}

// beginWrite marks a session save in flight: until it commits or fails,
// access answers for the session come from the database, uncached.
func (h *hub) beginWrite(session *core.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writing[session] = session.Id
	h.pending[session.Id]++
}

func (h *hub) endWrite(session *core.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.writing[session]
	if !ok {
		return // failed before its write began
	}
	delete(h.writing, session)
	if h.pending[id]--; h.pending[id] <= 0 {
		delete(h.pending, id)
	}
	h.changedLocked()
	if r := h.rooms[id]; r != nil {
		clear(r.allowed)
	}
}

// changedLocked starts a new generation: answers being computed are not
// stored, and every user's warm-up is due again.
func (h *hub) changedLocked() {
	h.gen++
	clear(h.warmed)
}

// invalidate drops the cached answers of the rooms match selects.
func (h *hub) invalidate(match func(id string, r *room) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.changedLocked()
	for id, r := range h.rooms {
		if match(id, r) {
			clear(r.allowed)
			if len(r.conns) == 0 {
				delete(h.rooms, id)
			}
		}
	}
}

// deliver sends a new message to the connections that joined its session
// and may read it: one lock and a map lookup per connection when the
// answers are cached, the rule for the others.
func (h *hub) deliver(message *core.Record) {
	sessionID := message.GetString("session")
	frame, err := json.Marshal(serverFrame{Type: "message", Record: message.Fresh()})
	if err != nil {
		h.app.Logger().Error("encoding chat message failed", slog.String("id", message.Id), slog.String("error", err.Error()))
		return
	}
	f := factsOf(h.app, message)
	if !f.visible {
		for _, c := range h.roomConns(sessionID) {
			if h.canReadMessage(message, f, c.auth.Load()) {
				c.queue(frame)
			}
		}
		return
	}
	var allowed, unknown []*conn
	h.mu.Lock()
	if r := h.rooms[sessionID]; r != nil {
		cached := h.pending[sessionID] == 0
		allowed = make([]*conn, 0, len(r.conns)) // one array, not one per doubling
		for c := range r.conns {
			ok, found := r.allowed[authKey(c.auth.Load())]
			switch {
			case !cached || !found:
				unknown = append(unknown, c)
			case ok:
				allowed = append(allowed, c)
			}
		}
	}
	h.mu.Unlock()
	for _, c := range allowed {
		if !f.hidesAuthor(c.auth.Load()) {
			c.queue(frame)
		}
	}
	for _, c := range unknown {
		if auth := c.auth.Load(); h.mayRead(sessionID, auth) && !f.hidesAuthor(auth) {
			c.queue(frame)
		}
	}
}

// canReadMessage answers the chats ListRule for a WebSocket reader, the
// same way as for SSE subscribers (mayReadMessage): visible messages from
// the cached session answer, hidden ones (rare) through the rule.
func (h *hub) canReadMessage(message *core.Record, f facts, auth *core.Record) bool {
	return auth != nil && h.mayReadMessage(h.app, message, f, liveRequest(auth), message.Collection().ListRule)
}

// recheckSession re-asks the rule for everyone who joined a session after
// the session changed; who lost access is disconnected.
func (h *hub) recheckSession(sessionID string) {
	for _, c := range h.roomConns(sessionID) {
		auth := c.auth.Load()
		if h.mayRead(sessionID, auth) {
			continue
		}
		// deleting a user also takes them out of their chats: say why
		if _, err := h.app.FindRecordById(auth.Collection(), auth.Id); err != nil {
			c.fail("Your account was deleted.", websocket.StatusPolicyViolation)
		} else {
			c.fail("You no longer have access to chat "+sessionID+".", websocket.StatusPolicyViolation)
		}
	}
}

func (h *hub) sessionDeleted(sessionID string) {
	for _, c := range h.roomConns(sessionID) {
		h.leave(c, sessionID)
		c.sendError("Chat " + sessionID + " was deleted.")
	}
	h.invalidate(func(id string, _ *room) bool { return id == sessionID })
}

// userChanged follows a saved users record: a ban or a new token key (ban,
// password change) ends the user's connections, as it ends their tokens;
// any other change (role...) refreshes their auth and re-asks the rules,
// and the next presence round sends them their lists again (a block
// changes whom they see online, and comes here: blocks.go).
func (h *hub) userChanged(user *core.Record) {
	key := authKey(user)
	h.presence.markStale(user.Id)
	h.mu.Lock()
	h.changedLocked()
	for _, r := range h.rooms {
		delete(r.allowed, key)
	}
	h.mu.Unlock()
	for _, c := range h.connsOf(user.Id) {
		switch {
		case user.GetBool("banned"):
			c.fail(access.BanMessage(user), websocket.StatusPolicyViolation)
		case user.TokenKey() != c.tokenKey:
			c.fail("Your session has ended; please sign in again.", websocket.StatusPolicyViolation)
		default:
			c.auth.Store(user)
			for _, sessionID := range h.joinedBy(c) {
				if !h.mayRead(sessionID, user) {
					c.fail("You no longer have access to chat "+sessionID+".", websocket.StatusPolicyViolation)
					break
				}
			}
		}
	}
}

// reserve takes one of the user's maxConnsPerUser places for an upgrade
// about to start, or reports false when none is free. Counting the open
// connections and registering after the upgrade let concurrent upgrades
// all pass the count (24 at once were all accepted). register fills the
// place, release gives it back.
func (h *hub) reserve(userID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.users[userID])+h.opening[userID] >= maxConnsPerUser {
		return false
	}
	h.opening[userID]++
	return true
}

func (h *hub) release(userID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseLocked(userID)
}

func (h *hub) releaseLocked(userID string) {
	if h.opening[userID]--; h.opening[userID] <= 0 {
		delete(h.opening, userID)
	}
}

// register adds c, an upgrade reserve let through, to its user's connections.
func (h *hub) register(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseLocked(c.userID)
	if h.users[c.userID] == nil {
		h.users[c.userID] = map[*conn]bool{}
	}
	h.users[c.userID][c] = true
}

func (h *hub) unregister(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.users[c.userID], c)
	if len(h.users[c.userID]) == 0 {
		delete(h.users, c.userID)
	}
	for sessionID := range c.joined {
		h.leaveLocked(c, sessionID)
	}
}

func (h *hub) connCount(userID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.users[userID])
}

// Connections returns how many WebSocket bridge connections app holds now,
// for the operator's metrics (internal/metrics).
func Connections(app core.App) int {
	h, ok := app.Store().Get(hubStoreKey).(*hub)
	if !ok {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, conns := range h.users {
		n += len(conns)
	}
	return n
}

// join adds c to the session's room; it reports false when c already
// joined too many sessions.
func (h *hub) join(c *conn, sessionID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.joined[sessionID] {
		return true
	}
	if len(c.joined) >= maxJoinedSessions {
		return false
	}
	r := h.rooms[sessionID]
	if r == nil {
		r = &room{conns: map[*conn]bool{}, allowed: map[authID]bool{}}
		h.rooms[sessionID] = r
	}
	r.conns[c] = true
	r.users = nil
	c.joined[sessionID] = true
	return true
}

func (h *hub) leave(c *conn, sessionID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leaveLocked(c, sessionID)
}

func (h *hub) leaveLocked(c *conn, sessionID string) {
	delete(c.joined, sessionID)
	if r := h.rooms[sessionID]; r != nil {
		delete(r.conns, c)
		r.users = nil
		if len(r.conns) == 0 {
			delete(h.rooms, sessionID)
		}
	}
}

func (h *hub) hasJoined(c *conn, sessionID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return c.joined[sessionID]
}

func (h *hub) joinedBy(c *conn) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(c.joined))
	for id := range c.joined {
		ids = append(ids, id)
	}
	return ids
}

func (h *hub) roomConns(sessionID string) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[sessionID]
	if r == nil {
		return nil
	}
	conns := make([]*conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	return conns
}

// joinedUsers returns the users with a connection joined to sessionID,
// asked once for all the members of a message's session: asking for each
// member (a lock and two map walks each) took 0.75 ms a message in a
// 1,000-member chat, and building the set for each message 0.4 ms (S5
// profile). The set is the room's, shared until a join or leave: callers
// must not modify it.
func (h *hub) joinedUsers(sessionID string) map[string]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[sessionID]
	if r == nil {
		return nil
	}
	if r.users == nil {
		r.users = make(map[string]bool, len(r.conns))
		for c := range r.conns {
			r.users[c.userID] = true
		}
	}
	return r.users
}

func (h *hub) connsOf(userID string) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	conns := make([]*conn, 0, len(h.users[userID]))
	for c := range h.users[userID] {
		conns = append(conns, c)
	}
	return conns
}

// shutdown closes every connection when the app terminates: the HTTP
// server's graceful shutdown does not know hijacked connections.
func (h *hub) shutdown() {
	h.mu.Lock()
	var all []*conn
	for _, conns := range h.users {
		for c := range conns {
			all = append(all, c)
		}
	}
	h.mu.Unlock()
	for _, c := range all {
		c.fail("The server is restarting; reconnect in a moment.", websocket.StatusGoingAway)
	}
	// A connection's frames are handled on its own goroutine, outside the
	// HTTP server's graceful shutdown: a message being saved finishes before
	// the database closes. Sockets still open after the grace are cut.
	grace := time.NewTimer(shutdownGrace)
	defer grace.Stop()
	defer h.tasks.stop() // after the sockets: they read the database too
	for i, c := range all {
		select {
		case <-c.done:
		case <-grace.C:
			for _, rest := range all[i:] {
				rest.ws.CloseNow()
			}
			for _, rest := range all[i:] {
				<-rest.done
			}
			return
		}
	}
}

// shutdownGrace is how long shutdown waits for the sockets to close
// cleanly (the close handshake, a frame being handled).
const shutdownGrace = 3 * time.Second
