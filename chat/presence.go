package chat

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/realtime"
)

// PresenceEvery is how often the members online in each followed chat are
// recomputed; an event goes out only when the list changed.
const PresenceEvery = 2 * time.Second

// PresenceTopic returns the realtime topic on which a session's readers
// receive who of its members is online: {"online": [{id, name}]}.
func PresenceTopic(sessionID string) string { return "chat_presence/" + sessionID }

type presence struct {
	Online []frameUser `json:"online"`
}

// presenceState remembers the last list sent per session.
type presenceState struct {
	mu   sync.Mutex
	last map[string]string // session id → the last payload sent
}

// bindPresence: a member is online while they hold a realtime connection
// (SSE, signed in) or a chat WebSocket. A subscriber to a session's
// presence topic gets the list at once, then every change, if and only if
// they may read the session.
func (h *hub) bindPresence(app core.App) {
	state := &presenceState{last: map[string]string{}}
	app.OnRealtimeSubscribeRequest().BindFunc(func(e *core.RealtimeSubscribeRequestEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		for _, s := range e.Subscriptions {
			topic, _, _ := strings.Cut(s, "?")
			id, ok := strings.CutPrefix(topic, "chat_presence/")
			if !ok || e.Auth == nil || !h.mayRead(id, e.Auth) {
				continue
			}
			if data, err := h.presenceOf(id); err == nil {
				realtime.SendTo(e.Client, s, data)
			}
		}
		return nil
	})
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		stop := make(chan struct{})
		go func() {
			ticker := time.NewTicker(PresenceEvery)
			defer ticker.Stop()
			for {
				select {
				case <-stop:
					return
				case <-ticker.C:
					h.publishPresence(state)
				}
			}
		}()
		var once sync.Once
		app.OnTerminate().BindFunc(func(te *core.TerminateEvent) error {
			once.Do(func() { close(stop) })
			return te.Next()
		})
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
		if err != nil || state.last[id] == string(data) {
			continue
		}
		state.last[id] = string(data)
		realtime.Publish(h.app, PresenceTopic(id), data, func(auth *core.Record) bool {
			return auth != nil && h.mayRead(id, auth)
		})
	}
}

// presenceOf encodes who of sessionID's members is online now.
func (h *hub) presenceOf(sessionID string) ([]byte, error) {
	session, err := h.app.FindRecordById(Sessions, sessionID)
	if err != nil {
		return nil, err
	}
	online := realtime.Online(h.app)
	h.mu.Lock()
	for id := range h.users {
		online[id] = true
	}
	h.mu.Unlock()
	p := presence{Online: []frameUser{}}
	members := session.GetStringSlice("members")
	slices.Sort(members)
	for _, id := range members {
		if !online[id] {
			continue
		}
		if u, err := h.app.FindRecordById(access.CollectionNameUsers, id); err == nil {
			p.Online = append(p.Online, frameUser{ID: u.Id, Name: u.GetString("name")})
		}
	}
	return json.Marshal(p)
}
