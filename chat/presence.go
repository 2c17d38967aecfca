package chat

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/realtime"
)

// PresenceEvery is how often the members online in each followed chat are
// recomputed; an event goes out only when the list changed.
const PresenceEvery = 2 * time.Second

// PresenceTopic returns the realtime topic on which a session's readers
// receive who of its members is online: {"online": [{id, name}], "count": n}.
func PresenceTopic(sessionID string) string { return "chat_presence/" + sessionID }

// PresenceListMax caps how many members a presence event names; count is
// every member online. A list of every member online went, whole, to every
// reader on each change: in a 1,000-member chat open in 500 tabs that was
// 45 KB × 500 every two seconds, and the fan-out benchmark's p99 was that
// burst (one stall of 100–400 ms per run, every message behind it).
const PresenceListMax = 50

// presence is a presence event: Online names the first PresenceListMax
// members online by name (then id), Count is how many are.
type presence struct {
	Online []frameUser `json:"online"`
	Count  int         `json:"count"`
}

// presenceState remembers the last list sent per session.
type presenceState struct {
	mu   sync.Mutex
	last map[string][]byte // session id → the last payload sent
}

// current returns the list last sent to sessionID's readers, or, when none
// was, computes one with of and keeps it as the last sent: the subscriber
// that asks gets it, and the publisher sends the next list that differs
// from it to every reader. It used to compute a list for each subscriber
// until the publisher's first round: 1,000 members opening a chat at
// once computed up to 1,000 lists of 1,000 members, whose garbage the
// server's memory kept (S5: about 13 KB per connection).
func (s *presenceState) current(sessionID string, of func(string) ([]byte, error)) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if data := s.last[sessionID]; data != nil {
		return data, nil
	}
	data, err := of(sessionID)
	if err != nil {
		return nil, err
	}
	s.last[sessionID] = data
	return data, nil
}

// bindPresence: a member is online while they hold a realtime connection
// (SSE, signed in) or a chat WebSocket. A subscriber to a session's
// presence topic gets the list at once, then every change, if and only if
// they may read the session.
func (h *hub) bindPresence(app core.App) {
	state := &presenceState{last: map[string][]byte{}}
	app.OnRealtimeSubscribeRequest().BindFunc(func(e *core.RealtimeSubscribeRequestEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		warmed := false
		for _, s := range e.Subscriptions {
			topic, _, _ := strings.Cut(s, "?")
			id, ok := strings.CutPrefix(topic, "chat_presence/")
			if !ok || e.Auth == nil {
				continue
			}
			if !warmed && !e.HasSuperuserAuth() {
				h.warmNow(e.Auth) // the chat view's subscribe: mayRead below finds the answer
				warmed = true
			}
			if !h.mayRead(id, e.Auth) {
				continue
			}
			// the list last sent to the session's readers, if any: at most
			// PresenceEvery old, and the next change reaches this subscriber
			// too (a thousand members opening a chat compute it once)
			data, err := state.current(id, h.presenceOf)
			if err != nil {
				continue
			}
			realtime.SendTo(e.Client, s, data)
		}
		return nil
	})
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		realtime.Every(app, PresenceEvery, func() { h.publishPresence(state) })
		return e.Next()
	})
}

// publishPresence sends each followed session's list to its readers, when
// it changed since the last time.
func (h *hub) publishPresence(state *presenceState) {
	var followed []string
	for _, topic := range realtime.FollowedTopics(h.app, "chat_presence/") {
		followed = append(followed, strings.TrimPrefix(topic, "chat_presence/"))
	}
	state.mu.Lock()
	defer state.mu.Unlock()
	for id := range state.last {
		if !slices.Contains(followed, id) {
			delete(state.last, id)
		}
	}
	for _, id := range followed {
		data, err := h.presenceOf(id)
		if err != nil || bytes.Equal(state.last[id], data) {
			continue
		}
		state.last[id] = data
		realtime.Publish(h.app, PresenceTopic(id), data, func(auth *core.Record) bool {
			return auth != nil && h.mayRead(id, auth)
		})
	}
}

// presenceOf encodes who of sessionID's members is online now, in two
// queries whatever the members: it used to load each online member's
// record, a thousand queries every PresenceEvery for a busy chat and on
// every subscribe (the fan-out benchmark's latency spikes every two
// seconds, and 500,000 queries to open a 1,000-member chat in 500 tabs).
// It names at most PresenceListMax of them.
func (h *hub) presenceOf(sessionID string) ([]byte, error) {
	_, ids, err := SessionMembers(h.app, sessionID)
	if err != nil {
		return nil, err
	}
	online := realtime.Online(h.app)
	h.mu.Lock()
	for id := range h.users {
		online[id] = true
	}
	h.mu.Unlock()
	ids = slices.DeleteFunc(ids, func(id string) bool { return !online[id] })
	p := presence{Online: []frameUser{}, Count: len(ids)}
	if len(ids) > 0 {
		list, err := json.Marshal(ids)
		if err != nil {
			return nil, err
		}
		err = h.app.DB().Select("id", "name").From(access.CollectionNameUsers).
			Where(dbx.NewExp("[[id]] IN (SELECT [[value]] FROM json_each({:ids}))", dbx.Params{"ids": string(list)})).
			OrderBy("name", "id").Limit(PresenceListMax).All(&p.Online)
		if err != nil {
			return nil, err
		}
	}
	return json.Marshal(p)
}
