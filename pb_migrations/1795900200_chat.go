package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// chatRules are the API rules of chat_sessions, chats and chat_reads. One
// expression, sessionAccess, says who may read a session; the chats rules
// see it through their session relation, so a session and its messages are
// never visible to different people. The chat package's WebSocket bridge
// relies on that: it caches the session ViewRule's answer per user and uses
// it for the session's visible messages (chat/hub.go).
//
// Banned users never reach a rule over HTTP (their requests answer 401 first,
// hooks/bans.go); the write rules still say "not banned" so that writes
// checked outside a request, and the WebSocket bridge, refuse them too.
type chatRules struct {
	sessionRead, sessionCreate, sessionUpdate, sessionDelete string
	chatRead, chatCreate, chatUpdate, chatDelete             string
	readsRead                                                string
}

func newChatRules() chatRules {
	const (
		signedIn  = `@request.auth.collectionName = "users"`
		notBanned = `@request.auth.banned = false`
		admin     = `@request.auth.role = "admin"`
	)
	// sessionAccess is "may read the session" for the session reached
	// through path ("" on chat_sessions, "session." on chats): its members,
	// and every admin when it is a support session.
	sessionAccess := func(path string) string {
		return `(` + path + `members.id ?= @request.auth.id || (` + path + `kind = "support" && ` + admin + `))`
	}
	supportAdmin := `(session.kind = "support" && ` + admin + `)`
	return chatRules{
		sessionRead: signedIn + ` && ` + sessionAccess(""),
		// A support session starts with its owner alone (admins reach it by
		// role); a group's owner picks the members. The owner is set by the
		// server (chat/chat.go) after this rule, so the rule names the requester.
		sessionCreate: signedIn + ` && ` + notBanned + ` && is_closed = false && ` +
			`(kind = "group" || members:length = 0 || members:each = @request.auth.id)`,
		// The owner edits everything but kind (and the members of a support
		// session, which stay the owner alone); an admin may only open or
		// close a support session.
		sessionUpdate: signedIn + ` && ` + notBanned + ` && @request.body.kind:changed = false && (` +
			`(owner = @request.auth.id && (kind = "group" || @request.body.members:isset = false)) || ` +
			`(kind = "support" && ` + admin + ` && @request.body.name:changed = false && ` +
			`@request.body.information:changed = false && @request.body.members:isset = false))`,
		sessionDelete: signedIn + ` && ` + notBanned + ` && owner = @request.auth.id`,

		// Hidden messages (is_visible = false) stay visible to their author
		// and, on support sessions, to admins.
		chatRead: signedIn + ` && ` + sessionAccess("session.") +
			` && (is_visible = true || author = @request.auth.id || ` + supportAdmin + `)`,
		chatCreate: signedIn + ` && ` + notBanned + ` && session.is_closed = false && ` + sessionAccess("session."),
		// Authors edit and hide their messages while they still belong to the
		// open session; admins moderate support sessions (hide, never reword).
		chatUpdate: signedIn + ` && ` + notBanned + ` && session.is_closed = false && ` +
			`@request.body.session:changed = false && (` +
			`(author = @request.auth.id && ` + sessionAccess("session.") + `) || ` +
			`(` + supportAdmin + ` && @request.body.content:changed = false))`,
		chatDelete: signedIn + ` && ` + notBanned + ` && (` +
			`(author = @request.auth.id && session.is_closed = false && ` + sessionAccess("session.") + `) || ` +
			supportAdmin + `)`,

		readsRead: signedIn + ` && user = @request.auth.id`,
	}
}

func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		rules := newChatRules()
		sessions := newChatSessionsCollection(rules, users)
		if err := app.Save(sessions); err != nil {
			return err
		}
		if err := app.Save(newChatsCollection(rules, sessions, users)); err != nil {
			return err
		}
		return app.Save(newChatReadsCollection(rules, sessions, users))
	}, func(app core.App) error {
		// dependents first: a collection cannot go while another refers to it
		for _, name := range []string{"chat_reads", "chats", "chat_sessions"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		return nil
	})
}

