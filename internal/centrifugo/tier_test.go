package centrifugo_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/centrifugo"
	"madang/internal/realtime"
	"madang/internal/testapp"
)

var (
	alice = testapp.ID(testapp.Alice)
	bob   = testapp.ID(testapp.Bob)
	gina  = testapp.ID(testapp.Gina)
)

// group writes a group chat session of alice's with members.
func group(t testing.TB, app core.App, members ...string) *core.Record {
	t.Helper()
	return testapp.SaveRecord(t, app, "chat_sessions", map[string]any{
		"name": "tier test", "kind": "group", "owner": alice, "members": append([]string{alice}, members...),
	})
}

// say posts a chat message through the API as who.
func say(t testing.TB, base, who, session, content string) string {
	t.Helper()
	r := testapp.Call(t, http.MethodPost, base+"/api/collections/chats/records", testapp.Token(who),
		map[string]any{"session": session, "content": content})
	if r.Status != http.StatusOK {
		t.Fatalf("%s posting in %s: %d %s", who, session, r.Status, r.Raw)
	}
	return r.Body["id"].(string)
}

// follow connects as name and follows the sentinel's shared channel.
func (tr *tier) follow(t *testing.T, name string) *client {
	t.Helper()
	c := tr.connect(t, testapp.Token(name))
	if err := c.subscribe(testapp.SentinelTopic); err != nil {
		t.Fatalf("%s following %s: %v", name, testapp.SentinelTopic, err)
	}
	return c
}

func isChat(ev testapp.Event) bool { return strings.HasPrefix(ev.Name, "chats/") }

func TestConfigRouteTellsTheTierIsOn(t *testing.T) {
	tr := startTier(t, testapp.New(t))
	r := testapp.Call(t, http.MethodGet, tr.base+"/api/realtime/config", "", nil)
	if r.Status != http.StatusOK || r.Body["enabled"] != true || r.Body["url"] != tr.ws {
		t.Fatalf("config: %d %s", r.Status, r.Raw)
	}
	// the web client's pages may open the tier's WebSocket
	res, err := http.Get(tr.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	origin := strings.TrimSuffix(tr.ws, "/connection/websocket")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' "+origin+" ") {
		t.Fatalf("CSP without %s: %s", origin, csp)
	}
}

func TestHalfSetConfigurationIsRefused(t *testing.T) {
	t.Setenv("MADANG_CENTRIFUGO_API_URL", "http://127.0.0.1:8000/api")
	t.Setenv("MADANG_CENTRIFUGO_API_KEY", "k")
	t.Setenv("MADANG_CENTRIFUGO_TOKEN_SECRET", "")
	t.Setenv("MADANG_CENTRIFUGO_WS_URL", "")
	_, err := centrifugo.FromEnv()
	if err == nil || !strings.Contains(err.Error(), "MADANG_CENTRIFUGO_TOKEN_SECRET, MADANG_CENTRIFUGO_WS_URL") {
		t.Fatalf("half-set configuration: %v", err)
	}
	t.Setenv("MADANG_CENTRIFUGO_API_KEY", "")
	t.Setenv("MADANG_CENTRIFUGO_API_URL", "")
	if c, err := centrifugo.FromEnv(); err != nil || c.Enabled() {
		t.Fatalf("unset: %+v %v", c, err)
	}
	// a token life under a second: every token would be dead when issued
	for _, ttl := range []string{"1ns", "999ms", "0", "-5s", "abc"} {
		t.Setenv("MADANG_CENTRIFUGO_TOKEN_TTL", ttl)
		if _, err := centrifugo.FromEnv(); err == nil || !strings.Contains(err.Error(), "at least 1s") {
			t.Errorf("MADANG_CENTRIFUGO_TOKEN_TTL=%s: %v", ttl, err)
		}
	}
	t.Setenv("MADANG_CENTRIFUGO_TOKEN_TTL", "1s")
	if _, err := centrifugo.FromEnv(); err != nil {
		t.Errorf("MADANG_CENTRIFUGO_TOKEN_TTL=1s: %v", err)
	}
}

