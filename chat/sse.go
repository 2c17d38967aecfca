package chat

import (
	"encoding/json"
	"log/slog"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/realtime"
)

// SSE delivery of chat messages.
//
// PocketBase's realtime broadcast runs the collection's rule as one SQL
// query per subscriber per event, on the request that saved the message: a
// message to a chat followed by 500 SSE clients costs 500 rule queries before
// its create request answers (measured: 31 s p50 publish latency at 1,000
// subscribers and 10 messages/s). Chat is the one collection where one event
// goes to many readers, so Madang delivers chats events itself, with the
// hub's cached answer of "may this user read this session" — the same
// answers the WebSocket bridge uses.
//
// How: internal/realtime delivers every record event itself, and leaves
// chats to this file (records.go); a subscription to a chats topic (chats/*,
// chats/ID, with or without options) gets the event under the topic the
// client asked for, with the hub's access answers, the subscription's filter
// and the record as the API shows it to that subscriber (realtime.Prepare).
// Clients (the JS SDK) see no difference. Until 2026-12-04 the chats
// subscriptions were stored under a prefix of their own, to hide them from
// PocketBase's broadcast, which now finds no subscription at all.
func (h *hub) bindSSE(app core.App) {
	app.OnRealtimeSubscribeRequest().BindFunc(func(e *core.RealtimeSubscribeRequestEvent) error {
		messages, err := e.App.FindCachedCollectionByNameOrId(Messages)
		if err != nil {
			return e.Next()
		}
		follows := slices.ContainsFunc(e.Subscriptions, func(s string) bool { return isMessagesTopic(s, messages) })
		if err := e.Next(); err != nil {
			return err
		}
		if follows && e.Auth != nil && !e.HasSuperuserAuth() {
			h.warmLater(e.Auth)
		}
		return nil
	})
	// a connection to the realtime tier receives the user's chats on their
	// personal channel, unasked: the same warm-up as subscribing to chats
	// here. Without it, each member's first message on the tier ran the
	// session's rule for them (measured 2026-12-06 in S5 on the tier: the
	// first message of a 1,000-member chat held its request for seconds).
	realtime.OnTierConnect(app, h.warmLater)

	app.OnRecordAfterCreateSuccess(Messages).BindFunc(func(e *core.RecordEvent) error {
		h.prepareSSE(e.App, "create", e.Record).Send()
		return e.Next()
	})
	app.OnRecordAfterUpdateSuccess(Messages).BindFunc(func(e *core.RecordEvent) error {
		h.prepareSSE(e.App, "update", e.Record).Send()
		h.deliverUpdate(e.Record)
		return e.Next()
	})

	// A deleted message can no longer be checked against the rules, so, as
	// PocketBase does, the events are prepared before the delete and sent
	// once it committed.
	type pending struct {
		sse     realtime.Prepared
		readers []*conn // joined WebSocket connections that may read the message
	}
	deleting := realtime.NewPendingDeletes[pending]()
	app.OnRecordDeleteExecute(Messages).BindFunc(func(e *core.RecordEvent) error {
		deleting.Put(e.Record, pending{sse: h.prepareSSE(e.App, "delete", e.Record), readers: h.readersOf(e.Record)})
		if err := e.Next(); err != nil {
			deleting.Take(e.Record).sse.Discard()
			return err
		}
		return nil
	})
	app.OnRecordAfterDeleteSuccess(Messages).BindFunc(func(e *core.RecordEvent) error {
		p := deleting.Take(e.Record)
		p.sse.Send()
		frame := encodeFrame(serverFrame{Type: "delete", Session: e.Record.GetString("session"), Record: e.Record.Fresh()})
		for _, c := range p.readers {
			c.queue(frame)
		}
		return e.Next()
	})
	app.OnRecordAfterDeleteError(Messages).BindFunc(func(e *core.RecordErrorEvent) error {
		deleting.Take(e.Record).sse.Discard()
		return e.Next()
	})
}

