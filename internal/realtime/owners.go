package realtime

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// owners indexes the SSE clients by the account they subscribed as, so
// that the per-account cap asks one small set on each subscribe instead of
// copying and walking every client of the broker (which made a ramp of N
// connections cost N² and the garbage to match). It also lists every live
// connection: the broker's Clients() copies its whole map on each call, and
// every event walked one or more such copies (20 MB of garbage for 200 chat
// messages to 1,000 connections).
type owners struct {
	mu     sync.Mutex
	byUser map[string]map[subscriptions.Client]struct{}
	of     map[subscriptions.Client]string
	live   map[subscriptions.Client]struct{}

	// byTopic counts, for each topic (a subscription's name without its
	// options), the clients of each account that follow it, and counted
	// what it holds for each client: whether a member has a chat open is
	// asked for each member of the chat on every message, and asking the
	// member's own clients for their subscriptions was most of that (S5
	// profile: 0.7 ms a message in a 1,000-member chat).
	byTopic map[string]map[string]int // topic → owner key → clients
	counted map[subscriptions.Client]counted

	// listed is live as a slice, built on the first walk after a
	// connection starts or ends and shared by the walks until the next:
	// every event walks the connections, and copying the set for each walk
	// was 8 KB of garbage per walk at 500 connections.
	listed atomic.Pointer[[]subscriptions.Client]
}

const ownersKey = "madang.realtime.owners"

func ownersOf(app core.App) *owners {
	return app.Store().GetOrSet(ownersKey, func() any {
		return &owners{byUser: map[string]map[subscriptions.Client]struct{}{}, of: map[subscriptions.Client]string{},
			live: map[subscriptions.Client]struct{}{}, byTopic: map[string]map[string]int{},
			counted: map[subscriptions.Client]counted{}}
	}).(*owners)
}

// ownerKey names an auth record across collections ("" for guests).
func ownerKey(auth *core.Record) string {
	if auth == nil {
		return ""
	}
	return auth.Collection().Id + "/" + auth.Id
}

// set files c under key ("" takes it out): a client re-subscribing with
// another account's token moves. A discarded client (its connection ended:
// Bind discards it before drop) is not filed.
func (o *owners) set(c subscriptions.Client, key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dropLocked(c)
	if key == "" || c.IsDiscarded() {
		return
	}
	set := o.byUser[key]
	if set == nil {
		set = map[subscriptions.Client]struct{}{}
		o.byUser[key] = set
	}
	set[c] = struct{}{}
	o.of[c] = key
	o.recountLocked(c)
}

// counted is what byTopic holds for a client: its topics, under its key.
type counted struct {
	key    string
	topics []string
}

// recount brings byTopic up to date with c's subscriptions (after a
// subscribe or unsubscribe).
func (o *owners) recount(c subscriptions.Client) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.recountLocked(c)
}

// recountLocked takes out what byTopic holds for c and counts c's
// subscriptions now, under its key now (none once it is dropped). Every
// change to either calls it, and it reads both afresh, so byTopic follows
// the last change whatever the order of concurrent ones.
func (o *owners) recountLocked(c subscriptions.Client) {
	if old, ok := o.counted[c]; ok {
		for _, t := range old.topics {
			if o.byTopic[t][old.key]--; o.byTopic[t][old.key] <= 0 {
				delete(o.byTopic[t], old.key)
				if len(o.byTopic[t]) == 0 {
					delete(o.byTopic, t)
				}
			}
		}
		delete(o.counted, c)
	}
	key, ok := o.of[c]
	if !ok {
		return
	}
	topics := topicsOf(c)
	for _, t := range topics {
		if o.byTopic[t] == nil {
			o.byTopic[t] = map[string]int{}
		}
		o.byTopic[t][key]++
	}
	o.counted[c] = counted{key: key, topics: topics}
}

// topicsOf returns the distinct topics c follows: its subscriptions'
// names without their options.
func topicsOf(c subscriptions.Client) []string {
	var names []string
	if cl, ok := c.(*client); ok {
		for _, s := range cl.list() {
			names = append(names, s.name)
		}
	} else {
		for name := range c.Subscriptions() {
			names = append(names, name)
		}
	}
	// a set, not a scan of the list so far: a client may hold 1,000
	// subscriptions, and this runs under the index's lock
	seen := make(map[string]bool, len(names))
	topics := make([]string, 0, len(names))
	for _, name := range names {
		topic, _, _ := strings.Cut(name, "?")
		if !seen[topic] {
			seen[topic] = true
			topics = append(topics, topic)
		}
	}
	return topics
}

// follows tells whether one of key's clients follows topic: a
// subscription named topic, with or without options (what a prefix
// topic+"?" selects in PocketBase's Subscriptions).
func (o *owners) follows(key, topic string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.byTopic[topic][key] > 0
}

// followAmong marks following[i] for each ids[i] whose key (prefix+id)
// follows topic, as follows does, under one lock and without building a
// key string per id: a chat message asks it for every member (for 1,000
// members, follows took a lock and built a key 1,000 times a message:
// 55 µs against 30, BenchmarkFollowing). It holds the lock for the whole
// list, which subscribes and connections coming and going wait for.
func (o *owners) followAmong(topic, prefix string, ids []string, following []bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	keys := o.byTopic[topic]
	if len(keys) == 0 {
		return
	}
	key := make([]byte, 0, len(prefix)+32)
	for i, id := range ids {
		key = append(append(key[:0], prefix...), id...)
		following[i] = keys[string(key)] > 0
	}
}

// add lists c, a connection that starts.
func (o *owners) add(c subscriptions.Client) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.live[c] = struct{}{}
	o.listed.Store(nil)
}

// drop forgets c (its connection ended).
func (o *owners) drop(c subscriptions.Client) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dropLocked(c)
	delete(o.live, c)
	o.listed.Store(nil)
}

// clients returns the live connections, in a slice its callers share: they
// must not modify it.
func (o *owners) clients() []subscriptions.Client {
	if p := o.listed.Load(); p != nil {
		return *p
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if p := o.listed.Load(); p != nil {
		return *p
	}
	list := make([]subscriptions.Client, 0, len(o.live))
	for c := range o.live {
		list = append(list, c)
	}
	o.listed.Store(&list)
	return list
}

// clientsOf returns app's live SSE connections (Bind's clients): what the
// broker's Clients() holds, without copying its map. The slice is shared:
// read it, never modify it.
func clientsOf(app core.App) []subscriptions.Client { return ownersOf(app).clients() }

func (o *owners) dropLocked(c subscriptions.Client) {
	key, ok := o.of[c]
	if !ok {
		return
	}
	delete(o.of, c)
	o.recountLocked(c)
	if set := o.byUser[key]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(o.byUser, key)
		}
	}
}

// count is how many live clients key has, other than except.
func (o *owners) count(key string, except subscriptions.Client) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(o.byUser[key])
	if _, ok := o.byUser[key][except]; ok {
		n--
	}
	return n
}