func TestChatMessagesReachMembersOnly(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	session := group(t, app, bob, gina)
	testapp.SaveRecord(t, app, "blocks", map[string]any{"user": gina, "blocked": alice})

	aliceRT := tr.follow(t, testapp.Alice)
	bobRT := tr.follow(t, testapp.Bob)
	ginaRT := tr.follow(t, testapp.Gina) // a member who blocked the author
	adamRT := tr.follow(t, testapp.Adam) // an admin, not a member of a group

	// SSE stays on beside the tier: the same reader on SSE gets the same event
	bobSSE := testapp.OpenSSE(t, tr.base, testapp.Token(testapp.Bob), "chats/*")

	id := say(t, tr.base, testapp.Alice, session.Id, "hello members")
	for _, c := range []*client{aliceRT, bobRT} {
		ev := c.expect(t, "chats/"+id)
		if ev.Data["action"] != "create" || ev.Record()["content"] != "hello members" {
			t.Fatalf("chat event: %v", ev.Data)
		}
	}
	if rec := bobSSE.ExpectRecord(t, "chats/*"); rec["id"] != id {
		t.Fatalf("SSE beside the tier: %v", rec)
	}
	// an edit reaches the same readers, with the SSE message's shape
	r := testapp.Call(t, http.MethodPatch, tr.base+"/api/collections/chats/records/"+id, testapp.Token(testapp.Alice),
		map[string]any{"content": "hello again"})
	if r.Status != http.StatusOK {
		t.Fatalf("edit: %d %s", r.Status, r.Raw)
	}
	for _, c := range []*client{aliceRT, bobRT} {
		if ev := c.expect(t, "chats/"+id); ev.Data["action"] != "update" || ev.Record()["content"] != "hello again" {
			t.Fatalf("edit event: %v", ev.Data)
		}
	}

	sentinel := testapp.Sentinel(t, app)
	ginaRT.expectOnly(t, sentinel)
	adamRT.expectOnly(t, sentinel)
}

func TestRemovedMemberGetsNoFurtherMessages(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	session := group(t, app, bob)
	bobRT := tr.follow(t, testapp.Bob)

	id := say(t, tr.base, testapp.Alice, session.Id, "before")
	bobRT.expect(t, "chats/"+id)

	// the owner removes bob: he is no longer among the session's readers
	r := testapp.Call(t, http.MethodPatch, tr.base+"/api/collections/chat_sessions/records/"+session.Id,
		testapp.Token(testapp.Alice), map[string]any{"members": []string{alice}})
	if r.Status != http.StatusOK {
		t.Fatalf("removing bob: %d %s", r.Status, r.Raw)
	}
	say(t, tr.base, testapp.Alice, session.Id, "after")
	bobRT.expectUntil(t, testapp.Sentinel(t, app), isChat)
}

// A member who follows the chat's typing topic has it open: no
// notification of its messages; a member who does not gets one.
func TestAnOpenChatIsNotNotified(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	session := group(t, app, bob, gina)
	bobRT := tr.follow(t, testapp.Bob)
	if err := bobRT.subscribe("chat_typing/" + session.Id); err != nil {
		t.Fatalf("bob opening the chat: %v", err)
	}
	ginaRT := tr.follow(t, testapp.Gina)

	id := say(t, tr.base, testapp.Alice, session.Id, "who is here?")
	bobRT.expect(t, "chats/"+id)
	ginaRT.expect(t, "chats/"+id)
	if _, err := app.FindFirstRecordByData("notifications", "user", bob); err == nil {
		t.Fatal("bob, who has the chat open, was notified")
	}
	firstNotification(t, app, gina)
}

func TestNotificationReachesItsOwnerOnly(t *testing.T) {
	app := testapp.NewWithContent(t)
	tr := startTier(t, app)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), bob, "bob's post")

	bobRT := tr.follow(t, testapp.Bob)
	ginaRT := tr.follow(t, testapp.Gina)

	testapp.CreateComment(t, app, post.Id, alice, "")
	ev := bobRT.expect(t, "notifications/"+firstNotification(t, app, bob))
	if rec := ev.Record(); ev.Data["action"] != "create" || rec["user"] != bob || rec["kind"] != "comment" {
		t.Fatalf("notification event: %v", ev.Data)
	}
	ginaRT.expectUntil(t, testapp.Sentinel(t, app), func(ev testapp.Event) bool {
		return strings.HasPrefix(ev.Name, "notifications/")
	})
}

func firstNotification(t testing.TB, app core.App, user string) string {
	t.Helper()
	n, err := app.FindFirstRecordByData("notifications", "user", user)
	if err != nil {
		t.Fatalf("no notification of %s: %v", user, err)
	}
	return n.Id
}