// lostToHiding tells whether auth reads the message's session but, the
// message being hidden now, no longer the message: they get a delete event
// (SSE) or frame (WebSocket) naming only the message, so a moderator's hide
// takes it off everyone's screen at once. PocketBase alone would send them
// nothing, and the hidden message would stay on their screen.
func (h *hub) lostToHiding(message, auth *core.Record) bool {
	return auth != nil && newlyHidden(message) && h.mayRead(message.GetString("session"), auth)
}

// newlyHidden tells whether the update of message hid it: the delete goes
// out once, when it is hidden. An edit of a message already hidden sends
// nothing to who cannot read it; until 2026-12-04 each sent them another
// delete, whose timing told a session's members that a hidden message was
// being edited. A message saved without being loaded (a blank original)
// counts as hidden now.
func newlyHidden(message *core.Record) bool {
	if message.GetBool("is_visible") {
		return false
	}
	before := message.Original()
	return before.Id == "" || before.GetBool("is_visible")
}

// goneRecord is what a delete event for a hidden message shows: enough to
// find it, nothing of its content.
func goneRecord(message *core.Record) map[string]any {
	c := message.Collection()
	return map[string]any{"id": message.Id, "collectionId": c.Id, "collectionName": c.Name,
		"session": message.GetString("session")}
}

// deliverUpdate sends an edited, hidden or shown-again message to the
// WebSocket connections that joined its session: an update frame to who may
// read it, a delete frame (id and session only) to who lost it to hiding.
func (h *hub) deliverUpdate(message *core.Record) {
	sessionID := message.GetString("session")
	conns := h.roomConns(sessionID)
	if len(conns) == 0 {
		return
	}
	update := encodeFrame(serverFrame{Type: "update", Session: sessionID, Record: message.Fresh()})
	var gone []byte
	f := factsOf(h.app, message)
	for _, c := range conns {
		auth := c.auth.Load()
		switch {
		case h.canReadMessage(message, f, auth):
			c.queue(update)
		case h.lostToHiding(message, auth):
			if gone == nil {
				gone, _ = json.Marshal(map[string]any{"type": "delete", "session": sessionID, "record": goneRecord(message)})
			}
			c.queue(gone)
		}
	}
}

// readersOf returns the joined connections that may read message now.
func (h *hub) readersOf(message *core.Record) []*conn {
	var readers []*conn
	f := factsOf(h.app, message)
	for _, c := range h.roomConns(f.session) {
		if h.canReadMessage(message, f, c.auth.Load()) {
			readers = append(readers, c)
		}
	}
	return readers
}

// isMessagesTopic tells whether subscription s is about chats records:
// "chats/*", "chats/ID", the deprecated "chats", by name or id, with or
// without "?options=…".
func isMessagesTopic(s string, messages *core.Collection) bool {
	topic, _, _ := strings.Cut(s, "?")
	for _, c := range []string{messages.Name, messages.Id} {
		if topic == c || strings.HasPrefix(topic, c+"/") {
			return true
		}
	}
	return false
}

// prepareSSE decides and encodes the events of action on message for the
// SSE clients whose chats subscriptions allow it; app may be a
// transaction (deletes). Readers get the event; who lost the message to a
// moderator's hide gets a content-free delete event.
func (h *hub) prepareSSE(app core.App, action string, message *core.Record) realtime.Prepared {
	ev := realtime.Event{Action: action, Record: message}
	if action == "update" && newlyHidden(message) {
		ev.Gone, _ = json.Marshal(map[string]any{"action": "delete", "record": goneRecord(message)})
	}
	f := factsOf(app, message)
	ev.Access = func(info *core.RequestInfo, rule *string) realtime.Verdict {
		switch {
		case h.mayReadMessage(app, message, f, info, rule):
			return realtime.Send
		case ev.Gone != nil && rule != nil && h.lostToHiding(message, info.Auth):
			return realtime.Gone
		}
		return realtime.Skip
	}
	return realtime.Prepare(app, ev)
}

// facts are what every reader's check reads of a message: read once per
// delivery. Record.Get looks each field up by name, under the record's lock;
// three of them per reader were a third of the SSE readers' checks.
type facts struct {
	author, session string
	visible         bool
	hidesAuthor     func(reader *core.Record) bool // access.HidesAuthor of the author
}

