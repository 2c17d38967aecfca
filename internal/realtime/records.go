package realtime

import (
	"sync"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// Record events: Madang delivers every change of a record itself, to the
// SSE subscribers and to the tier, through Prepare: the one broadcast of
// the chat messages, the counters, the notices and the AI partial results.
//
// PocketBase's broadcast sends each message from a goroutine of its own
// (routine.FireAndForget), so the events of two saves close together
// could reach a subscriber swapped (3 runs of 3 of
// TestARecordsEventsArriveInTheOrderOfItsSaves, 300 saves of a board): a
// reader was left with a state older than the stored one, and the events
// PocketBase sent raced the ones Madang sent (a post's edit and its
// counters, an AI job's running mark and its streamed text). Prepare runs
// in the goroutine that saved, after the commit, so each subscriber gets a
// record's events in the order of its saves. PocketBase's own broadcast
// still walks the clients and finds no subscription: a Madang client
// answers its question with none (client.Subscriptions).
//
// Chat messages keep their own delivery, which answers with the chat
// hub's cached membership (chat/sse.go).
func bindRecordEvents(app core.App) {
	send := func(action string) func(e *core.ModelEvent) error {
		return func(e *core.ModelEvent) error {
			if r := deliveredRecord(e.Model); r != nil {
				Prepare(e.App, Event{Action: action, Record: r}).Send()
			}
			return e.Next()
		}
	}
	app.OnModelAfterCreateSuccess().BindFunc(send("create"))
	app.OnModelAfterUpdateSuccess().BindFunc(send("update"))

	// A deleted record can no longer be checked against the rules, so its
	// event is prepared before the delete and sent once it committed. The
	// checks run outside the delete's transaction, as PocketBase's do: a
	// record deleted by a cascade may have a rule that names the parent
	// the transaction already deleted.
	pending := newPendingDeletes()
	app.OnModelDelete().BindFunc(func(e *core.ModelEvent) error {
		r := deliveredRecord(e.Model)
		if r == nil {
			return e.Next()
		}
		checks := e.App
		if root, ok := e.App.Store().Get(rootKey).(core.App); ok {
			checks = root
		}
		pending.put(r, Prepare(checks, Event{Action: "delete", Record: r}))
		if err := e.Next(); err != nil {
			pending.take(r)
			return err
		}
		return nil
	})
	app.OnModelAfterDeleteSuccess().BindFunc(func(e *core.ModelEvent) error {
		if r := deliveredRecord(e.Model); r != nil {
			pending.take(r).Send()
		}
		return e.Next()
	})
	app.OnModelAfterDeleteError().BindFunc(func(e *core.ModelErrorEvent) error {
		if r := deliveredRecord(e.Model); r != nil {
			pending.take(r)
		}
		return e.Next()
	})
}

// deliveredRecord is the record whose change this file delivers, or nil:
// a model that is no record (PocketBase's logs), or a chat message.
func deliveredRecord(m core.Model) *core.Record {
	var r *core.Record
	switch m := m.(type) {
	case *core.Record:
		r = m
	case core.RecordProxy:
		r = m.ProxyRecord()
	}
	if r == nil || r.Collection() == nil || r.Collection().Name == access.CollectionNameChats {
		return nil
	}
	return r
}

// pendingDeletes holds the prepared events of records being deleted.
type pendingDeletes struct {
	mu sync.Mutex
	m  map[*core.Record]Prepared
}

func newPendingDeletes() *pendingDeletes { return &pendingDeletes{m: map[*core.Record]Prepared{}} }

func (p *pendingDeletes) put(r *core.Record, prepared Prepared) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[r] = prepared
}

func (p *pendingDeletes) take(r *core.Record) Prepared {
	p.mu.Lock()
	defer p.mu.Unlock()
	prepared := p.m[r]
	delete(p.m, r)
	return prepared
}