func TestRefusals(t *testing.T) {
	app := testapp.NewWithContent(t)
	tr := startTier(t, app)

	if r := tr.token(t, ""); r.Status != http.StatusUnauthorized {
		t.Fatalf("a guest's token: %d %s", r.Status, r.Raw)
	}
	if r := tr.token(t, testapp.Token(testapp.Ben)); r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
		t.Fatalf("a banned user's token: %d %s", r.Status, r.Raw)
	}
	if r := tr.token(t, testapp.Token("root")); r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
		t.Fatalf("a superuser's token: %d %s", r.Status, r.Raw)
	}

	// a forged token (another secret) does not connect
	aliceRecord, err := app.FindRecordById("users", alice)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := centrifugo.Token(centrifugo.Config{TokenSecret: "not the secret", TokenTTL: time.Minute}, aliceRecord, time.Now())
	if _, err := tr.dial(t, forged); err == nil {
		t.Fatal("a forged token connected")
	}

	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{
		"name": "not alice's", "kind": "group", "owner": bob, "members": []string{bob, gina},
	})
	aliceRT := tr.connect(t, testapp.Token(testapp.Alice))
	for _, topic := range []string{
		"posts/" + testapp.VisiblePost(testapp.BoardGranted), // a board alice is not granted
		"posts/" + testapp.HiddenPost(testapp.BoardPublic),   // a hidden post
		"chats/*",                   // delivered on personal channels only
		"notifications/*",           // likewise
		"nosuchcollection/*",        // not a collection
		"personal:#" + bob,          // another user's personal channel
		"boards",                    // not a topic
		"chat_typing/" + session.Id, // a chat alice does not belong to
	} {
		if err := aliceRT.subscribe(topic); err == nil {
			t.Errorf("alice may follow %s", topic)
		}
	}
	if err := aliceRT.subscribe("posts/" + testapp.VisiblePost(testapp.BoardPublic)); err != nil {
		t.Fatalf("alice following a public post: %v", err)
	}

	// the proxy answers only Centrifugo (its key)
	r := testapp.Call(t, http.MethodPost, tr.base+"/api/realtime/subscribe", "", map[string]any{"user": alice, "channel": testapp.SentinelTopic})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("proxy without the key: %d %s", r.Status, r.Raw)
	}
}

func TestBanDisconnects(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	bobRT := tr.follow(t, testapp.Bob)

	user, err := app.FindRecordById("users", bob)
	if err != nil {
		t.Fatal(err)
	}
	user.Set("banned", true)
	if err := app.Save(user); err != nil {
		t.Fatal(err)
	}
	if code := bobRT.expectEnd(t); code != 4500 {
		t.Fatalf("closed with %d %q, want 4500", code, bobRT.reason)
	}
	if r := tr.token(t, testapp.Token(testapp.Bob)); r.Status == http.StatusOK {
		t.Fatal("a banned user got a token")
	}
}

// TestAccountDeletionDisconnects: a member who deletes their account is
// disconnected from the tier at once, as a ban disconnects. Until
// 2026-12-04 the connection stayed open (nothing was delivered to it).
func TestAccountDeletionDisconnects(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	bobRT := tr.follow(t, testapp.Bob)

	if r := testapp.Call(t, http.MethodDelete, tr.base+"/api/collections/users/records/"+bob, testapp.Token(testapp.Bob), nil); r.Status != http.StatusNoContent {
		t.Fatalf("bob deleting his account: %d %s", r.Status, r.Raw)
	}
	if code := bobRT.expectEnd(t); code != 4500 {
		t.Fatalf("closed with %d %q, want 4500", code, bobRT.reason)
	}
}

func TestPasswordChangeDisconnectsAndAFreshTokenReconnects(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	session := group(t, app, bob)
	bobRT := tr.follow(t, testapp.Bob)

	user, err := app.FindRecordById("users", bob)
	if err != nil {
		t.Fatal(err)
	}
	user.SetPassword("a-new-password-2026")
	if err := app.Save(user); err != nil {
		t.Fatal(err)
	}
	if code := bobRT.expectEnd(t); code != 4500 {
		t.Fatalf("closed with %d %q, want 4500", code, bobRT.reason)
	}
	if r := tr.token(t, testapp.Token(testapp.Bob)); r.Status == http.StatusOK {
		t.Fatal("the old session's PocketBase token still gets a connection token")
	}

	fresh, err := user.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	again := tr.connect(t, fresh)
	id := say(t, tr.base, testapp.Alice, session.Id, "welcome back")
	again.expect(t, "chats/"+id)
}