func factsOf(app core.App, message *core.Record) facts {
	author := message.GetString("author")
	return facts{author: author, session: message.GetString("session"),
		visible: message.GetBool("is_visible"), hidesAuthor: access.AuthorHider(app, author)}
}

// mayReadMessage answers rule for the subscriber. The chats rules make a
// visible message readable exactly by who may read its session
// (pb_migrations/1795900200_chat.go), so that answer comes from the hub's
// cache; hidden messages (rare) run the rule itself.
func (h *hub) mayReadMessage(app core.App, message *core.Record, f facts, info *core.RequestInfo, rule *string) bool {
	switch {
	case info.HasSuperuserAuth():
		return true
	case rule == nil || info.Auth == nil:
		return false
	case f.hidesAuthor(info.Auth):
		return false // the reader blocked the author, and is no admin (the chats rules say the same)
	case f.visible:
		return h.mayRead(f.session, info.Auth)
	}
	ok, _ := app.CanAccessRecord(message, info, rule)
	return ok
}

// warmNow warms auth's answers on the caller's goroutine, unless they were
// warmed in this generation. A subscribe that needs an answer at once (chat
// presence) calls it: one query answers it and every other session of the
// user, where asking the rule would cost as much and the warm-up queued by
// the same subscribe would run anyway.
func (h *hub) warmNow(auth *core.Record) {
	h.mu.Lock()
	gen := h.gen
	h.mu.Unlock()
	h.warm(auth, gen)
}

// warmLater queues auth's warm-up off the request: answers computed from
// the hub's generation of now, kept only if nothing changed meanwhile.
func (h *hub) warmLater(auth *core.Record) {
	h.mu.Lock()
	gen := h.gen // a change after this moment discards the warm-up's answers
	h.mu.Unlock()
	h.tasks.do("warm/"+auth.Collection().Id+"/"+auth.Id, func() { h.warm(auth, gen) })
}

// warmLimit bounds the sessions warm loads for one user.
const warmLimit = 1000

// warm caches, in one query, the sessions auth may read, so that the first
// message of each costs no rule query per subscriber. Only "yes" answers are
// stored; the others are asked on demand, as before. gen is the hub's
// generation when the subscriber asked: answers are kept only if nothing
// changed since (the warm-up waits its turn in h.tasks, and auth may be
// stale by then). A user warmed in this generation is not warmed again (a
// second tab, or the warm-up a subscribe queued after warmNow ran it), and a
// warm-up whose generation has passed does not query: it could store nothing.
func (h *hub) warm(auth *core.Record, gen uint64) {
	access.WarmBlocks(h.app, auth.Id)
	key := authKey(auth)
	h.mu.Lock()
	skip := h.warmed[key] || h.gen != gen
	h.mu.Unlock()
	if skip {
		return
	}
	sessions, err := h.app.FindCachedCollectionByNameOrId(Sessions)
	if err != nil || sessions.ViewRule == nil {
		return
	}

	var ids []string
	q := h.app.RecordQuery(sessions).Select(sessions.Name + ".id").Distinct(true).Limit(warmLimit)
	if ok, err := access.Where(h.app, sessions, sessions.ViewRule, liveRequest(auth), q); !ok || err != nil {
		return
	}
	if err := q.Column(&ids); err != nil {
		h.app.Logger().Warn("loading a user's chat sessions failed", slog.String("auth", auth.Id), slog.String("error", err.Error()))
		return
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gen != gen {
		return // something changed meanwhile: the answers may be stale
	}
	h.warmed[key] = true
	for _, id := range ids {
		if h.pending[id] > 0 {
			continue
		}
		r := h.rooms[id]
		if r == nil {
			if len(h.rooms) >= maxCachedRooms {
				continue
			}
			r = &room{conns: map[*conn]bool{}, allowed: map[authID]bool{}}
			h.rooms[id] = r
		}
		r.allowed[key] = true
	}
}
