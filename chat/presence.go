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

// presenceState remembers, per session, the list last sent to its readers,
// and whom to send theirs again at the next round.
type presenceState struct {
	mu   sync.Mutex
	last map[string]*presenceList // session id → the list last sent

	staleMu sync.Mutex
	stale   map[string]bool // users whose blocks or role changed since the last round
}

func newPresenceState() *presenceState {
	return &presenceState{last: map[string]*presenceList{}, stale: map[string]bool{}}
}

// markStale has the next round send user their lists again: whom they
// blocked, or whether they are an admin, changes what they get
// (access.HiddenAuthors) though nobody came or went.
func (s *presenceState) markStale(user string) {
	s.staleMu.Lock()
	s.stale[user] = true
	s.staleMu.Unlock()
}

// takeStale returns the users marked stale, and starts a new set.
func (s *presenceState) takeStale() map[string]bool {
	s.staleMu.Lock()
	defer s.staleMu.Unlock()
	stale := s.stale
	s.stale = map[string]bool{}
	return stale
}

// current returns, for a reader from whom the read rules hide the members
// in hidden, the list last sent to sessionID's readers, or, when none
// was, computes one with of and keeps it as the last sent: the subscriber
// that asks gets it, and the publisher sends the next list that differs
// from it to every reader. It used to compute a list for each subscriber
// until the publisher's first round: 1,000 members opening a chat at
// once computed up to 1,000 lists of 1,000 members, whose garbage the
// server's memory kept (S5: about 13 KB per connection).
//
// When the session's members changed since the list last sent was
// computed, the subscriber gets a list of its own, not kept: the readers
// still have the last sent, and the publisher's next round sends them the
// change. Until 2026-12-07 a member removed in the last PresenceEvery was
// shown online to the next subscriber.
func (s *presenceState) current(sessionID string, members []string, of func(string) (*presenceList, error), hidden map[string]bool) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.last[sessionID]
	if l == nil || !slices.Equal(l.members, members) {
		fresh, err := of(sessionID)
		if err != nil {
			return nil, err
		}
		if l == nil {
			s.last[sessionID] = fresh
		}
		l = fresh
	}
	return l.payloadFor(hidden)
}

// presenceList is who of a session's members were online at one moment,
// with its payloads: one per set of those members hidden from a reader,
// whom the reader blocked ("" for none, what most readers get), each
// encoded once. A blocker does not see the messages or the typing of whom
// they blocked, so they do not see them online either. Its owner
// (presenceState) guards it.
type presenceList struct {
	members  []string // the session's
	online   []string // who of them were online, sorted
	isOnline map[string]bool
	payloads map[string][]byte // the hidden members' ids, joined → payload
	encode   func(online []string) ([]byte, error)
}

func newPresenceList(members, online []string, encode func([]string) ([]byte, error)) *presenceList {
	slices.Sort(online)
	l := &presenceList{members: members, online: online, isOnline: make(map[string]bool, len(online)),
		payloads: map[string][]byte{}, encode: encode}
	for _, id := range online {
		l.isOnline[id] = true
	}
	return l
}