// TestATokenTellsWhoConnects: the token route tells the access layer
// (realtime.TierConnecting) which user is connecting, so that the chat
// hub warms their answers as an SSE subscribe to chats does; a refused
// token tells nothing.
func TestATokenTellsWhoConnects(t *testing.T) {
	app := testapp.New(t)
	var mu sync.Mutex
	var told []string
	realtime.OnTierConnect(app, func(user *core.Record) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, user.Id)
	})
	tr := startTier(t, app)
	for _, who := range []string{"", testapp.Token(testapp.Ben), testapp.Token("root")} {
		if r := tr.token(t, who); r.Status == http.StatusOK {
			t.Fatalf("a refused caller got a token: %s", r.Raw)
		}
	}
	if r := tr.token(t, testapp.Token(testapp.Bob)); r.Status != http.StatusOK {
		t.Fatalf("bob's token: %d %s", r.Status, r.Raw)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 || told[0] != bob {
		t.Fatalf("told of %v, want bob alone", told)
	}
}

// TestATokenFromAnEndedSessionFollowsNothing: a connection token minted
// before a password change or a sign-out everywhere (a new token key)
// still connects (Centrifugo checks only its signature and expiry), but
// its connection may subscribe to nothing — not its personal channel, not
// a shared one — and is closed with 4500 at the first try; a fresh
// session's token follows again. Until 2026-12-07 Centrifugo subscribed
// the connection to its personal channel itself, and a stolen token kept
// receiving the user's chats for the rest of its life.
func TestATokenFromAnEndedSessionFollowsNothing(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	session := group(t, app, bob)

	for _, end := range []struct {
		name string
		do   func(user *core.Record)
	}{
		{"password change", func(user *core.Record) { user.SetPassword("a-new-password-" + time.Now().Format("150405.000")) }},
		{"sign-out everywhere", func(user *core.Record) { user.RefreshTokenKey() }},
	} {
		user, err := app.FindRecordById("users", bob)
		if err != nil {
			t.Fatal(err)
		}
		session0, err := user.NewAuthToken()
		if err != nil {
			t.Fatal(err)
		}
		r := tr.token(t, session0)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: bob's token: %d %s", end.name, r.Status, r.Raw)
		}
		old := r.Body["token"].(string)

		end.do(user)
		if err := app.Save(user); err != nil {
			t.Fatal(err)
		}
		stale, err := tr.dial(t, old)
		if err == nil {
			t.Fatalf("%s: a token of the ended session subscribed to bob's personal channel", end.name)
		}
		if stale == nil {
			t.Fatalf("%s: the token did not even connect (%v); the test would prove nothing", end.name, err)
		}
		if code := stale.expectEnd(t); code != 4500 {
			t.Fatalf("%s: the stale connection closed with %d %q, want 4500", end.name, code, stale.reason)
		}

		// a shared channel is refused too, on a connection of its own
		again, _ := tr.dialOnly(t, old)
		if err := again.subscribe("posts/*"); err == nil {
			t.Fatalf("%s: a token of the ended session followed posts/*", end.name)
		}

		fresh, err := user.NewAuthToken()
		if err != nil {
			t.Fatal(err)
		}
		bobRT := tr.connect(t, fresh)
		id := say(t, tr.base, testapp.Alice, session.Id, "after the "+end.name)
		bobRT.expect(t, "chats/"+id)
	}
}

// TestASessionEndedElsewhereDisconnects: a sign-out everywhere saved by
// another process (the CLI: no hook here sees it) makes the user's tier
// connections connect again (4000) once realtime's watch sees the user
// saved; the subscribe proxy then closes those of the ended session for
// good (4500) and lets the new session's follow. A sign-in between the
// change and the watch (a token of the new session minted first) does not
// hide it. Until 2026-12-07 such a sign-out left the tier connections
// delivering.
func TestASessionEndedElsewhereDisconnects(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	r := tr.token(t, testapp.Token(testapp.Bob))
	if r.Status != http.StatusOK {
		t.Fatalf("bob's token: %d %s", r.Status, r.Raw)
	}
	old := r.Body["token"].(string)
	bobRT, err := tr.dial(t, old)
	if err != nil {
		t.Fatal(err)
	}
	ginaRT := tr.follow(t, testapp.Gina)

	// what the CLI's sign-out writes, behind this app's back
	if _, err := app.DB().NewQuery("UPDATE users SET tokenKey = 'rotated-elsewhere', updated = {:now} WHERE id = {:id}").
		Bind(map[string]any{"id": bob, "now": time.Now().UTC().Add(time.Second).Format("2006-01-02 15:04:05.000Z")}).Execute(); err != nil {
		t.Fatal(err)
	}
	// bob signs in again before the watch looks
	user, err := app.FindRecordById("users", bob)
	if err != nil {
		t.Fatal(err)
	}
	session, err := user.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	r = tr.token(t, session)
	if r.Status != http.StatusOK {
		t.Fatalf("bob's token of the new session: %d %s", r.Status, r.Raw)
	}
	fresh := r.Body["token"].(string)

	if err := realtime.FollowUsersSavedElsewhere(app); err != nil {
		t.Fatal(err)
	}
	if code := bobRT.expectEnd(t); code != 4000 {
		t.Fatalf("closed with %d %q, want 4000 (connect again)", code, bobRT.reason)
	}
	// connecting again with its token, as centrifuge-js does, the ended
	// session is closed for good
	stale, err := tr.dial(t, old)
	if err == nil {
		t.Fatal("the ended session's token subscribed to bob's personal channel again")
	}
	if code := stale.expectEnd(t); code != 4500 {
		t.Fatalf("the ended session closed with %d %q, want 4500", code, stale.reason)
	}
	// the new session follows
	if _, err := tr.dial(t, fresh); err != nil {
		t.Fatalf("the new session's token: %v", err)
	}
	// gina's session did not end
	ginaRT.expectOnly(t, testapp.Sentinel(t, app))
}

