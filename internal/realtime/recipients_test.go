package realtime_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/realtime"
	"madang/internal/testapp"
)

// TestTierRecipientsFollowUserChanges: the tier decides each candidate
// with their users record, held between events; a user saved here, a user
// saved by another process (the CLI) and a change of the users collection
// are read again before the next event, and a banned user is never a
// recipient.
func TestTierRecipientsFollowUserChanges(t *testing.T) {
	app := testapp.New(t)
	alice, bob, gina := testapp.ID(testapp.Alice), testapp.ID(testapp.Bob), testapp.ID(testapp.Gina)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "three", "kind": "group", "owner": alice, "members": []string{bob, gina}})
	tier := &sentTier{sent: map[string][]string{}}
	realtime.SetTier(app, tier)

	// each reader's payload is what their record says of them now
	field := "role"
	roleOf := func() map[string]string {
		t.Helper()
		tier.mu.Lock()
		clear(tier.sent)
		tier.mu.Unlock()
		realtime.Publish(app, "chat_typing/"+session.Id, func(auth *core.Record) []byte {
			return []byte(auth.GetString(field))
		})
		tier.mu.Lock()
		defer tier.mu.Unlock()
		got := map[string]string{}
		for data, users := range tier.sent {
			for _, u := range users {
				got[u] = data
			}
		}
		return got
	}
	if got := roleOf(); got[gina] != "member" || got[bob] != "member" {
		t.Fatalf("before any change: %v", got)
	}

	// saved here
	user, err := app.FindRecordById("users", gina)
	if err != nil {
		t.Fatal(err)
	}
	user.Set("role", "admin")
	if err := app.Save(user); err != nil {
		t.Fatal(err)
	}
	if got := roleOf(); got[gina] != "admin" {
		t.Fatalf("after gina was made an admin here, the tier read her as %q", got[gina])
	}

	// saved by another process: only the database knows
	later := types.NowDateTime().Add(1e9).String()
	if _, err := app.DB().NewQuery("UPDATE users SET role = 'member', updated = {:at} WHERE id = {:id}").
		Bind(map[string]any{"id": gina, "at": later}).Execute(); err != nil {
		t.Fatal(err)
	}
	if err := realtime.FollowUsersSavedElsewhere(app); err != nil {
		t.Fatal(err)
	}
	if got := roleOf(); got[gina] != "member" {
		t.Fatalf("after another process made gina a member again, the tier read her as %q", got[gina])
	}

	// a new field of the users collection: every record is read again
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	users.Fields.Add(&core.TextField{Name: "motto"})
	if err := app.Save(users); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB().NewQuery("UPDATE users SET motto = 'hi'").Execute(); err != nil {
		t.Fatal(err)
	}
	field = "motto"
	if got := roleOf(); got[bob] != "hi" || got[gina] != "hi" {
		t.Fatalf("after the users collection changed, the tier read %v", got)
	}

	// banned: no longer a recipient
	user, err = app.FindRecordById("users", bob)
	if err != nil {
		t.Fatal(err)
	}
	user.Set("banned", true)
	if err := app.Save(user); err != nil {
		t.Fatal(err)
	}
	got := roleOf()
	if _, ok := got[bob]; ok {
		t.Fatalf("a banned member is still a recipient: %v", got)
	}
	for _, id := range []string{alice, gina} {
		if _, ok := got[id]; !ok {
			t.Fatalf("member %s is no longer a recipient: %v", id, got)
		}
	}
}
