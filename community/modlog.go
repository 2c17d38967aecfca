package community

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/txn"
)

// Moderation log actions, spelled as in the migration.
const (
	ActionHide          = "hide"
	ActionUnhide        = "unhide"
	ActionPin           = "pin"
	ActionUnpin         = "unpin"
	ActionBan           = "ban"
	ActionUnban         = "unban"
	ActionGrant         = "grant"
	ActionRevoke        = "revoke"
	ActionReportResolve = "report_resolve"
	ActionBoardChange   = "board_change"
	ActionAvatarRemove  = "avatar_remove"
	ActionNameReset     = "name_reset"
	ActionDelete        = "delete"
	ActionEdit          = "edit"
	ActionBoardCreate   = "board_create"
	ActionBoardDelete   = "board_delete"
	ActionRoleChange    = "role_change"
)

// entry is one line of the moderation log.
type entry struct {
	action, targetKind, targetID, reason string
}

// writeLog stores entries by a in tx.
func writeLog(tx core.App, a access.Actor, entries ...entry) error {
	if len(entries) == 0 {
		return nil
	}
	log, err := tx.FindCachedCollectionByNameOrId(ModerationLog)
	if err != nil {
		return err
	}
	for _, en := range entries {
		r := core.NewRecord(log)
		if a.User != nil {
			r.Set("actor", a.User.Id)
		}
		r.Set("actor_label", clip(a.Label, 300))
		r.Set("action", en.action)
		r.Set("target_kind", en.targetKind)
		r.Set("target_id", en.targetID)
		reason := en.reason
		if a.Reason != "" {
			reason = strings.TrimSpace(a.Reason + " " + reason)
		}
		r.Set("reason", clip(reason, 1000))
		if err := tx.Save(r); err != nil {
			return fmt.Errorf("writing the moderation log (%s %s %s): %w", en.action, en.targetKind, en.targetID, err)
		}
	}
	return nil
}

// stored reads record as it is in the database, before the write under way
// (record.Original() is blank for records saved without being read back).
func stored(app core.App, record *core.Record) *core.Record {
	r, err := app.FindRecordById(record.Collection(), record.Id)
	if err != nil {
		return core.NewRecord(record.Collection())
	}
	return r
}

// writtenFields are, by kind, the fields of what a member wrote: their
// change by anyone but the writer is a moderator's edit.
var writtenFields = map[string][]string{
	"post": {"title", "content", "attachments"}, "comment": {"content", "attachments"}, "chat": {"content"},
}

// cascaded says whether record is deleted because a record it belongs to
// was (a board's posts, a post's comments, a comment's replies, a
// session's messages): PocketBase deletes that record's row first, in the
// same transaction. Such a delete is logged as the one it follows from.
func cascaded(tx core.App, record *core.Record) bool {
	for _, f := range record.Collection().Fields {
		rel, ok := f.(*core.RelationField)
		if !ok || !rel.CascadeDelete {
			continue
		}
		for _, id := range record.GetStringSlice(rel.Name) {
			if _, err := tx.FindRecordById(rel.CollectionId, id); errors.Is(err, sql.ErrNoRows) {
				return true
			}
		}
	}
	return false
}

// deleted says what a deleted post, comment or message was, for the log
// (the record is gone): its title or first words, where, and its writer.
func deleted(kind string, record *core.Record) string {
	text, where := record.GetString("content"), "post "+record.GetString("post")
	switch kind {
	case "post":
		text, where = record.GetString("title"), "board "+record.GetString("board")
	case "chat":
		where = "session " + record.GetString("session")
	}
	writer := writerOf(record)
	if writer == "" {
		writer = "a deleted account"
	}
	return fmt.Sprintf("%q by %s on %s", clip(strings.Join(strings.Fields(text), " "), 80), writer, where)
}

// boardSettings lists a board's rule fields that are set, as board_change
// entries name them.
func boardSettings(board *core.Record) string {
	var set []string
	for _, f := range boardRuleFields {
		if v := board.GetString(f); v != "" && v != "false" && v != "0" {
			set = append(set, f+": "+v)
		}
	}
	return strings.Join(set, "; ")
}

// boardRuleFields are the board fields whose change is a moderator action.
var boardRuleFields = []string{"name", "is_visible", "read", "write", "anonymous", "category_required",
	"moderation_ai", "moderation_threshold", "auto_hide_reports"}

