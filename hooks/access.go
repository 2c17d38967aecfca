package hooks

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
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

// userOf returns auth when it is a users record (not a superuser), else nil.
func userOf(auth *core.Record) *core.Record {
	if auth == nil || auth.Collection().Name != "users" {
		return nil
	}
	return auth
}

// IsAdmin reports whether auth is an in-app admin who is not banned.
func IsAdmin(auth *core.Record) bool {
	u := userOf(auth)
	return u != nil && u.GetString("role") == RoleAdmin && !u.GetBool("banned")
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
	u := userOf(auth)
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
	u := userOf(auth)
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
