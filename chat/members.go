package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/sqlite"
	"madang/internal/txn"
)

// keepMembersExact re-bases an update of a session's members on the list
// stored when it is written, inside the write's transaction
// (txn.BindUpdateBefore). The owner's PATCH and the leave route load the
// session, change its members and save the whole list; a list loaded
// before another writer's change and saved after it undid that change
// (12 members leaving at once, each answered 204: 2 or 3 were still
// members after, probe of 2026-12-03). Now a write applies only its own
// change — the members it added and removed against the list its writer
// loaded — to the stored list, and keeps the stored owner unless it
// changes the owner itself; the owner stays among the members.
func keepMembersExact(tx core.App, session *core.Record) error {
	if !access.ChangesOnly(session) {
		return nil // a record object saved again writes its whole list, as PocketBase does
	}
	var owner, raw string
	err := sqlite.QueryRow(tx, true, `SELECT owner, members FROM chat_sessions WHERE id = ?1`, []any{session.Id}, &owner, &raw)
	if err != nil {
		return fmt.Errorf("reading the members of chat session %s: %w", session.Id, err)
	}
	var stored []string
	if err := json.Unmarshal([]byte(raw), &stored); err != nil {
		return fmt.Errorf("reading the members of chat session %s: %w", session.Id, err)
	}
	original := session.Original()
	loaded, wanted := setOf(original.GetStringSlice("members")), session.GetStringSlice("members")
	kept := setOf(wanted)
	members := make([]string, 0, len(stored)+len(wanted))
	for _, id := range stored {
		if !loaded[id] || kept[id] { // not removed by this write
			members = append(members, id)
		}
	}
	present := setOf(members)
	for _, id := range wanted {
		if !loaded[id] && !present[id] { // added by this write
			members = append(members, id)
			present[id] = true
		}
	}
	if session.GetString("owner") != original.GetString("owner") {
		owner = session.GetString("owner")
	}
	if owner != "" && !present[owner] {
		members = append(members, owner)
	}
	if field, ok := session.Collection().Fields.GetByName("members").(*core.RelationField); ok &&
		field.MaxSelect > 0 && len(members) > field.MaxSelect {
		return validation.Errors{"members": validation.NewError("validation_too_many_values",
			fmt.Sprintf("A chat holds at most %d members; the chat has %d with this change.", field.MaxSelect, len(members)))}
	}
	session.Set("owner", owner)
	session.Set("members", members)
	return nil
}

func setOf(ids []string) map[string]bool {
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// leaveSession answers POST /api/chat/sessions/{id}/leave: a member leaves
// a group chat, which the rules cannot let them do themselves (only the
// owner edits members). It reads and writes the session in one
// transaction. It returns 204; the hub's update hooks end the member's
// delivery at once.
func leaveSession(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	err := e.App.RunInTransaction(func(tx core.App) error {
		session, err := tx.FindRecordById(Sessions, id)
		if err != nil || !slices.Contains(session.GetStringSlice("members"), e.Auth.Id) {
			return errNoSession(id)
		}
		if session.GetString("kind") != KindGroup {
			return &refusal{message: "Only group chats can be left; close a support chat instead."}
		}
		return leaveGroup(tx, session, e.Auth.Id)
	})
	if r := (*refusal)(nil); errors.As(err, &r) {
		return apiError(err)
	}
	if err != nil {
		return fmt.Errorf("removing user %s from chat %s: %w", e.Auth.Id, id, err)
	}
	return e.NoContent(http.StatusNoContent)
}

// leaveGroup takes user out of a group session. A group always has an
// owner while it has members, as a group chat does in KakaoTalk or Slack:
// when its owner leaves, or deletes their account, the group passes to the
// member who has been in it longest, the first of members (until
// 2026-12-03 the owner could not leave, and a deleted owner left a group
// that nobody could rename, close or delete). The last member to go
// deletes the group, with its messages. With user "" nobody leaves: a
// group without owner gets the one a leave would give it (HandOverOwnerless).
func leaveGroup(tx core.App, session *core.Record, user string) error {
	rest := slices.DeleteFunc(session.GetStringSlice("members"), func(id string) bool { return id == user })
	if len(rest) == 0 {
		return tx.Delete(session)
	}
	if owner := session.GetString("owner"); owner == user || owner == "" {
		session.Set("owner", rest[0])
	}
	session.Set("members", rest)
	return tx.Save(session)
}

// handOverGroups runs leaveGroup for every group a deleted user owned, in
// the delete's transaction, before PocketBase empties the owner field.
func handOverGroups(e *core.RecordEvent) error {
	return txn.Around(e, func(tx core.App) error {
		owned, err := tx.FindAllRecords(Sessions, dbx.HashExp{"owner": e.Record.Id, "kind": KindGroup})
		if err != nil {
			return fmt.Errorf("finding the group chats of deleted user %s: %w", e.Record.Id, err)
		}
		for _, session := range owned {
			if err := leaveGroup(tx, session, e.Record.Id); err != nil {
				return fmt.Errorf("handing over chat %s of deleted user %s: %w", session.Id, e.Record.Id, err)
			}
		}
		return nil
	})
}

// HandOverOwnerless gives every group chat left without an owner the
// owner its next leave would give it (leaveGroup, with nobody leaving):
// the member there longest. A group left without members is deleted with
// its messages, as the last leave deletes it. Such groups are what a
// deleted owner left until 2026-12-03, repaired until then only at their
// next leave (migration 1795900891). Support chats without owner (a
// deleted member's) stay, for the admins.
func HandOverOwnerless(app core.App) error {
	ownerless, err := app.FindAllRecords(Sessions, dbx.HashExp{"owner": "", "kind": KindGroup})
	if err != nil {
		return fmt.Errorf("finding the group chats without owner: %w", err)
	}
	for _, session := range ownerless {
		if err := leaveGroup(app, session, ""); err != nil {
			return fmt.Errorf("handing over chat %s, which had no owner: %w", session.Id, err)
		}
	}
	return nil
}