// registerModerationLog records every moderator action — hide, unhide,
// pin, unpin, ban, unban, grant, revoke, role changes, board creations,
// changes and deletions, and the edit or delete of what someone else
// wrote — in the transaction of the change, whoever makes it (API,
// dashboard, CLI); the actions of routes (report resolutions) are logged
// by them. Hidden and restored content also notifies its author, and a
// lifted ban its user.
func registerModerationLog(app core.App) {
	// whatever a reason came from (a route's body, a ban's reason), the
	// log, which operators read in terminals, holds no control character
	access.Trimmed(app, ModerationLog, "reason")
	// append-only through the API, superusers included (rules alone would
	// let them): a moderator's record is no record if it can be rewritten
	appendOnly := func(e *core.RecordRequestEvent) error {
		return e.ForbiddenError("The moderation log is written by the server and never changed through the API.", nil)
	}
	app.OnRecordCreateRequest(ModerationLog).BindFunc(appendOnly)
	app.OnRecordUpdateRequest(ModerationLog).BindFunc(appendOnly)
	app.OnRecordDeleteRequest(ModerationLog).BindFunc(appendOnly)
	kinds := map[string]string{access.CollectionNamePosts: "post", access.CollectionNameComments: "comment", access.CollectionNameChats: "chat"}
	for collection, kind := range kinds {
		// what the update changes is read in its transaction (AroundRead):
		// of two moderators hiding one post at once, only the first hides it
		// and is logged (until 2026-12-04 both were, the stored post being
		// read before the transaction)
		app.OnRecordUpdateExecute(collection).BindFunc(func(e *core.RecordEvent) error {
			a := access.WrittenBy(e.App, e.Record)
			type change struct {
				before  *core.Record
				entries []entry
			}
			return txn.AroundRead(e, func(tx core.App) change {
				before := stored(tx, e.Record)
				return change{before, contentEntries(collection, kind, a, before, e.Record)}
			}, func(tx core.App, c change) error {
				if err := writeLog(tx, a, c.entries...); err != nil {
					return err
				}
				for _, en := range c.entries {
					if en.action != ActionHide && en.action != ActionUnhide {
						continue
					}
					text := "hidden"
					if en.action == ActionUnhide {
						text = "restored"
					}
					if a.Reason != "" {
						text += ": " + a.Reason
					}
					n := notice{user: writerOf(c.before), kind: KindModeration, text: text}
					if a.User != nil {
						n.actor = a.User.Id
					}
					switch kind {
					case "post":
						n.post = e.Record.Id
					case "comment":
						n.post, n.comment = e.Record.GetString("post"), e.Record.Id
					case "chat":
						n.session = e.Record.GetString("session")
					}
					if err := notify(tx, n); err != nil {
						return err
					}
				}
				return nil
			})
		})
		// a writer taking back what they wrote is no moderator's action
		app.OnRecordDeleteExecute(collection).BindFunc(func(e *core.RecordEvent) error {
			a := access.WrittenBy(e.App, e.Record)
			if a.User != nil && a.User.Id == writerOf(e.Record) {
				return e.Next()
			}
			return txn.Around(e, func(tx core.App) error {
				if cascaded(tx, e.Record) {
					return nil
				}
				return writeLog(tx, a, entry{ActionDelete, kind, e.Record.Id, deleted(kind, e.Record)})
			})
		})
	}
	app.OnRecordCreateExecute(access.CollectionNamePosts).BindFunc(func(e *core.RecordEvent) error {
		if !e.Record.GetBool("is_pinned") {
			return e.Next()
		}
		a := access.WrittenBy(e.App, e.Record)
		return txn.Around(e, func(tx core.App) error { return writeLog(tx, a, entry{ActionPin, "post", e.Record.Id, ""}) })
	})
	app.OnRecordCreateExecute(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		role := e.Record.GetString("role")
		if role == "" || role == access.RoleMember {
			return e.Next()
		}
		a := access.WrittenBy(e.App, e.Record)
		return txn.Around(e, func(tx core.App) error {
			return writeLog(tx, a, entry{ActionRoleChange, "user", e.Record.Id, "→ " + role + " (a new account)"})
		})
	})
	app.OnRecordUpdateExecute(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		a := access.WrittenBy(e.App, e.Record)
		type change struct {
			wasBanned bool
			entries   []entry
		}
		return txn.AroundRead(e, func(tx core.App) change {
			before := stored(tx, e.Record)
			return change{before.GetBool("banned"), userEntries(a, before, e.Record)}
		}, func(tx core.App, c change) error {
			if err := writeLog(tx, a, c.entries...); err != nil {
				return err
			}
			if c.wasBanned && !e.Record.GetBool("banned") { // a ban that ends is news to its user
				return notify(tx, notice{user: e.Record.Id, kind: KindBanLifted, text: "Your ban has ended."})
			}
			return nil
		})
	})

	app.OnRecordUpdateExecute(access.CollectionNameBoards).BindFunc(func(e *core.RecordEvent) error {
		a := access.WrittenBy(e.App, e.Record)
		return txn.AroundRead(e, func(tx core.App) []string {
			before := stored(tx, e.Record)
			var changes []string
			for _, f := range boardRuleFields {
				if was, now := before.GetString(f), e.Record.GetString(f); was != now {
					changes = append(changes, f+": "+was+" → "+now)
				}
			}
			return changes
		}, func(tx core.App, changes []string) error {
			if len(changes) == 0 {
				return nil
			}
			return writeLog(tx, a, entry{ActionBoardChange, "board", e.Record.Id, strings.Join(changes, "; ")})
		})
	})
	app.OnRecordCreateExecute(access.CollectionNameBoards).BindFunc(func(e *core.RecordEvent) error {
		a := access.WrittenBy(e.App, e.Record)
		return txn.Around(e, func(tx core.App) error {
			return writeLog(tx, a, entry{ActionBoardCreate, "board", e.Record.Id, boardSettings(e.Record)})
		})
	})
	// the board's posts, deleted with it, are counted here (its cascade runs
	// after its statement) and not logged one by one
	app.OnRecordDeleteExecute(access.CollectionNameBoards).BindFunc(func(e *core.RecordEvent) error {
		a := access.WrittenBy(e.App, e.Record)
		return txn.Around(e, func(tx core.App) error {
			var posts int
			err := tx.DB().Select("COUNT(*)").From(access.CollectionNamePosts).Where(dbx.HashExp{"board": e.Record.Id}).Row(&posts)
			if err != nil {
				return err
			}
			return writeLog(tx, a, entry{ActionBoardDelete, "board", e.Record.Id,
				fmt.Sprintf("%q with %d post(s)", e.Record.GetString("name"), posts)})
		})
	})
}