func newChatSessionsCollection(rules chatRules, users *core.Collection) *core.Collection {
	sessions := core.NewBaseCollection("chat_sessions")
	sessions.ListRule = types.Pointer(rules.sessionRead)
	sessions.ViewRule = types.Pointer(rules.sessionRead)
	sessions.CreateRule = types.Pointer(rules.sessionCreate)
	sessions.UpdateRule = types.Pointer(rules.sessionUpdate)
	sessions.DeleteRule = types.Pointer(rules.sessionDelete)
	sessions.Fields.Add(
		&core.TextField{Name: "name", Required: true, Min: 1, Max: 256, Presentable: true,
			Help: "1–256 characters."},
		&core.TextField{Name: "information", Max: 256, Help: "Up to 256 characters."},
		&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"support", "group"},
			Help: "support: a member and every admin; group: the members the owner picks. Fixed after create."},
		&core.RelationField{Name: "owner", CollectionId: users.Id, MaxSelect: 1,
			Help: "Set by the server to the requester; a superuser may pick it. Always one of the members."},
		&core.RelationField{Name: "members", CollectionId: users.Id, MaxSelect: 1000,
			Help: "Who may read and write the chat (admins also reach support sessions). The owner is always added."},
		&core.BoolField{Name: "is_closed", Help: "A closed session is read-only: no new messages."},
		&core.DateField{Name: "last_message_at",
			Help: "Server-maintained: when the newest message was written; edits are ignored."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	// admins list the support queue by recent activity; members find theirs by owner
	sessions.AddIndex("idx_chat_sessions_kind_last", false, "kind, last_message_at", "")
	sessions.AddIndex("idx_chat_sessions_owner", false, "owner", "")
	return sessions
}

func newChatsCollection(rules chatRules, sessions, users *core.Collection) *core.Collection {
	chats := core.NewBaseCollection("chats")
	chats.ListRule = types.Pointer(rules.chatRead)
	chats.ViewRule = types.Pointer(rules.chatRead)
	chats.CreateRule = types.Pointer(rules.chatCreate)
	chats.UpdateRule = types.Pointer(rules.chatUpdate)
	chats.DeleteRule = types.Pointer(rules.chatDelete)
	chats.Fields.Add(
		&core.RelationField{Name: "session", CollectionId: sessions.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
			Help: "The chat the message belongs to; fixed after create. Deleting the session deletes its messages."},
		&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1,
			Help: "Set by the server to the requester; a superuser may pick it. Emptied if the user is deleted."},
		&core.TextField{Name: "content", Required: true, Min: 1, Max: 2000, Presentable: true,
			Help: "1–2,000 characters."},
		&core.BoolField{Name: "is_visible",
			Help: "Unchecked = hidden: only the author (and admins, on support sessions) see it. New messages default to visible."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	// history is one session's messages newest first (sort=-created)
	chats.AddIndex("idx_chats_session_created", false, "session, created", "")
	chats.AddIndex("idx_chats_author", false, "author", "")
	return chats
}

func newChatReadsCollection(rules chatRules, sessions, users *core.Collection) *core.Collection {
	reads := core.NewBaseCollection("chat_reads")
	reads.ListRule = types.Pointer(rules.readsRead)
	reads.ViewRule = types.Pointer(rules.readsRead)
	// written only by POST /api/chat/sessions/{id}/read (and superusers)
	reads.Fields.Add(
		&core.RelationField{Name: "session", CollectionId: sessions.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
			Help: "The chat read. Deleting the session deletes its read marks."},
		&core.RelationField{Name: "user", CollectionId: users.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
			Help: "Who read it. Deleting the user deletes their read marks."},
		&core.DateField{Name: "last_read_at", Required: true,
			Help: "Messages created after this moment count as unread for the user."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	reads.AddIndex("idx_chat_reads_session_user", true, "session, user", "")
	reads.AddIndex("idx_chat_reads_user", false, "user", "")
	return reads
}
