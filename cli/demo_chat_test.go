package cli_test

import (
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/chat"
	"madang/internal/testapp"
)

// TestDemoChat: `madang demo` opens one support chat: a member asks twice,
// an admin answers last; the session is the member's, readable by the member
// and the admins but not by the other member, and the chat hooks kept its
// derived fields as in production.
func TestDemoChat(t *testing.T) {
	app := testapp.NewEmpty(t)
	if _, err := testapp.RunCLI(t, app, "demo"); err != nil {
		t.Fatal(err)
	}
	minsu := user(t, app, "minsu@madang.example")
	admin := user(t, app, "admin@madang.example")
	jane := user(t, app, "jane@madang.example")
	if minsu.GetString("role") != "member" || admin.GetString("role") != "admin" {
		t.Fatalf("demo roles: minsu %q, admin %q", minsu.GetString("role"), admin.GetString("role"))
	}

	sessions, err := app.FindAllRecords(chat.Sessions)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("demo chat sessions: %d %v", len(sessions), err)
	}
	s := sessions[0]
	if s.GetString("kind") != chat.KindSupport || s.GetString("owner") != minsu.Id ||
		len(s.GetStringSlice("members")) != 1 || s.GetStringSlice("members")[0] != minsu.Id ||
		s.GetBool("is_closed") || s.GetString("name") == "" || s.GetString("information") == "" {
		t.Fatalf("demo session: kind %q owner %q members %v closed %v name %q information %q",
			s.GetString("kind"), s.GetString("owner"), s.GetStringSlice("members"), s.GetBool("is_closed"),
			s.GetString("name"), s.GetString("information"))
	}

	// in the order written (created may tie within a millisecond)
	messages := []*core.Record{}
	err = app.RecordQuery(chat.Messages).AndWhere(dbx.HashExp{"session": s.Id}).
		OrderBy("created ASC", "rowid ASC").All(&messages)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := app.CountRecords(chat.Messages); int(n) != len(messages) {
		t.Fatalf("%d demo messages, %d of them in the demo session", n, len(messages))
	}
	wantAuthors := []string{minsu.Id, minsu.Id, admin.Id}
	if len(messages) != len(wantAuthors) {
		t.Fatalf("%d demo messages, want %d", len(messages), len(wantAuthors))
	}
	for i, m := range messages {
		if m.GetString("author") != wantAuthors[i] || m.GetString("content") == "" || !m.GetBool("is_visible") {
			t.Errorf("message %d: author %q (want %q) content %q visible %v", i,
				m.GetString("author"), wantAuthors[i], m.GetString("content"), m.GetBool("is_visible"))
		}
	}
	last := messages[len(messages)-1].GetString("created")
	if got := s.GetString("last_message_at"); got == "" || got != last {
		t.Fatalf("last_message_at %q, want the newest message's time %q", got, last)
	}

	// the chat rules: the owner and the admins read it, the other member does not
	for _, c := range []struct {
		who  *core.Record
		want bool
	}{{minsu, true}, {admin, true}, {jane, false}} {
		info := &core.RequestInfo{Auth: c.who, Method: "GET"}
		ok, err := app.CanAccessRecord(s, info, s.Collection().ViewRule)
		if err != nil || ok != c.want {
			t.Errorf("%s may read the demo chat: %v (%v), want %v", c.who.Email(), ok, err, c.want)
		}
		ok, err = app.CanAccessRecord(messages[0], info, messages[0].Collection().ListRule)
		if err != nil || ok != c.want {
			t.Errorf("%s may read the demo messages: %v (%v), want %v", c.who.Email(), ok, err, c.want)
		}
	}
}
