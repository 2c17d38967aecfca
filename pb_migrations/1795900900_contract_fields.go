package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// ContractFields are the fields of Madang's collections that its code,
// rules and triggers read by name: every field its migrations made, up to
// this one. They become PocketBase system fields, so PocketBase itself
// refuses to delete or rename them (400 "System fields cannot be deleted or
// renamed.", in the API and the dashboard alike) and keeps the unique
// indexes on them. Until 2026-12-05 a superuser could rename
// comments.content in the dashboard (200), and from then on every comment
// sent as the contract says ({"content": …}, as the web client does) was
// refused, 400 "body: Cannot be blank."; making bookmarks.user hold several
// records failed inside SQLite, in a trigger's words (hooks/contract.go now
// names the field instead).
//
// A field a superuser adds to one of these collections stays theirs to
// rename and delete. A later migration that adds a field marks it System
// itself (TestEveryMadangFieldIsSystem fails otherwise); one that renames
// or retypes a field (as 1795900898 did, before this one), or changes a
// unique index on it, unmarks it first.
var ContractFields = map[string][]string{
	"users": {"name", "avatar", "created", "updated", "role", "banned", "ban_reason", "banned_until", "boards",
		"notify_mute", "blocking"},
	"boards": {"name", "information", "is_visible", "read", "write", "posts_count", "created", "updated",
		"anonymous", "category_required", "moderation_ai", "moderation_threshold", "auto_hide_reports"},
	"posts": {"board", "author", "title", "content", "attachments", "is_file_attached", "views_count",
		"comments_count", "likes_count", "is_visible", "is_pinned", "created", "updated", "category",
		"anonymous_commenters", "anonymous_author"},
	"comments": {"post", "author", "content", "attachments", "is_file_attached", "is_visible", "created",
		"updated", "parent", "anonymous_author"},
	"post_likes":    {"post", "user", "created"},
	"chat_sessions": {"name", "information", "kind", "owner", "members", "is_closed", "last_message_at", "created", "updated"},
	"chats":         {"session", "author", "content", "is_visible", "created", "updated"},
	"chat_reads":    {"session", "user", "last_read_at", "created", "updated"},
	"ais": {"name", "description", "kind", "status", "is_visible", "dataset", "options", "model", "metrics",
		"error", "trained_at", "created", "updated"},
	"ai_logs": {"user", "ai", "description", "input", "result", "status", "error", "is_finished", "started_at",
		"finished_at", "created", "updated", "attempt", "post", "comment"},
	"notifications": {"user", "kind", "actor", "post", "comment", "session", "message", "job", "text", "count",
		"read_at", "created", "updated"},
	"reports": {"reporter", "target_kind", "post", "comment", "chat", "user", "reason", "text", "status",
		"resolved_by", "resolved_at", "ai_label", "ai_score", "created", "updated", "target_id"},
	"moderation_log":   {"actor", "actor_label", "action", "target_kind", "target_id", "reason", "created"},
	"blocks":           {"user", "blocked", "created"},
	"bookmarks":        {"user", "post", "created"},
	"board_categories": {"board", "name", "sort"},
}

func init() {
	m.Register(func(app core.App) error {
		return markContractFields(app, true)
	}, func(app core.App) error {
		return markContractFields(app, false)
	})
}

// markContractFields sets or clears the System flag of ContractFields.
func markContractFields(app core.App, system bool) error {
	for name, fields := range ContractFields {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		for _, field := range fields {
			f := c.Fields.GetByName(field)
			if f == nil {
				return fmt.Errorf("%s.%s: no such field (Madang reads it by this name: give the field its name back in the dashboard, then start again)", name, field)
			}
			f.SetSystem(system)
		}
		if err := app.Save(c); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
