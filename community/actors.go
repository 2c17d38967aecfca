package community

import (
	"sync"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// actor is who performs a write, as the moderation log and notifications
// name them: a user (an admin, a member), or a label for the others.
type actor struct {
	user   *core.Record // a users record, or nil
	label  string       // the user's name, "superuser:EMAIL", "cli" or "system"
	reason string       // why, when the action carries one (a report's resolution)
}

// actors maps a record being written through a request (or a Madang route)
// to who writes it. Model hooks — the only ones that also see the
// dashboard's and the CLI's writes — look it up by the record they save.
var actors sync.Map // *core.Record → actor

// actorLabelKey names, in the app store, the label of writes made without a
// request: "cli" in the command line's process, "system" otherwise.
const actorLabelKey = "madang.community.actor"

// SetDefaultActor labels the writes app makes outside any request (the
// command line sets "cli").
func SetDefaultActor(app core.App, label string) { app.Store().Set(actorLabelKey, label) }

func actorOf(auth *core.Record) actor {
	switch {
	case auth == nil:
		return actor{label: "guest"}
	case auth.IsSuperuser():
		return actor{label: "superuser:" + auth.Email()}
	}
	return actor{user: auth, label: auth.GetString("name")}
}

// writtenBy returns who writes record now.
func writtenBy(app core.App, record *core.Record) actor {
	if a, ok := actors.Load(record); ok {
		return a.(actor)
	}
	if label, ok := app.Store().Get(actorLabelKey).(string); ok && label != "" {
		return actor{label: label}
	}
	return actor{label: "system"}
}

// asActor saves record (with save) on behalf of a.
func asActor(record *core.Record, a actor, save func() error) error {
	actors.Store(record, a)
	defer actors.Delete(record)
	return save()
}

// registerActors remembers the requester of every API write to the
// collections whose changes are logged or notified.
func registerActors(app core.App) {
	remember := func(e *core.RecordRequestEvent) error {
		if _, set := actors.Load(e.Record); set {
			return e.Next() // a route set it, with a reason
		}
		return asActor(e.Record, actorOf(e.Auth), e.Next)
	}
	for _, c := range []string{access.CollectionNamePosts, access.CollectionNameComments, access.CollectionNameChats,
		access.CollectionNameUsers, access.CollectionNameBoards} {
		app.OnRecordCreateRequest(c).BindFunc(remember)
		app.OnRecordUpdateRequest(c).BindFunc(remember)
		app.OnRecordDeleteRequest(c).BindFunc(remember)
	}
}
