package chat

import (
	"encoding/json"
	"fmt"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/sqlite"
)

// keepMembersExact re-bases an update of a session's members on the list
// stored when it is written, inside the write's transaction
// (txn.BindUpdateBefore). The owner's PATCH and the leave route load the
// session, change its members and save the whole list; a list loaded
// before another writer's change and saved after it undid that change
// (12 members leaving at once, each answered 204: 2 or 3 were still
// members after, probe of 2026-12-04). Now a write applies only its own
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