// payloadFor is the payload of a reader from whom hidden are hidden
// (access.HiddenAuthors).
func (l *presenceList) payloadFor(hidden map[string]bool) ([]byte, error) {
	var ids []string
	for id := range hidden { // a few at most: whom one reader blocked
		if l.isOnline[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return l.payload(strings.Join(ids, ","))
}

// payload is the payload without the online members in key (joined ids).
func (l *presenceList) payload(key string) ([]byte, error) {
	if data, ok := l.payloads[key]; ok {
		return data, nil
	}
	shown := l.online
	if key != "" {
		hidden := strings.Split(key, ",")
		shown = slices.DeleteFunc(slices.Clone(l.online), func(id string) bool { return slices.Contains(hidden, id) })
	}
	data, err := l.encode(shown)
	if err != nil {
		return nil, err
	}
	l.payloads[key] = data
	return data, nil
}

// sameAs tells whether l sends last's readers what last sent them: the
// same members online, and the same payload for each set hidden from one
// of them (names change too).
func (l *presenceList) sameAs(last *presenceList) bool {
	if last == nil || !slices.Equal(l.online, last.online) {
		return false
	}
	for key, sent := range last.payloads {
		if data, err := l.payload(key); err != nil || !bytes.Equal(data, sent) {
			return false
		}
	}
	return true
}

// bindPresence: a member is online while they hold a realtime connection
// (SSE, signed in) or a chat WebSocket. A subscriber to a session's
// presence topic gets the list at once, then every change, if and only if
// they may read the session, without the members they blocked (unless
// they are an admin).
func (h *hub) bindPresence(app core.App) {
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
			_, members, err := SessionMembers(h.app, id)
			if err != nil {
				continue
			}
			data, err := h.presence.current(id, members, h.presenceOf, access.HiddenAuthors(h.app, e.Auth))
			if err != nil {
				continue
			}
			realtime.SendTo(e.Client, s, data)
		}
		return nil
	})
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		realtime.Every(app, PresenceEvery, h.publishPresence)
		return e.Next()
	})
}

// publishPresence sends each followed session's list to its readers, when
// what they get changed since the last time: to each the payload for whom
// they blocked, encoded once per distinct payload.
func (h *hub) publishPresence() {
	state := h.presence
	var followed []string
	for _, topic := range realtime.FollowedTopics(h.app, "chat_presence/") {
		followed = append(followed, strings.TrimPrefix(topic, "chat_presence/"))
	}
	stale := state.takeStale()
	state.mu.Lock()
	defer state.mu.Unlock()
	for id := range state.last {
		if !slices.Contains(followed, id) {
			delete(state.last, id)
		}
	}
	for _, id := range followed {
		now, err := h.presenceOf(id)
		if err != nil {
			continue
		}
		last := state.last[id]
		if now.sameAs(last) && (len(stale) == 0 || !slices.ContainsFunc(now.members, func(m string) bool { return stale[m] })) {
			continue
		}
		state.last[id] = now
		realtime.Publish(h.app, PresenceTopic(id), func(auth *core.Record) []byte {
			if auth == nil || !h.mayRead(id, auth) {
				return nil
			}
			hidden := access.HiddenAuthors(h.app, auth)
			data, err := now.payloadFor(hidden)
			if err != nil {
				return nil
			}
			if last != nil && !stale[auth.Id] {
				if sent, err := last.payloadFor(hidden); err == nil && bytes.Equal(sent, data) {
					return nil // they have it
				}
			}
			return data
		})
	}
}

// presenceOf is who of sessionID's members is online now, in two
// queries whatever the members: it used to load each online member's
// record, a thousand queries every PresenceEvery for a busy chat and on
// every subscribe (the fan-out benchmark's latency spikes every two
// seconds, and 500,000 queries to open a 1,000-member chat in 500 tabs).
// Its payload for readers who hide nobody is encoded at once.
func (h *hub) presenceOf(sessionID string) (*presenceList, error) {
	_, members, err := SessionMembers(h.app, sessionID)
	if err != nil {
		return nil, err
	}
	online := realtime.Online(h.app)
	h.mu.Lock()
	for id := range h.users {
		online[id] = true
	}
	h.mu.Unlock()
	ids := slices.DeleteFunc(slices.Clone(members), func(id string) bool { return !online[id] })
	l := newPresenceList(members, ids, h.encodePresence)
	if _, err := l.payload(""); err != nil {
		return nil, err
	}
	return l, nil
}

// encodePresence encodes a presence event of the members in online,
// naming at most PresenceListMax of them.
func (h *hub) encodePresence(online []string) ([]byte, error) {
	p := presence{Online: []frameUser{}, Count: len(online)}
	if len(online) > 0 {
		list, err := json.Marshal(online)
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
