package access

import (
	"sync"

	"github.com/pocketbase/pocketbase/core"
)

// Actor is who performs a write, as the moderation log and notifications
// name them: a user (an admin, a member), or a label for the others.
type Actor struct {
	User   *core.Record // a users record, or nil
	Label  string       // the user's name, "superuser:EMAIL", "cli" or "system"
	Reason string       // why, when the action carries one (a report's resolution)
}

// actors maps a record being written through a request (or a Madang route)
// to who writes it. Model hooks — the only ones that also see the
// dashboard's and the CLI's writes — look it up by the record they save.
var actors sync.Map // *core.Record → Actor

// actorLabelKey names, in the app store, the label of writes made without a
// request: "cli" in the command line's process, "system" otherwise.
const actorLabelKey = "madang.access.actor"

// SetDefaultActor labels the writes app makes outside any request (the
// command line sets "cli").
func SetDefaultActor(app core.App, label string) { app.Store().Set(actorLabelKey, label) }

// ActorOf is the Actor of a request's auth.
func ActorOf(auth *core.Record) Actor {
	switch {
	case auth == nil:
		return Actor{Label: "guest"}
	case auth.IsSuperuser():
		return Actor{Label: "superuser:" + auth.Email()}
	}
	return Actor{User: auth, Label: auth.GetString("name")}
}

// WrittenBy returns who writes record now.
func WrittenBy(app core.App, record *core.Record) Actor {
	if a, ok := actors.Load(record); ok {
		return a.(Actor)
	}
	if record.Collection() != nil {
		if a, ok := actorsByID.Load(recordKey{record.Collection().Name, record.Id}); ok {
			return a.(Actor)
		}
	}
	if label, ok := app.Store().Get(actorLabelKey).(string); ok && label != "" {
		return Actor{Label: label}
	}
	return Actor{Label: "system"}
}

// As runs save — the write of record — on behalf of a.
func As(record *core.Record, a Actor, save func() error) error {
	actors.Store(record, a)
	defer actors.Delete(record)
	return save()
}

// actorsByID maps a record to who writes it, for writes that load the
// record themselves, on another goroutine (AsID).
var actorsByID sync.Map // recordKey → Actor

type recordKey struct{ collection, id string }

// AsID runs write, which saves the record id of collection, on behalf of
// a, however it loads the record: the AI queue's group commit reads a job
// afresh in its own transaction. Until 2026-12-04 a member's cancel of
// their own slow job was no one's, and notified them of it.
func AsID(collection, id string, a Actor, write func() error) error {
	key := recordKey{collection, id}
	actorsByID.Store(key, a)
	defer actorsByID.Delete(key)
	return write()
}

// bindActors remembers the requester of every records-API write.
func bindActors(app core.App) {
	remember := func(e *core.RecordRequestEvent) error {
		if _, set := actors.Load(e.Record); set {
			return e.Next() // a route set it, with a reason
		}
		return As(e.Record, ActorOf(e.Auth), e.Next)
	}
	app.OnRecordCreateRequest().BindFunc(remember)
	app.OnRecordUpdateRequest().BindFunc(remember)
	app.OnRecordDeleteRequest().BindFunc(remember)
}
