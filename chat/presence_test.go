package chat_test

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/chat"
	"madang/internal/testapp"
)

// TestPresence: a session's readers get who of its members is online at
// once when they follow its presence topic, then every change (within
// chat.PresenceEvery); a non-reader's subscription gets nothing.
func TestPresence(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice, bob := testapp.ID(testapp.Alice), testapp.ID(testapp.Bob)
	session := testapp.SaveRecord(t, app, chat.Sessions, map[string]any{"name": "pair", "kind": "group", "owner": alice, "members": []string{bob}})
	gina := testapp.SaveRecord(t, app, chat.Sessions, map[string]any{"name": "gina's", "kind": "group", "owner": testapp.ID(testapp.Gina)})

	watch := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), chat.PresenceTopic(session.Id))
	first := watch.ExpectRecord(t, chat.PresenceTopic(session.Id))
	if online := first["online"].([]any); len(online) != 1 || online[0].(map[string]any)["id"] != alice || first["count"] != 1.0 {
		t.Fatalf("first presence: %v", first)
	}
	bobConn := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "users/"+bob)
	ev, ok := watch.Next(chat.PresenceEvery + 5*time.Second)
	if !ok || len(ev.Data["online"].([]any)) != 2 || ev.Data["count"] != 2.0 {
		t.Fatalf("after bob connected: %v", ev)
	}
	bobConn.Close()
	ev, ok = watch.Next(chat.PresenceEvery + 5*time.Second)
	if !ok || len(ev.Data["online"].([]any)) != 1 || ev.Data["count"] != 1.0 {
		t.Fatalf("after bob left: %v", ev)
	}

	// gina follows alice's chat (refused in silence) and her own: hers comes first
	g := testapp.OpenSSE(t, base, testapp.Token(testapp.Gina), chat.PresenceTopic(session.Id), chat.PresenceTopic(gina.Id))
	if ev := g.ExpectOnly(t, func(e testapp.Event) bool { return e.Topic() == chat.PresenceTopic(gina.Id) }); len(ev.Data["online"].([]any)) != 1 {
		t.Fatalf("gina's own presence: %v", ev)
	}
}

// TestPresenceNamesAtMostListMax: in a big chat the event names the first
// chat.PresenceListMax members online (by name) and counts all of them; a
// member leaving from past the named ones changes the count, and readers
// get it.
func TestPresenceNamesAtMostListMax(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice := testapp.ID(testapp.Alice)
	owner, err := app.FindRecordById("users", alice)
	if err != nil {
		t.Fatal(err)
	}
	users, tokens := testapp.CreateMembers(t, app, "crowd", chat.PresenceListMax+5)
	var members []string
	for _, u := range users {
		members = append(members, u.Id)
	}
	session := testapp.SaveRecord(t, app, chat.Sessions, map[string]any{"name": "crowd", "kind": "group", "owner": alice, "members": members})
	conns := make([]*testapp.SSE, len(users))
	for i, u := range users {
		conns[i] = testapp.OpenSSE(t, base, tokens[i], "users/"+u.Id)
	}
	byName := append([]*core.Record{owner}, users...)
	slices.SortFunc(byName, func(a, b *core.Record) int {
		return cmp.Or(cmp.Compare(a.GetString("name"), b.GetString("name")), cmp.Compare(a.Id, b.Id))
	})
	var named []string
	for _, u := range byName[:chat.PresenceListMax] {
		named = append(named, u.Id)
	}

	watch := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), chat.PresenceTopic(session.Id))
	first := watch.ExpectRecord(t, chat.PresenceTopic(session.Id))
	assertPresence(t, first, named, len(byName))

	// the last member by name is not named; their leaving is counted
	last := slices.Index(users, byName[len(byName)-1])
	conns[last].Close()
	ev, ok := watch.Next(chat.PresenceEvery + 5*time.Second)
	if !ok {
		t.Fatal("no presence event after a member left")
	}
	assertPresence(t, ev.Data, named, len(byName)-1)
}

// assertPresence checks a presence event: the members it names, in order,
// and its count.
func assertPresence(t *testing.T, data map[string]any, named []string, count int) {
	t.Helper()
	var got []string
	for _, u := range data["online"].([]any) {
		got = append(got, u.(map[string]any)["id"].(string))
	}
	if !slices.Equal(got, named) || data["count"] != float64(count) {
		t.Fatalf("presence named %d members %v, count %v; want %d members %v, count %d", len(got), got, data["count"], len(named), named, count)
	}
}

