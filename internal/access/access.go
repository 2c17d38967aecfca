// Package access decides who may see a record, and which of its fields, on
// every path that shows records to a client: PocketBase's own record API,
// Madang's routes (search, unread counts), and the realtime events Madang
// delivers itself (internal/realtime). It adds three things to PocketBase's
// rules, in one place:
//
//   - Client filters and sorts (query.go) never reach a value the requester
//     cannot read: hidden and private fields are for who may see them, and a
//     relation is followed only where reading the record implies reading the
//     related one. PocketBase's list API, search and realtime filters are
//     checked by the same code.
//   - Private fields (view.go) — a user's grants and ban, a model's fitted
//     parameters — are shown only to who may see them, in the record itself
//     and through expand and back-relations, nested or not.
//   - Fields only the server writes (fields.go): one binder for each kind.
//
// Everything else is PocketBase's own mechanism, called, not copied: rules
// through core.RecordFieldResolver, expand and enrich through apis.EnrichRecords.
package access

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
)

// Collection names, spelled as in the migrations.
const (
	CollectionNameUsers        = "users"
	CollectionNameBoards       = "boards"
	CollectionNamePosts        = "posts"
	CollectionNameComments     = "comments"
	CollectionNamePostLikes    = "post_likes"
	CollectionNameChatSessions = "chat_sessions"
	CollectionNameChats        = "chats"
	CollectionNameChatReads    = "chat_reads"
	CollectionNameAIs          = "ais"
	CollectionNameAILogs       = "ai_logs"
)

// Roles and access levels, spelled as in the collections' select fields.
const (
	RoleMember = "member"
	RoleAdmin  = "admin"

	ReadPublic   = "public"
	ReadMembers  = "members"
	ReadGranted  = "granted"
	WriteMembers = "members"
	WriteGranted = "granted"
	WriteAdmins  = "admins"
)

// UserOf returns auth when it is a users record (not a superuser), else nil.
func UserOf(auth *core.Record) *core.Record {
	if auth == nil || auth.Collection().Name != CollectionNameUsers {
		return nil
	}
	return auth
}

// IsAdmin reports whether auth is an in-app admin who is not banned.
func IsAdmin(auth *core.Record) bool {
	u := UserOf(auth)
	return u != nil && u.GetString("role") == RoleAdmin && !u.GetBool("banned")
}

// IsStaff reports whether the requester sees everything moderators see:
// a superuser or an in-app admin.
func IsStaff(info *core.RequestInfo) bool {
	return info.HasSuperuserAuth() || IsAdmin(info.Auth)
}

// CanReadBoard mirrors the boards list/view rule (pb_migrations) for code
// that needs the answer outside a query, such as the computed can_write.
func CanReadBoard(board, auth *core.Record) bool {
	if IsAdmin(auth) {
		return true
	}
	if !board.GetBool("is_visible") {
		return false
	}
	u := UserOf(auth)
	switch board.GetString("read") {
	case ReadPublic:
		return true
	case ReadMembers:
		return u != nil
	case ReadGranted:
		return u != nil && slices.Contains(u.GetStringSlice("boards"), board.Id)
	}
	return false
}

// CanWriteBoard is the contract's "can write (post) on B".
func CanWriteBoard(board, auth *core.Record) bool {
	if auth != nil && auth.IsSuperuser() {
		return true // the rules do not apply to superusers: they post anywhere, on someone's behalf
	}
	u := UserOf(auth)
	if u == nil || u.GetBool("banned") || !CanReadBoard(board, u) {
		return false
	}
	switch board.GetString("write") {
	case WriteMembers:
		return true
	case WriteGranted:
		return IsAdmin(u) || slices.Contains(u.GetStringSlice("boards"), board.Id)
	case WriteAdmins:
		return IsAdmin(u)
	}
	return false
}
