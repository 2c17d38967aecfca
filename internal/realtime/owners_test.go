package realtime

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// TestFollowsMatchesTheClients: the index of followed topics must answer,
// after every connect, subscribe, unsubscribe, sign-in as someone else and
// disconnect, in any order, what asking each of the account's clients for
// its subscriptions answers (follows, PocketBase's prefix topic+"?").
func TestFollowsMatchesTheClients(t *testing.T) {
	o := &owners{byUser: map[string]map[subscriptions.Client]struct{}{}, of: map[subscriptions.Client]string{},
		live: map[subscriptions.Client]struct{}{}, byTopic: map[string]map[string]int{}, counted: map[subscriptions.Client]counted{}}
	keys := []string{"users/a", "users/b", "users/c", ""}
	topics := []string{"chat_typing/s1", "chat_typing/s2", "chats/*", "ai_logs/j1"}
	names := append(slicesOf(topics), `chat_typing/s1?options={"query":{}}`, "chat_typing/s10", "chat_typing", "ai_logs/j1?x=1")
	rng := rand.New(rand.NewPCG(1, 2))
	var clients []*client
	check := func(step int, what string) {
		t.Helper()
		for _, key := range keys[:3] {
			for _, topic := range append(topics, "chat_typing/s10", "nothing") {
				want := false
				for c := range o.byUser[key] {
					want = want || follows(c, newPrefixSet([]string{topic + "?"}))
				}
				if got := o.follows(key, topic); got != want {
					t.Fatalf("step %d (%s): %s follows %s: index says %v, the clients %v", step, what, key, topic, got, want)
				}
			}
		}
	}
	for step := range 3000 {
		var what string
		switch op := rng.IntN(6); {
		case op == 0 || len(clients) == 0:
			c := newClient(subscriptions.NewDefaultClient(), &counters{}, func() {})
			c.owners = o
			o.add(c)
			clients = append(clients, c)
			what = "connect"
		case op == 1:
			c := clients[rng.IntN(len(clients))]
			c.Subscribe(names[rng.IntN(len(names))], names[rng.IntN(len(names))])
			what = "subscribe"
		case op == 2:
			c := clients[rng.IntN(len(clients))]
			c.Unsubscribe(names[rng.IntN(len(names))])
			what = "unsubscribe one"
		case op == 3:
			c := clients[rng.IntN(len(clients))]
			c.Unsubscribe()
			what = "unsubscribe all"
		case op == 4:
			o.set(clients[rng.IntN(len(clients))], keys[rng.IntN(len(keys))])
			what = "sign in"
		default:
			i := rng.IntN(len(clients))
			clients[i].Discard()
			o.drop(clients[i])
			clients = append(clients[:i], clients[i+1:]...)
			what = "disconnect"
		}
		check(step, what)
	}
	for _, c := range clients {
		c.Discard()
		o.drop(c)
	}
	if len(o.byTopic) != 0 || len(o.counted) != 0 {
		t.Fatalf("everyone left, the index still holds %v, %d clients", o.byTopic, len(o.counted))
	}
}

func slicesOf(s []string) []string { return append([]string(nil), s...) }

// BenchmarkFollowing is what a chat message's notices ask: for each of
// 1,000 members, whether they follow the chat's typing topic, with 500 of
// them connected over SSE with the web client's chat view subscriptions.
// "clients" asks each member's clients for their subscriptions (the way
// before the index), "index" the index of followed topics one member at a
// time (the way until 2026-12-07: a lock and a key string each), "batch"
// the index for all members at once (followAmong, what Following does).
func BenchmarkFollowing(b *testing.B) {
	o := &owners{byUser: map[string]map[subscriptions.Client]struct{}{}, of: map[subscriptions.Client]string{},
		live: map[subscriptions.Client]struct{}{}, byTopic: map[string]map[string]int{}, counted: map[subscriptions.Client]counted{}}
	const members = 1000
	for i := range members / 2 {
		c := newClient(subscriptions.NewDefaultClient(), &counters{}, func() {})
		c.owners = o
		o.add(c)
		c.Subscribe("chats/*", "chat_sessions/*", "chat_presence/s1", "chat_typing/s1", "notifications/*")
		o.set(c, fmt.Sprintf("users/u%014d", 2*i))
	}
	ids := make([]string, members)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%014d", i)
	}
	asks := map[string]func() []bool{
		"clients": func() []bool {
			following := make([]bool, len(ids))
			for i, id := range ids {
				o.mu.Lock()
				for c := range o.byUser["users/"+id] {
					following[i] = following[i] || follows(c, newPrefixSet([]string{"chat_typing/s1?"}))
				}
				o.mu.Unlock()
			}
			return following
		},
		"index": func() []bool {
			following := make([]bool, len(ids))
			for i, id := range ids {
				following[i] = o.follows("users/"+id, "chat_typing/s1")
			}
			return following
		},
		"batch": func() []bool {
			following := make([]bool, len(ids))
			o.followAmong("chat_typing/s1", "users/", ids, following)
			return following
		},
	}
	for _, name := range []string{"clients", "index", "batch"} {
		ask := asks[name]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				following := ask()
				for i, f := range following {
					if f != (i%2 == 0) {
						b.Fatalf("member %d follows: %v", i, f)
					}
				}
			}
		})
	}
}