// TestPresenceLeavesOutBlockedMembers: a member who blocked another does
// not see them online, as they get none of their messages or typing: not
// in the first list, not in the count, and a block or unblock while both
// are online changes the blocker's list (theirs alone) at the next round.
// The blocked member, the other members and an admin who blocked them see
// no difference.
func TestPresenceLeavesOutBlockedMembers(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice, bob, gina, adam := testapp.ID(testapp.Alice), testapp.ID(testapp.Bob), testapp.ID(testapp.Gina), testapp.ID(testapp.Adam)
	session := testapp.SaveRecord(t, app, chat.Sessions, map[string]any{"name": "four", "kind": "group", "owner": alice, "members": []string{bob, gina, adam}})
	topic := chat.PresenceTopic(session.Id)
	block := func(who, blocked string) string {
		r := testapp.Call(t, http.MethodPost, base+"/api/collections/blocks/records", testapp.Token(who), map[string]any{"blocked": blocked})
		if r.Status != http.StatusOK {
			t.Fatalf("%s blocking %s: %d %s", who, blocked, r.Status, r.Raw)
		}
		return r.Body["id"].(string)
	}
	bobsBlock := block(testapp.Bob, gina)
	block(testapp.Adam, gina) // admins may block; they still see everything
	// a round with no list followed yet: the blocks' marks (send bob and
	// adam their lists again) are spent, so what follows is exact
	chat.PublishPresence(app)

	// all four online before anyone asks: the first list is computed for bob
	ginaConn := testapp.OpenSSE(t, base, testapp.Token(testapp.Gina), "users/"+gina)
	for _, who := range []string{testapp.Alice, testapp.Adam} {
		testapp.OpenSSE(t, base, testapp.Token(who), "users/"+testapp.ID(who))
	}
	bobWatch := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), topic, testapp.SentinelTopic)
	assertPresence(t, bobWatch.ExpectRecord(t, topic), []string{adam, alice, bob}, 3)
	all := []string{adam, alice, bob, gina}
	watches := map[string]*testapp.SSE{}
	for _, who := range []string{testapp.Alice, testapp.Adam, testapp.Gina} {
		watches[who] = testapp.OpenSSE(t, base, testapp.Token(who), topic, testapp.SentinelTopic)
		assertPresence(t, watches[who].ExpectRecord(t, topic), all, 4)
	}
	// quiet: a round, forced or the server's, sent conns nothing new
	quiet := func(conns ...*testapp.SSE) {
		t.Helper()
		chat.PublishPresence(app)
		sentinel := testapp.Sentinel(t, app)
		for _, c := range append(conns, slices.Collect(maps.Values(watches))...) {
			c.ExpectOnly(t, sentinel)
		}
	}

	// bob unblocks gina while both are online: his list gains her, nobody
	// else's changes
	if r := testapp.Call(t, http.MethodDelete, base+"/api/collections/blocks/records/"+bobsBlock, testapp.Token(testapp.Bob), nil); r.Status != http.StatusNoContent {
		t.Fatalf("bob unblocking gina: %d %s", r.Status, r.Raw)
	}
	chat.PublishPresence(app)
	assertPresence(t, bobWatch.ExpectRecord(t, topic), all, 4)
	quiet(bobWatch)
	// and blocks her again: she leaves his list
	block(testapp.Bob, gina)
	chat.PublishPresence(app)
	assertPresence(t, bobWatch.ExpectRecord(t, topic), []string{adam, alice, bob}, 3)
	quiet(bobWatch)

	// gina goes: the others see it; bob's list, without her, is the same
	ginaConn.Close()
	watches[testapp.Gina].Close()
	delete(watches, testapp.Gina)
	for _, who := range []string{testapp.Alice, testapp.Adam} {
		ev, ok := watches[who].Next(chat.PresenceEvery + 5*time.Second)
		if !ok || ev.Topic() != topic {
			t.Fatalf("%s after gina left: %v", who, ev)
		}
		assertPresence(t, ev.Data, []string{adam, alice, bob}, 3)
	}
	quiet(bobWatch)
}

// TestPresenceSnapshotFollowsRemovals: a subscriber's first list leaves
// out a member removed since the list was last sent (until 2026-12-07 it
// showed them online for up to chat.PresenceEvery), and the readers who
// had the chat open are still sent the change.
func TestPresenceSnapshotFollowsRemovals(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice, bob, gina := testapp.ID(testapp.Alice), testapp.ID(testapp.Bob), testapp.ID(testapp.Gina)
	session := testapp.SaveRecord(t, app, chat.Sessions, map[string]any{"name": "trio", "kind": "group", "owner": alice, "members": []string{bob, gina}})
	topic := chat.PresenceTopic(session.Id)
	watch := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), topic)
	watch.ExpectRecord(t, topic)
	testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "users/"+bob)
	if ev, ok := watch.Next(chat.PresenceEvery + 5*time.Second); !ok || ev.Data["count"] != 2.0 {
		t.Fatalf("after bob connected: %v", ev)
	}
	if r := testapp.Call(t, http.MethodPatch, base+"/api/collections/chat_sessions/records/"+session.Id, testapp.Token(testapp.Alice),
		map[string]any{"members-": bob}); r.Status != 200 {
		t.Fatalf("removing bob: %d %s", r.Status, r.Raw)
	}
	g := testapp.OpenSSE(t, base, testapp.Token(testapp.Gina), topic)
	first := g.ExpectRecord(t, topic)
	for _, u := range first["online"].([]any) {
		if u.(map[string]any)["id"] == bob {
			t.Errorf("gina's first list shows bob, removed: %v", first)
		}
	}
	// and alice, who had the chat open, is sent the change: bob gone,
	// gina online
	ev, ok := watch.Next(chat.PresenceEvery + 5*time.Second)
	if !ok || ev.Data["count"] != 2.0 {
		t.Fatalf("alice after bob's removal and gina's arrival: %v", ev)
	}
	for _, u := range ev.Data["online"].([]any) {
		if u.(map[string]any)["id"] == bob {
			t.Errorf("alice's list still shows bob: %v", ev)
		}
	}
}
