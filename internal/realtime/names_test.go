package realtime

import (
	"maps"
	"testing"

	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// TestSubscriptionsMatchPocketBase: the client's allocation-free answer for
// prefixes it does not follow must never hide a subscription PocketBase's
// own client would return, and must return exactly what it returns.
func TestSubscriptionsMatchPocketBase(t *testing.T) {
	names := []string{
		"chats/*", "chats/abc", `chats/*?options={"query":{"filter":"a"}}`, "chats",
		"madang.chats:chats/*", "chat_typing/s1", "notifications/*", "users/u1?options=%7B%7D", "",
	}
	prefixes := [][]string{
		{"chats/*?"}, {"chats/abc?"}, {"chats?"}, {"chats/"}, {"chats"}, {"chat"},
		{"madang.chats:chats/*?"}, {"chat_typing/s1?"}, {"chat_typing/s2?"}, {"users/u1?"},
		{"users/u2?", "users/*?", "users?"}, {"notifications/"}, {"posts/x?", "posts/*?", "posts?"},
		{"chats/*?", "chats/abc?"}, {""}, {"?"}, {},
	}
	for _, subscribed := range [][]string{names, names[:2], {names[3]}, {names[7]}, nil} {
		ours := newClient(subscriptions.NewDefaultClient(), &counters{}, func() {})
		theirs := subscriptions.NewDefaultClient()
		ours.Subscribe(subscribed...)
		theirs.Subscribe(subscribed...)
		for _, p := range prefixes {
			got, want := ours.Subscriptions(p...), theirs.Subscriptions(p...)
			if len(got) != len(want) || (len(want) > 0 && !maps.EqualFunc(got, want, sameOptions)) {
				t.Errorf("subscribed %q, prefixes %q: got %v, want %v", subscribed, p, got, want)
			}
		}
		// unsubscribing one, then all, keeps the answers equal
		for _, unsub := range [][]string{{"chats/*"}, nil} {
			ours.Unsubscribe(unsub...)
			theirs.Unsubscribe(unsub...)
			for _, p := range prefixes {
				if got, want := ours.Subscriptions(p...), theirs.Subscriptions(p...); len(got) != len(want) {
					t.Errorf("after unsubscribing %q, prefixes %q: got %v, want %v", unsub, p, got, want)
				}
			}
		}
	}
}

func sameOptions(a, b subscriptions.SubscriptionOptions) bool {
	return maps.Equal(a.Query, b.Query) && maps.Equal(a.Headers, b.Headers)
}
