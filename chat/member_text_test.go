package chat_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

// TestMembershipIsAWholeID: the chat and notification rules find the
// requester in a session's stored members by the id's text (migration
// 1795900901). Users whose ids are the members' shifted by one character,
// differ from one in the last, or would run across two members' ids were
// the list not quoted, are refused the session, its messages (list, view,
// create) and its notices, with the database unchanged; the members are
// not.
func TestMembershipIsAWholeID(t *testing.T) {
	app := chatsFactory(t)
	defer app.Cleanup()
	base := testapp.Serve(t, app)

	const owner, member = "abcdefghijklmno", "pqrstuvwxyz0123"
	tokens := map[string]string{}
	for _, id := range []string{owner, member,
		"bcdefghijklmnop",  // the owner's id shifted by one
		"abcdefghijklmnp",  // the owner's id but its last character
		"mnopqrstuvwxyz0",  // the owner's end and the member's start, unquoted
		"o\"\"pqrstuvwxyz", // not a users id: refused by the id field itself
	} {
		token, err := userWithID(t, app, id)
		if id == `o""pqrstuvwxyz` {
			if err == nil {
				t.Fatalf("a users id with quotes was saved")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		tokens[id] = token
	}
	session := saveSession(t, app, "", "ids", "group", owner, false, member)
	message := saveMessage(t, app, "", session.Id, owner, "members only", true)
	// the message's notice to the member, who was not watching
	notice, err := app.FindFirstRecordByFilter("notifications", "user = {:user} && session = {:session}",
		dbx.Params{"user": member, "session": session.Id})
	if err != nil {
		t.Fatalf("the member has no notice of the message: %v", err)
	}

	messages := base + "/api/collections/chats/records"
	inSession := "?filter=" + url.QueryEscape(`session="`+session.Id+`"`)
	count := func(id, path string) int {
		t.Helper()
		r := testapp.Call(t, http.MethodGet, base+path, tokens[id], nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s lists %s: %d %s", id, path, r.Status, r.Raw)
		}
		return len(r.Body["items"].([]any))
	}
	for id := range tokens {
		isMember := id == owner || id == member
		want := 0
		if isMember {
			want = 1
		}
		if got := count(id, "/api/collections/chats/records"+inSession); got != want {
			t.Errorf("%s lists %d of the session's messages, want %d", id, got, want)
		}
		if got := count(id, "/api/collections/chat_sessions/records"); got != want {
			t.Errorf("%s lists %d sessions, want %d", id, got, want)
		}
		view := testapp.Call(t, http.MethodGet, messages+"/"+message.Id, tokens[id], nil)
		if wantStatus := map[bool]int{true: 200, false: 404}[isMember]; view.Status != wantStatus {
			t.Errorf("%s views the message: %d, want %d", id, view.Status, wantStatus)
		}
		if id != member {
			// the notice is the member's: nobody else reads it, whatever the session rule says
			if r := testapp.Call(t, http.MethodGet, base+"/api/collections/notifications/records/"+notice.Id, tokens[id], nil); r.Status != http.StatusNotFound {
				t.Errorf("%s reads the member's notice: %d", id, r.Status)
			}
		} else if r := testapp.Call(t, http.MethodGet, base+"/api/collections/notifications/records/"+notice.Id, tokens[id], nil); r.Status != http.StatusOK {
			t.Errorf("the member cannot read their notice: %d %s", r.Status, r.Raw)
		}
	}
	// writes last: the reads above count the one message
	for id := range tokens {
		isMember := id == owner || id == member
		before := countMessages(t, app, session.Id)
		sent := testapp.Call(t, http.MethodPost, messages, tokens[id], map[string]any{"session": session.Id, "content": "from " + id})
		after := countMessages(t, app, session.Id)
		if isMember && (sent.Status != http.StatusOK || after != before+1) {
			t.Errorf("member %s cannot write: %d %s", id, sent.Status, sent.Raw)
		}
		if !isMember && (sent.Status < 400 || sent.Status >= 500 || after != before) {
			t.Errorf("%s writes to the session: %d %s (%d → %d messages)", id, sent.Status, sent.Raw, before, after)
		}
	}
}

// userWithID saves a user whose id is id and returns its auth token.
func userWithID(t testing.TB, app core.App, id string) (string, error) {
	t.Helper()
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := app.FindRecordById(users, testapp.ID(testapp.Alice))
	if err != nil {
		t.Fatal(err)
	}
	u := core.NewRecord(users)
	u.Id = id
	name := "u" + id
	u.SetEmail(name + "@example.com")
	u.SetRaw(core.FieldNamePassword, alice.GetRaw(core.FieldNamePassword)) // bcrypt is slow: alice's hash
	u.SetVerified(true)
	u.Set("name", name)
	if err := app.Save(u); err != nil {
		return "", err
	}
	return u.NewAuthToken()
}

func countMessages(t testing.TB, app core.App, session string) int {
	t.Helper()
	n, err := app.CountRecords("chats", dbx.HashExp{"session": session})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}
