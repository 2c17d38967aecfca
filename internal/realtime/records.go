package realtime

import (
	"database/sql"
	"errors"
	"hash/maphash"
	"sync"

	"github.com/pocketbase/dbx"
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
// in the goroutine that saved, after the commit, so saves made one after
// another reach each subscriber in that order (concurrent requests' saves:
// sendInOrder). PocketBase's own broadcast
// still walks the clients and finds no subscription: a Madang client
// answers its question with none (client.Subscriptions).
//
// Chat messages keep their own delivery, which answers with the chat
// hub's cached membership (chat/sse.go).
func bindRecordEvents(app core.App) {
	send := func(action string) func(e *core.ModelEvent) error {
		return func(e *core.ModelEvent) error {
			if r := deliveredRecord(e.Model); r != nil {
				sendInOrder(e.App, action, r, Prepare(e.App, Event{Action: action, Record: r}))
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
	pending := NewPendingDeletes[Prepared]()
	app.OnModelDelete().BindFunc(func(e *core.ModelEvent) error {
		r := deliveredRecord(e.Model)
		if r == nil {
			return e.Next()
		}
		checks := e.App
		if root, ok := e.App.Store().Get(rootKey).(core.App); ok {
			checks = root
		}
		pending.Put(r, Prepare(checks, Event{Action: "delete", Record: r}))
		if err := e.Next(); err != nil {
			pending.Take(r).Discard()
			return err
		}
		return nil
	})
	app.OnModelAfterDeleteSuccess().BindFunc(func(e *core.ModelEvent) error {
		if r := deliveredRecord(e.Model); r != nil {
			sendInOrder(e.App, "delete", r, pending.Take(r))
		}
		return e.Next()
	})
	app.OnModelAfterDeleteError().BindFunc(func(e *core.ModelErrorEvent) error {
		if r := deliveredRecord(e.Model); r != nil {
			pending.Take(r).Discard()
		}
		return e.Next()
	})
}

// sendLocks serialize the sends of one record's events (a stripe per
// record id; held for a send and the look before it, never across a
// write, so no writer ever waits on one).
var sendLocks [64]sync.Mutex

var sendSeed = maphash.MakeSeed()

// sendInOrder sends p, the event of action on r, after its commit. An
// update whose record has been saved again since (its stored updated is
// another) is not sent: that later save's own event carries the newer
// state, and went out already or follows. Saves by concurrent requests
// each send from their own goroutine; until 2026-12-04 their events
// arrived in any order, and 30 simultaneous edits of one post left its
// readers on an older state than the stored one in 4 runs of 5 (probe
// p22). Two saves in the same millisecond (one updated) are both sent, in
// either order.
func sendInOrder(app core.App, action string, r *core.Record, p Prepared) {
	if p.empty() {
		return
	}
	mu := &sendLocks[maphash.String(sendSeed, r.Id)%uint64(len(sendLocks))]
	mu.Lock()
	defer mu.Unlock()
	if action == "update" && savedAgain(app, r) {
		p.Discard()
		return
	}
	p.Send()
}

// savedAgain tells whether r's stored updated is no longer the one it was
// saved with (or r is gone). A collection without updated cannot tell.
func savedAgain(app core.App, r *core.Record) bool {
	c := r.Collection()
	if _, ok := c.Fields.GetByName("updated").(*core.AutodateField); !ok {
		return false
	}
	var stored string
	err := app.ConcurrentDB().Select("updated").From(c.Name).Where(dbx.HashExp{"id": r.Id}).Limit(1).Row(&stored)
	if err != nil {
		return errors.Is(err, sql.ErrNoRows)
	}
	return stored != r.GetDateTime("updated").String()
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

// PendingDeletes holds what was prepared for records being deleted, from
// before the delete (while the rules can still be checked) to its end:
// taken and sent once it committed, taken and dropped if it failed.
type PendingDeletes[T any] struct {
	mu sync.Mutex
	m  map[*core.Record]T
}

// NewPendingDeletes returns an empty PendingDeletes.
func NewPendingDeletes[T any]() *PendingDeletes[T] {
	return &PendingDeletes[T]{m: map[*core.Record]T{}}
}

// Put keeps prepared for r.
func (p *PendingDeletes[T]) Put(r *core.Record, prepared T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[r] = prepared
}

// Take returns and forgets what was kept for r (the zero T if nothing).
func (p *PendingDeletes[T]) Take(r *core.Record) T {
	p.mu.Lock()
	defer p.mu.Unlock()
	prepared := p.m[r]
	delete(p.m, r)
	return prepared
}
