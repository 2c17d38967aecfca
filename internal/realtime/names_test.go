package realtime

import (
	"bytes"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// TestSubscriptionsMatchPocketBase: the client's own copy of its
// subscriptions (which the walks read without allocating) must answer
// exactly what PocketBase's client returns, options included, through
// every subscribe and unsubscribe; asked for those under prefixes (by
// PocketBase's record broadcast alone), the client answers none.
func TestSubscriptionsMatchPocketBase(t *testing.T) {
	names := []string{
		"chats/*", "chats/abc", `chats/*?options={"query":{"filter":"a"}}`, "chats",
		"other:chats/*", "chat_typing/s1", "notifications/*", "users/u1?options=%7B%7D", "",
		// names and prefixes with a "?" where a topic ends, or inside
		"chats/*?", "chats/ab?c", "chats/ab", "posts?x?y", "?", "??",
	}
	prefixes := [][]string{
		{"chats/*?"}, {"chats/abc?"}, {"chats?"}, {"chats/"}, {"chats"}, {"chat"},
		{"other:chats/*?"}, {"chat_typing/s1?"}, {"chat_typing/s2?"}, {"users/u1?"},
		{"users/u2?", "users/*?", "users?"}, {"notifications/"}, {"posts/x?", "posts/*?", "posts?"},
		{"chats/*?", "chats/abc?"}, {""}, {"?"}, {},
		{"chats/ab?"}, {"chats/ab?c"}, {"chats/ab?c?"}, {"chats/*?options"}, {"posts?x?"}, {"??"},
		{"chats/ab?", "chats/"}, {"chats/*?", "chats/ab?c"}, {"users/u1?options=%7B%7D?"},
	}
	for _, subscribed := range [][]string{names, names[:2], {names[3]}, {names[7]}, nil} {
		ours := newClient(subscriptions.NewDefaultClient(), &counters{}, func() {})
		theirs := subscriptions.NewDefaultClient()
		ours.Subscribe(subscribed...)
		theirs.Subscribe(subscribed...)
		if got, want := ours.Subscriptions(), theirs.Subscriptions(); !maps.EqualFunc(got, want, sameOptions) {
			t.Errorf("subscribed %q: got %v, want %v", subscribed, got, want)
		}
		for _, p := range prefixes {
			want := theirs.Subscriptions(p...)
			if got := ours.Subscriptions(p...); len(p) > 0 && got != nil {
				t.Errorf("subscribed %q, prefixes %q: PocketBase's broadcast is told %v, want none", subscribed, p, got)
			}
			if len(p) > 0 && follows(ours, newPrefixSet(p)) != (len(want) > 0) {
				t.Errorf("subscribed %q, prefixes %q: follows says %v, PocketBase's client returns %v",
					subscribed, p, follows(ours, newPrefixSet(p)), want)
			}
			// the walks' own question, asked once for every client
			if len(p) > 0 {
				found := subscribedNames(ours, p)
				if len(found) != len(want) || !maps.EqualFunc(found, want, func(bool, subscriptions.SubscriptionOptions) bool { return true }) {
					t.Errorf("subscribed %q, prefixes %q: matching finds %v, PocketBase's client returns %v", subscribed, p, found, want)
				}
				for _, s := range matching(ours, newPrefixSet(p), nil) {
					if !sameOptions(s.options, want[s.name]) {
						t.Errorf("subscribed %q, prefixes %q: %s has options %v, PocketBase's client %v", subscribed, p, s.name, s.options, want[s.name])
					}
				}
			}
		}
		// unsubscribing one, then all, keeps the answers equal
		for _, unsub := range [][]string{{"chats/*"}, nil} {
			ours.Unsubscribe(unsub...)
			theirs.Unsubscribe(unsub...)
			if got, want := ours.Subscriptions(), theirs.Subscriptions(); !maps.EqualFunc(got, want, sameOptions) {
				t.Errorf("after unsubscribing %q: got %v, want %v", unsub, got, want)
			}
			for _, p := range prefixes {
				if len(p) == 0 {
					continue // every subscription: compared above
				}
				if got, want := subscribedNames(ours, p), theirs.Subscriptions(p...); len(got) != len(want) ||
					!maps.EqualFunc(got, want, func(bool, subscriptions.SubscriptionOptions) bool { return true }) {
					t.Errorf("after unsubscribing %q, prefixes %q: matching finds %v, PocketBase's client returns %v", unsub, p, got, want)
				}
			}
		}
	}
}

// subscribedNames is what the walks find of c's subscriptions under p.
func subscribedNames(c *client, p []string) map[string]bool {
	found := map[string]bool{}
	if len(p) == 0 {
		return found
	}
	for _, s := range matching(c, newPrefixSet(p), nil) {
		found[s.name] = true
	}
	return found
}

func sameOptions(a, b subscriptions.SubscriptionOptions) bool {
	return maps.Equal(a.Query, b.Query) && maps.Equal(a.Headers, b.Headers)
}

// TestQueueHandsOverEveryEventInOrder: each token from wake hands the
// writer every event waiting, in order; events sent while a batch is being
// written wait for the next token; a client QueueSize behind, counting the
// batch being written, is discarded, and the writer's next take says so.
func TestQueueHandsOverEveryEventInOrder(t *testing.T) {
	aborted := make(chan struct{}, 1)
	c := newClient(subscriptions.NewDefaultClient(), &counters{}, func() { aborted <- struct{}{} })
	takeNext := func() []subscriptions.Message {
		t.Helper()
		select {
		case <-c.wake:
		default:
			t.Fatal("events wait without a token")
		}
		batch, open := c.take()
		if !open {
			t.Fatal("the client was discarded")
		}
		return batch
	}
	const n = QueueSize / 2
	for i := range n {
		c.Send(subscriptions.Message{Name: "t", Data: []byte{byte(i)}})
	}
	batch := takeNext()
	if len(batch) != n {
		t.Fatalf("took %d events of %d", len(batch), n)
	}
	for i, m := range batch {
		if m.Data[0] != byte(i) {
			t.Fatalf("event %d came as %d", i, m.Data[0])
		}
	}
	select {
	case <-c.wake:
		t.Fatal("a token without waiting events")
	default:
	}
	// while the batch is being written: QueueSize in all, then one more
	for range QueueSize - n {
		c.Send(subscriptions.Message{Name: "late"})
	}
	if c.IsDiscarded() {
		t.Fatal("discarded at QueueSize events behind")
	}
	c.taken(batch)
	if late := takeNext(); len(late) != QueueSize-n || late[0].Name != "late" {
		t.Fatalf("the late events came as %d events", len(late))
	}
	for range QueueSize - n + 1 {
		c.Send(subscriptions.Message{Name: "t"})
	}
	if !c.IsDiscarded() {
		t.Fatal("not discarded past QueueSize events behind")
	}
	<-aborted
	if _, open := c.take(); open {
		t.Fatal("a discarded client's queue still hands out events")
	}
}

// TestWriteEventMatchesPocketBase: the SSE writer builds each event
// byte for byte as PocketBase's Message.WriteSSE does.
func TestWriteEventMatchesPocketBase(t *testing.T) {
	for _, m := range []subscriptions.Message{
		{Name: "chats/*", Data: []byte(`{"action":"create","record":{"id":"x"}}`)},
		{Name: "PB_CONNECT", Data: nil},
		{Name: "", Data: []byte("a\nb")},
	} {
		var theirs bytes.Buffer
		ours := appendEvent(nil, "client1", &m)
		if err := m.WriteSSE(&theirs, "client1"); err != nil {
			t.Fatal(err)
		}
		if string(ours) != theirs.String() {
			t.Errorf("event %q: wrote %q, PocketBase writes %q", m.Name, ours, theirs.String())
		}
	}
}

// TestStoreMatchesPocketBase: the client keeps its auth record beside
// PocketBase's store (the walks read it without the store's lock); through
// every Set and Unset, Get must answer what PocketBase's client answers,
// for the auth key and for every other key. Its id, kept too, is its
// PocketBase client's.
func TestStoreMatchesPocketBase(t *testing.T) {
	users := core.NewAuthCollection("users")
	alice, bob := core.NewRecord(users), core.NewRecord(users)
	alice.Id, bob.Id = "alice", "bob"
	base := subscriptions.NewDefaultClient()
	ours := newClient(base, &counters{}, func() {})
	if ours.Id() != base.Id() || ours.Id() == "" {
		t.Fatalf("the client's id is %q, its PocketBase client's %q", ours.Id(), base.Id())
	}
	theirs := subscriptions.NewDefaultClient()
	steps := []struct {
		unset bool
		key   string
		value any
	}{
		{key: apis.RealtimeClientIPKey, value: "127.0.0.1"},
		{key: apis.RealtimeClientAuthKey, value: alice},
		{key: apis.RealtimeClientAuthKey, value: bob},
		{key: "other", value: 7},
		{unset: true, key: apis.RealtimeClientAuthKey},
		{key: apis.RealtimeClientAuthKey, value: alice},
		{unset: true, key: "other"},
		{key: apis.RealtimeClientAuthKey, value: "not a record"},
	}
	for i, s := range steps {
		if s.unset {
			ours.Unset(s.key)
			theirs.Unset(s.key)
		} else {
			ours.Set(s.key, s.value)
			theirs.Set(s.key, s.value)
		}
		for _, key := range []string{apis.RealtimeClientAuthKey, apis.RealtimeClientIPKey, "other", "never"} {
			if ours.Get(key) != theirs.Get(key) {
				t.Errorf("step %d, %q: %v, PocketBase's client has %v", i, key, ours.Get(key), theirs.Get(key))
			}
		}
	}
}

// BenchmarkWalk is one event's walk over 2,500 SSE connections that have a
// chat open (the web client's chat view subscriptions, as in S5b): the
// question Prepare asks every client, by topic (plain prefixes, what every
// walk asks) and by comparing names (the general case, and the walk before).
func BenchmarkWalk(b *testing.B) {
	var clients []*client
	for i := range 2500 {
		c := newClient(subscriptions.NewDefaultClient(), &counters{}, func() {})
		session := fmt.Sprintf("session%08d", i%7)
		// each its own copy, as decoded from each subscribe request's body
		c.Subscribe(strings.Clone("chats/*"), strings.Clone("chat_sessions/*"),
			"chat_presence/"+session, "chat_typing/"+session, strings.Clone("notifications/*"), fmt.Sprintf("users/u%014d", i))
		clients = append(clients, c)
	}
	prefixes := []string{"chats/abcdefghijklmno?", "pbc_1234567890/abcdefghijklmno?",
		"chats/*?", "pbc_1234567890/*?", "chats?", "pbc_1234567890?"}
	for name, asked := range map[string]prefixSet{"topics": newPrefixSet(prefixes), "names": {prefixes: prefixes}} {
		b.Run(name, func(b *testing.B) {
			var subs []subscription
			found := 0
			for b.Loop() {
				found = 0
				for _, c := range clients {
					subs = matching(c, asked, subs)
					found += len(subs)
				}
			}
			if found != len(clients) {
				b.Fatalf("found %d subscriptions, want %d", found, len(clients))
			}
		})
	}
	// PocketBase's broadcast of a record: every client asked about each of
	// the record's six prefixes, one at a time; a Madang client answers
	// none (Madang delivers record events itself, records.go)
	b.Run("pocketbase", func(b *testing.B) {
		found := 0
		for b.Loop() {
			for _, c := range clients {
				for _, prefix := range prefixes {
					found += len(c.Subscriptions(prefix))
				}
			}
		}
		if found != 0 {
			b.Fatalf("found %d subscriptions, want none", found)
		}
	})
}
