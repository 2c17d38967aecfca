package chat_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/pocketbase/dbx"

	"madang/chat"
)

// SessionMembers reads a session's members as stored and follows every
// change to them — a record save, and raw SQL that no hook sees — though
// it decodes a stored list only once (SQLite sends the stored text only
// when it differs from the one decoded last).
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
	if _, again, _ := chat.SessionMembers(app, group); !slices.Equal(again, stored()) {
		t.Errorf("read again: %q, want %q", again, stored())
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
	// a text of the same length, other members in it: the same list
	// reordered is no shorter or longer, and is still a change
	swapped := []string{adam, bob}
	for range 2 {
		slices.Reverse(swapped)
		raw, _ := json.Marshal(swapped)
		if _, err := app.DB().NewQuery(`UPDATE chat_sessions SET members = {:m} WHERE id = {:id}`).
			Bind(dbx.Params{"m": string(raw), "id": group}).Execute(); err != nil {
			t.Fatal(err)
		}
		if _, after, _ := chat.SessionMembers(app, group); !slices.Equal(after, swapped) {
			t.Errorf("after %s: %q", raw, after)
		}
	}

	if _, _, err := chat.SessionMembers(app, "nosuchsession00"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("a missing session: %v, want sql.ErrNoRows", err)
	}
}
