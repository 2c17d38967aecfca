// Package chat is Madang's chat: support and group sessions, their messages
// and the two ways to follow them live.
//
// Permissions are the API rules of chat_sessions and chats
// (pb_migrations/1795900200_chat.go); this package adds what rules cannot
// say: server-set fields and derived fields (model-level hooks, kept by the
// API, the dashboard and the CLI alike), typing indicators, unread counts and
// a WebSocket bridge beside PocketBase's own SSE realtime. The bridge saves
// messages by dispatching a record-create request through the app's own
// router, so rules, request hooks and the ban middleware apply as for an SDK
// create; see dispatch.go.
package chat

import (
	"fmt"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Collection names and select values, spelled as in the migration.
const (
	Sessions = "chat_sessions"
	Messages = "chats"
	Reads    = "chat_reads"

	KindSupport = "support"
	KindGroup   = "group"
)

// TypingTopic returns the realtime topic on which SSE clients receive the
// typing indicators of a session.
func TypingTopic(sessionID string) string { return "chat_typing/" + sessionID }

// Register binds the chat hooks and routes to app. Call it once, before
// app.Start, after hooks.Register.
func Register(app core.App) {
	h := newHub(app)
	app.Store().Set(hubStoreKey, h)

	app.OnRecordCreateRequest(Sessions).BindFunc(serverSetOnCreate("owner"))
	app.OnRecordUpdateRequest(Sessions).BindFunc(serverSetOnUpdate("owner"))
	app.OnRecordCreate(Sessions).BindFunc(deriveSessionFields)
	app.OnRecordUpdate(Sessions).BindFunc(deriveSessionFields)

	app.OnRecordCreateRequest(Messages).BindFunc(defaultVisible)
	app.OnRecordCreateRequest(Messages).BindFunc(serverSetOnCreate("author"))
	app.OnRecordUpdateRequest(Messages).BindFunc(serverSetOnUpdate("author"))
	app.OnRecordCreateExecute(Messages).BindFunc(keepLastMessageAt)
	app.OnRecordDeleteExecute(Messages).BindFunc(keepLastMessageAt)

	h.bind(app)
	app.OnServe().BindFunc(h.serve)
}

// serverSetOnCreate makes field the requester's id on every API create,
// whatever the client sent. Superusers (the dashboard) may set it.
func serverSetOnCreate(field string) func(*core.RecordRequestEvent) error {
	return func(e *core.RecordRequestEvent) error {
		if !e.HasSuperuserAuth() {
			if e.Auth == nil {
				return e.UnauthorizedError("Sign in to chat.", nil)
			}
			e.Record.Set(field, e.Auth.Id)
		}
		return e.Next()
	}
}

// serverSetOnUpdate keeps field as stored on API updates, except for superusers.
func serverSetOnUpdate(field string) func(*core.RecordRequestEvent) error {
	return func(e *core.RecordRequestEvent) error {
		if !e.HasSuperuserAuth() {
			e.Record.Set(field, e.Record.Original().Get(field))
		}
		return e.Next()
	}
}

// defaultVisible makes a message visible unless the client said otherwise:
// a bool field has no default of its own.
func defaultVisible(e *core.RecordRequestEvent) error {
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	if _, ok := info.Body["is_visible"]; !ok {
		e.Record.Set("is_visible", true)
	}
	return e.Next()
}

// deriveSessionFields keeps a session's invariants on every save, whoever
// writes it: the owner is a member, and last_message_at is its newest
// message's time (client and dashboard values are ignored).
func deriveSessionFields(e *core.RecordEvent) error {
	members := e.Record.GetStringSlice("members")
	if owner := e.Record.GetString("owner"); owner != "" && !slices.Contains(members, owner) {
		e.Record.Set("members", append(members, owner))
	}
	last, err := newestMessageAt(e.App, e.Record.Id)
	if err != nil {
		return err
	}
	e.Record.Set("last_message_at", last)
	return e.Next()
}

func newestMessageAt(app core.App, sessionID string) (string, error) {
	var last dbx.NullStringMap
	err := app.DB().NewQuery("SELECT MAX([[created]]) AS [[last]] FROM {{chats}} WHERE [[session]] = {:session}").
		Bind(dbx.Params{"session": sessionID}).One(&last)
	if err != nil {
		return "", fmt.Errorf("reading the newest message of chat session %s: %w", sessionID, err)
	}
	return last["last"].String, nil
}

// keepLastMessageAt updates the session's last_message_at in the same
// transaction as the message's insert or delete (joining the caller's
// transaction when there is one: a cascade delete, a batch, the CLI demo).
// Plain SQL rather than a session save: a message is not a change of the
// session that its subscribers or the WebSocket access cache must hear of.
func keepLastMessageAt(e *core.RecordEvent) error {
	original := e.App
	defer func() { e.App = original }()
	return original.RunInTransaction(func(tx core.App) error {
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		session := e.Record.GetString("session")
		_, err := tx.DB().NewQuery(`UPDATE {{chat_sessions}} SET [[last_message_at]] =
			COALESCE((SELECT MAX([[created]]) FROM {{chats}} WHERE [[session]] = {:session}), '')
			WHERE [[id]] = {:session}`).Bind(dbx.Params{"session": session}).Execute()
		if err != nil {
			return fmt.Errorf("updating last_message_at of chat session %s: %w", session, err)
		}
		return nil
	})
}
