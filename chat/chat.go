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
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/sqlite"
	"madang/internal/txn"
)

// Collection names and select values, spelled as in the migration.
const (
	Sessions = access.CollectionNameChatSessions
	Messages = access.CollectionNameChats
	Reads    = access.CollectionNameChatReads

	KindSupport = "support"
	KindGroup   = "group"
)

// TypingTopic returns the realtime topic on which SSE clients receive the
// typing indicators of a session.
func TypingTopic(sessionID string) string { return "chat_typing/" + sessionID }

// Register binds the chat hooks and routes to app. Call it once, before
// app.Start (internal/madang.Bind does, in order).
func Register(app core.App) {
	h := newHub(app)
	app.Store().Set(hubStoreKey, h)

	access.ServerSet(app, Sessions, access.Requester("owner", "Sign in to chat."), "owner")
	access.Trimmed(app, Sessions, "name", "information") // information since 2026-12-07, as boards'
	access.KeepOnNull(app, Sessions, "is_closed")
	app.OnRecordCreate(Sessions).BindFunc(deriveSessionFields)
	app.OnRecordUpdate(Sessions).BindFunc(deriveSessionFields)
	access.Modifiers(app, Sessions, "members")
	txn.BindUpdateBefore(app, Sessions, keepMembersExact)
	app.OnRecordDeleteExecute(access.CollectionNameUsers).BindFunc(handOverGroups)

	access.DefaultTrue(app, Messages, "is_visible")
	access.ServerSet(app, Messages, access.Requester("author", "Sign in to chat."), "author")
	access.Trimmed(app, Messages, "content")
	app.OnRecordCreateExecute(Messages).BindFunc(keepLastMessageAt)
	app.OnRecordDeleteExecute(Messages).BindFunc(keepLastMessageAt)

	h.bind(app)
	h.bindBlocks(app)
	app.OnServe().BindFunc(h.serve)
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
// SQL rather than a session save: a message is not a change of the
// session that its subscribers or the WebSocket access cache must hear of.
// A plain statement (sqlite.Exec): it runs with every message, under the
// write lock, and dbx's scan of its text cost as much as the update.
func keepLastMessageAt(e *core.RecordEvent) error {
	return txn.Around(e, func(tx core.App) error {
		session := e.Record.GetString("session")
		err := sqlite.Exec(tx, `UPDATE chat_sessions SET last_message_at =
			COALESCE((SELECT MAX(created) FROM chats WHERE session = ?1), '') WHERE id = ?1`, session)
		if err != nil {
			return fmt.Errorf("updating last_message_at of chat session %s: %w", session, err)
		}
		return nil
	})
}

// SessionMembers reads a session's kind and members as stored, without
// building its record (which normalizes every member id again: a third of
// a 1,000-member chat's notice CPU). sql.ErrNoRows when there is none.
// The slice is shared with every caller: read it, never change it.
//
// It runs on every chat message (community's chat notices): the stored
// list is decoded once per text — decoding a 1,000-member list cost 110 KB
// of garbage and about 0.1 ms under the write lock per message (S5) — and
// reused while the stored text is the same, byte for byte, so no write
// path has to forget it. SQLite compares the text with the one decoded
// last and sends it only when it differs: a 1,000-member list is 19 KB,
// which, with a copy of the decoded list for each caller, was 35 KB of
// garbage a message (BenchmarkSessionMembers: 35.6 KB and 35.5 µs a read
// before, 2026-12-07).
func SessionMembers(app core.App, sessionID string) (kind string, members []string, err error) {
	memberLists.Lock()
	list, known := memberLists.m[sessionID]
	memberLists.Unlock()
	var last any // NULL when nothing was decoded: the stored text is read
	if known {
		last = list.raw
	}
	var raw sql.NullString
	err = sqlite.QueryRow(app, false, `SELECT kind, CASE WHEN members = ?2 THEN NULL ELSE members END
		FROM chat_sessions WHERE id = ?1`, []any{sessionID, last}, &kind, &raw)
	if err != nil {
		return "", nil, err
	}
	if known && !raw.Valid {
		return kind, list.ids, nil
	}
	list = memberList{raw: raw.String}
	if err := json.Unmarshal([]byte(raw.String), &list.ids); err != nil {
		return "", nil, fmt.Errorf("reading the members of chat session %s: %w", sessionID, err)
	}
	memberLists.Lock()
	if len(memberLists.m) >= maxMemberLists {
		clear(memberLists.m)
	}
	memberLists.m[sessionID] = list
	memberLists.Unlock()
	return kind, list.ids, nil
}

// memberLists holds the decoded member lists of the sessions read last,
// at most maxMemberLists (a 1,000-member session's text and list take
// about 40 KB).
var memberLists = struct {
	sync.Mutex
	m map[string]memberList
}{m: map[string]memberList{}}

const maxMemberLists = 64

type memberList struct {
	raw string   // the stored JSON text
	ids []string // decoded; handed to every caller, never changed
}