// contentEntries are the log lines of an update of a post, comment or
// chat message by a, from before (as stored) to after.
func contentEntries(collection, kind string, a access.Actor, before, after *core.Record) []entry {
	var entries []entry
	wasVisible, visible := before.GetBool("is_visible"), after.GetBool("is_visible")
	byAuthor := a.User != nil && a.User.Id == writerOf(before)
	switch {
	case wasVisible && !visible && !byAuthor:
		entries = append(entries, entry{ActionHide, kind, after.Id, ""})
	case !wasVisible && visible:
		entries = append(entries, entry{ActionUnhide, kind, after.Id, ""})
	}
	var edited []string
	for _, f := range writtenFields[kind] {
		if !slices.Equal(before.GetStringSlice(f), after.GetStringSlice(f)) {
			edited = append(edited, f)
		}
	}
	if len(edited) > 0 && !byAuthor && before.Id != "" { // the fields' names only: an edit may redact what they said
		entries = append(entries, entry{ActionEdit, kind, after.Id, strings.Join(edited, ", ")})
	}
	if collection == access.CollectionNamePosts {
		if pinned := after.GetBool("is_pinned"); pinned != before.GetBool("is_pinned") {
			entries = append(entries, entry{map[bool]string{true: ActionPin, false: ActionUnpin}[pinned], kind, after.Id, ""})
		}
	}
	return entries
}

// userEntries are the log lines of an update of a user by a, from before
// (as stored) to after: bans and changes of a ban's end or reason, roles,
// board grants, and a moderator's removal of an avatar or reset of a name.
func userEntries(a access.Actor, before, after *core.Record) []entry {
	var entries []entry
	wasBanned := before.GetBool("banned")
	switch banned := after.GetBool("banned"); {
	case banned && !wasBanned:
		entries = append(entries, entry{ActionBan, "user", after.Id, after.GetString("ban_reason")})
	case !banned && wasBanned:
		entries = append(entries, entry{ActionUnban, "user", after.Id, ""})
	case banned && wasBanned && access.BanTerms(before) != access.BanTerms(after):
		// a ban's new end or reason is a moderator's action as the ban was:
		// until 2026-12-07 a second ban (the CLI's, an admin's PATCH) replaced
		// the first unlogged, and a temporary ban became permanent unseen
		entries = append(entries, entry{ActionBan, "user", after.Id,
			"changed: " + access.BanTerms(before) + " → " + access.BanTerms(after)})
	}
	if was, now := before.GetString("role"), after.GetString("role"); was != now && before.Id != "" {
		entries = append(entries, entry{ActionRoleChange, "user", after.Id, was + " → " + now})
	}
	oldBoards := before.GetStringSlice("boards")
	now := after.GetStringSlice("boards")
	for _, b := range now {
		if !slices.Contains(oldBoards, b) {
			entries = append(entries, entry{ActionGrant, "user", after.Id, "board " + b})
		}
	}
	for _, b := range oldBoards {
		if !slices.Contains(now, b) {
			entries = append(entries, entry{ActionRevoke, "user", after.Id, "board " + b})
		}
	}
	if a.User == nil || a.User.Id != after.Id { // a moderator's edit of someone's own fields
		if before.GetString("avatar") != "" && after.GetString("avatar") == "" {
			entries = append(entries, entry{ActionAvatarRemove, "user", after.Id, ""})
		}
		if before.GetString("name") != after.GetString("name") && before.Id != "" {
			entries = append(entries, entry{ActionNameReset, "user", after.Id, before.GetString("name") + " → " + after.GetString("name")})
		}
	}
	return entries
}