// TestTheProxyNeedsTheConnectionsMeta: a subscribe question without the
// connection's meta (a Centrifugo configured without
// include_connection_meta) is refused, as is one whose session tag is not
// the user's (closed: disconnect 4500); the right tag is allowed.
func TestTheProxyNeedsTheConnectionsMeta(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	user, err := app.FindRecordById("users", bob)
	if err != nil {
		t.Fatal(err)
	}
	ask := func(meta any) testapp.Response {
		body := map[string]any{"user": bob, "channel": centrifugo.PersonalChannel(bob)}
		if meta != nil {
			body["meta"] = meta
		}
		return tr.proxy(t, body)
	}
	if r := ask(nil); r.Body["error"] == nil || r.Body["result"] != nil {
		t.Errorf("without meta: %d %s, want an error", r.Status, r.Raw)
	}
	if r := ask(map[string]string{"session": "0123456789abcdef0123456789abcdef"}); r.Body["disconnect"] == nil || r.Body["result"] != nil {
		t.Errorf("another session's tag: %d %s, want a disconnect", r.Status, r.Raw)
	}
	if r := ask(map[string]string{"session": centrifugo.SessionTag(tr.cfg, user.TokenKey())}); r.Body["result"] == nil {
		t.Errorf("bob's own tag: %d %s, want a result", r.Status, r.Raw)
	}
	// another user's personal channel, with bob's own tag
	r := tr.proxy(t, map[string]any{"user": bob, "channel": centrifugo.PersonalChannel(alice),
		"meta": map[string]string{"session": centrifugo.SessionTag(tr.cfg, user.TokenKey())}})
	if r.Body["result"] != nil {
		t.Errorf("bob subscribing to alice's personal channel: %s", r.Raw)
	}
}

// TestSubscriptionsAreLimitedPerUser: a user's subscribe questions pass
// SubscribeBurst at once, then the next is refused for now (429,
// temporary: centrifuge-js asks again later) without reading the
// database; another user keeps their own allowance.
func TestSubscriptionsAreLimitedPerUser(t *testing.T) {
	app := testapp.New(t)
	tr := startTier(t, app)
	centrifugo.StopClock(t) // no allowance comes back while the test asks (-race is slow)
	ask := func(who string) testapp.Response {
		user, err := app.FindRecordById("users", who)
		if err != nil {
			t.Fatal(err)
		}
		return tr.proxy(t, map[string]any{"user": who, "channel": centrifugo.PersonalChannel(who),
			"meta": map[string]string{"session": centrifugo.SessionTag(tr.cfg, user.TokenKey())}})
	}
	for i := range centrifugo.SubscribeBurst {
		if r := ask(bob); r.Body["result"] == nil {
			t.Fatalf("bob's subscription %d: %s", i+1, r.Raw)
		}
	}
	r := ask(bob)
	refusal, _ := r.Body["error"].(map[string]any)
	if refusal == nil || refusal["code"] != float64(429) || refusal["temporary"] != true {
		t.Fatalf("bob's subscription past the allowance: %s, want a temporary 429", r.Raw)
	}
	if r := ask(gina); r.Body["result"] == nil {
		t.Fatalf("gina's subscription after bob's allowance was spent: %s", r.Raw)
	}

	// a token of another (ended) session spends its own allowance:
	// a thief's stale token cannot starve the live session
	for range centrifugo.SubscribeBurst + 5 {
		tr.proxy(t, map[string]any{"user": gina, "channel": centrifugo.PersonalChannel(gina),
			"meta": map[string]string{"session": "an ended session of gina's"}})
	}
	if r := ask(gina); r.Body["result"] == nil {
		t.Fatalf("gina's live session after a stale one spent its allowance: %s", r.Raw)
	}
}
