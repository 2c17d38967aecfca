package chat_test

import (
	"database/sql"
	"errors"
	"slices"
	"testing"

	"github.com/pocketbase/dbx"

	"madang/chat"
)

// SessionMembers reads a session's members as stored and follows every
// change to them — a record save, and raw SQL that no hook sees — though
// it decodes a stored list only once; each caller gets a slice of its own.
func TestSessionMembersFollowsTheStoredList(t *testing.T) {
	app := chatsFactory(t)
	defer app.Cleanup()

	stored := func() []string { // the members as the session's record has them
		r, err := app.FindRecordById(chat.Sessions, group)
		if err != nil {
			t.Fatal(err)
		}
		return r.GetStringSlice("members")
	}
	kind, members, err := chat.SessionMembers(app, group)
	if err != nil || kind != chat.KindGroup || !slices.Equal(members, stored()) || !slices.Contains(members, bob) {
		t.Fatalf("members of the group chat: %q %q %v; want group %q", kind, members, err, stored())
	}
	members[0] = "changed by the caller"
	if _, again, _ := chat.SessionMembers(app, group); !slices.Equal(again, stored()) {
		t.Errorf("a caller's change to its slice reached the next caller: %q", again)
	}

	session, err := app.FindRecordById(chat.Sessions, group)
	if err != nil {
		t.Fatal(err)
	}
	session.Set("members", []string{bob, adam})
	if err := app.Save(session); err != nil {
		t.Fatal(err)
	}
	if _, after, _ := chat.SessionMembers(app, group); !slices.Equal(after, stored()) || !slices.Contains(after, adam) {
		t.Errorf("after a save: %q, want %q", after, stored())
	}

	_, err = app.DB().NewQuery(`UPDATE chat_sessions SET members = {:m} WHERE id = {:id}`).
		Bind(dbx.Params{"m": `["` + adam + `"]`, "id": group}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if _, after, _ := chat.SessionMembers(app, group); !slices.Equal(after, []string{adam}) {
		t.Errorf("after raw SQL: %q, want [adam]", after)
	}

	if _, _, err := chat.SessionMembers(app, "nosuchsession00"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("a missing session: %v, want sql.ErrNoRows", err)
	}
}
