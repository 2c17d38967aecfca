package chat_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"madang/chat"
	"madang/internal/realtime"
	"madang/internal/testapp"
)

// TestShutdownWaitsForBackgroundWork: background work (a subscriber's
// warm-up, a session's re-check) running when the app terminates finishes,
// its database reads included, before the database closes.
func TestShutdownWaitsForBackgroundWork(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	entered, release, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	chat.RunInBackground(app, func() {
		close(entered)
		<-release
		var err error
		for i := 0; i < 100 && err == nil; i++ { // long enough to outlast a terminate that does not wait
			_, err = app.FindRecordById(chat.Sessions, support)
		}
		finished <- err
	})
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the background work never started")
	}
	var once sync.Once
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Func: func(e *core.TerminateEvent) error {
			once.Do(func() { close(release) }) // let it go as terminate begins (the test's cleanup terminates again)
			return e.Next()
		},
		Priority: -1000,
	})
	testapp.FinishesBeforeClose(t, app, finished, "the background work")
}

// TestWarmUpKeepsNothingAfterAChange: a subscriber's warm-up runs on the
// background runner; one that waited its turn while the user changed keeps
// none of its answers (it may hold the user's old record), and one that
// ran after caches the sessions the user may read.
func TestWarmUpKeepsNothingAfterAChange(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	base := testapp.Serve(t, app)

	hold, holding := make(chan struct{}), make(chan struct{}, 2)
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	t.Cleanup(release) // before the app's own cleanup, which waits for the workers
	for range 2 {      // every worker busy: the warm-up waits
		chat.RunInBackground(app, func() { holding <- struct{}{}; <-hold })
	}
	<-holding
	<-holding
	testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	changeBob(t, app)
	release()
	if !chat.WaitBackground(app, 10*time.Second) {
		t.Fatal("the warm-up did not run")
	}
	if _, cached := chat.CachedAccess(app, group, bob); cached {
		t.Fatal("a warm-up queued before the user changed cached its answer")
	}

	testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*")
	expectBobWarmed(t, app, "a second subscribe")
}

// expectBobWarmed waits for the background warm-ups, then checks that
// they cached bob's access to his group, and nothing of alice's support
// session.
func expectBobWarmed(t *testing.T, app core.App, after string) {
	t.Helper()
	if !chat.WaitBackground(app, 10*time.Second) {
		t.Fatalf("the warm-up after %s did not end", after)
	}
	if allowed, cached := chat.CachedAccess(app, group, bob); !allowed || !cached {
		t.Fatalf("after %s, bob's access to his group: allowed %v, cached %v; want both", after, allowed, cached)
	}
	if _, cached := chat.CachedAccess(app, support, bob); cached {
		t.Fatalf("the warm-up after %s cached alice's support session for bob", after)
	}
}

// TestOpeningAChatAsksTheRuleOnce: the chat view's subscribe (its messages
// and the session's presence) costs one query of the session rule, the
// warm-up, which answers the presence subscription too; a second tab in
// the same generation costs none; after a change the next subscribe warms
// again. The warm-up runs PocketBase's rule as SQL, so every session-rule
// query looks for the reader in the members' text (members LIKE, since
// migration 1795900901).
func TestOpeningAChatAsksTheRuleOnce(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)

	base := testapp.Serve(t, app)

	var mu sync.Mutex
	var asked []string
	t.Cleanup(testapp.OnQuery(app.ConcurrentDB(), func(_ context.Context, _ time.Duration, text string, _ *sql.Rows, _ error) {
		if strings.Contains(text, "chat_sessions") && strings.Contains(text, "members]] LIKE") {
			mu.Lock()
			asked = append(asked, text)
			mu.Unlock()
		}
	}))
	queries := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(asked)
	}
	open := func() {
		t.Helper()
		tab := testapp.OpenSSE(t, base, testapp.Token(testapp.Bob), "chats/*", chat.PresenceTopic(group))
		if ev := tab.ExpectRecord(t, chat.PresenceTopic(group)); ev["online"] == nil {
			t.Fatalf("presence: %v", ev)
		}
		if !chat.WaitBackground(app, 10*time.Second) {
			t.Fatal("the warm-up did not end")
		}
	}

	open()
	if n := queries(); n != 1 {
		t.Fatalf("opening the chat asked the session rule %d times, want 1:\n%s", n, strings.Join(asked, "\n"))
	}
	if allowed, cached := chat.CachedAccess(app, group, bob); !allowed || !cached {
		t.Fatalf("bob's access to his group: allowed %v, cached %v; want both", allowed, cached)
	}
	open()
	if n := queries(); n != 1 {
		t.Fatalf("a second tab asked the session rule again (%d queries in all, want 1)", n)
	}

	changeBob(t, app)
	open()
	if n := queries(); n != 2 {
		t.Fatalf("after bob changed, opening the chat made %d queries in all, want 2", n)
	}
}

// changeBob saves bob under a new name: a change of a user, after which the
// hub's cached answers for him are dropped and due again.
func changeBob(t *testing.T, app core.App) {
	t.Helper()
	user, err := app.FindRecordById("users", bob)
	if err != nil {
		t.Fatal(err)
	}
	user.Set("name", "Bobby")
	if err := app.Save(user); err != nil {
		t.Fatal(err)
	}
}

// TestATierConnectionWarmsTheUsersChats: a user given a connection token
// for the realtime tier (realtime.TierConnecting) receives their chats'
// messages there unasked; their answers are warmed as a subscribe to chats
// over SSE warms them, so a chat's first message does not ask the rule for
// each member on the tier.
func TestATierConnectionWarmsTheUsersChats(t *testing.T) {
	app := testapp.New(t)
	withChats(t, app)
	if _, cached := chat.CachedAccess(app, group, bob); cached {
		t.Fatal("bob's access to his group was cached before he connected")
	}
	user, err := app.FindRecordById("users", bob)
	if err != nil {
		t.Fatal(err)
	}
	realtime.TierConnecting(app, user)
	expectBobWarmed(t, app, "connecting to the tier")
}
