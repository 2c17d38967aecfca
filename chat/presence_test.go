package chat_test

import (
	"testing"
	"time"

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
	if online := first["online"].([]any); len(online) != 1 || online[0].(map[string]any)["id"] != alice {
		t.Fatalf("first presence: %v", first)
	}
	bobConn := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "users/"+bob)
	ev, ok := watch.Next(chat.PresenceEvery + 5*time.Second)
	if !ok || len(ev.Data["online"].([]any)) != 2 {
		t.Fatalf("after bob connected: %v", ev)
	}
	bobConn.Close()
	ev, ok = watch.Next(chat.PresenceEvery + 5*time.Second)
	if !ok || len(ev.Data["online"].([]any)) != 1 {
		t.Fatalf("after bob left: %v", ev)
	}

	// gina follows alice's chat (refused in silence) and her own: hers comes first
	g := testapp.OpenSSE(t, base, testapp.Token(testapp.Gina), chat.PresenceTopic(session.Id), chat.PresenceTopic(gina.Id))
	if ev := g.ExpectOnly(t, func(e testapp.Event) bool { return e.Topic() == chat.PresenceTopic(gina.Id) }); len(ev.Data["online"].([]any)) != 1 {
		t.Fatalf("gina's own presence: %v", ev)
	}
}
