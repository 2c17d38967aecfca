package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A support session's messages are a moderator's record of what was said,
// as the session is (1795900890): its member hides a message of theirs
// (the admins still read it) but no longer deletes it; in a group a writer
// still deletes their own. The admins' delete in support sessions is
// unchanged. Until 2026-12-03 a member removed the evidence of a support
// chat one message at a time.
const (
	authorDeletes      = `(author = @request.auth.id && session.is_closed = false && (session.members:each ?= @request.auth.id || (session.kind = "support" && @request.auth.role = "admin")))`
	authorDeletesGroup = `(author = @request.auth.id && session.is_closed = false && session.kind = "group" && session.members:each ?= @request.auth.id)`
)

func init() {
	m.Register(func(app core.App) error {
		return replaceInRule(app, "chats", "delete", authorDeletes, authorDeletesGroup)
	}, func(app core.App) error {
		return replaceInRule(app, "chats", "delete", authorDeletesGroup, authorDeletes)
	})
}
