// Package realtime delivers events to PocketBase's SSE clients: the bounded
// client every connection gets, and the one delivery loop for the events
// Madang sends itself (chat messages, typing, counter updates, AI partial
// results). Who may receive what, and how a record looks to them, is
// internal/access's answer.
package realtime

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// QueueSize is how many events an SSE client may fall behind before it is
// disconnected. PocketBase's client channel is unbuffered and every sender
// waits on it in a goroutine of its own, so a client that stops reading
// used to hold one goroutine and one encoded event per event, without
// bound (measured: 30 such clients, 1,300 messages: RSS 75 → 322 MB).
// A client that reconnects gets a new queue; the JS SDK reconnects itself.
const QueueSize = 128

// chanSize is the capacity of the channel PocketBase's SSE loop reads;
// events past it wait in the client's overflow, QueueSize in all. A
// channel of QueueSize held 5 KB per connection whether events waited or
// not; the overflow is allocated only while a client lags.
const chanSize = 4

// WriteTimeout bounds one event's write to an SSE connection. PocketBase
// turns the server's write deadline off for SSE; without one, a client
// whose socket stopped draining would hold its connection forever.
const WriteTimeout = 10 * time.Second

// deadlineSlack is how far an event's write deadline may fall short of
// WriteTimeout: the deadline is moved only when it is nearer than
// WriteTimeout − deadlineSlack.
const deadlineSlack = time.Second

// MaxConnsPerUser caps one account's SSE connections, as the chat
// WebSocket bridge caps its own: a tab holds one, so sixteen is plenty,
// and one account cannot hold thousands of queues.
const MaxConnsPerUser = 16

// MaxSubscriptions caps the topics one SSE connection follows. A page of
// the web client follows about six; PocketBase allows 1,000 per request,
// and a guest's 1,000 options-laden names held 6.4 MB a connection.
const MaxSubscriptions = 100

// MaxPerCollection caps one connection's subscriptions that the same record
// event is checked against: those to one collection's events (its name or
// id, "/*" or bare) and those to one record. PocketBase's broadcast runs
// the rule and each subscription's filter as SQL per subscription, inside
// the writing request: 20 guest connections of 1,000 distinct posts/*
// filters made every post create take 3.4–4.5 s (a probe, 2026-12-03).
// A page of the web client asks for one or two per collection.
const MaxPerCollection = 4

// MaxGuestConnsPerIP caps the signed-out SSE connections of one address
// (PocketBase's RealIP: set the trusted proxy headers behind a proxy, as
// for the other per-IP limits). Accounts have MaxConnsPerUser; guests had
// no cap at all. A network behind one address (a school, a carrier's NAT)
// shares it, so it is higher.
const MaxGuestConnsPerIP = 32

// Bind gives every SSE connection a bounded client and a write deadline per
// event. Call it before the app serves (internal/madang.Bind does).
func Bind(app core.App) {
	app.Store().Set(rootKey, app) // for DeliverAfterCommit: a transaction's app shares the store
	bindRecordEvents(app)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		watchElsewhere(e.App) // users saved by the CLI reach this process's connections
		return e.Next()
	})
	counters := countersOf(app)
	app.OnRealtimeConnectRequest().BindFunc(func(e *core.RealtimeConnectRequestEvent) error {
		rc := http.NewResponseController(e.Response)
		c := newClient(e.Client, counters, func() {
			// fails the write the connection's loop may be stuck in
			_ = rc.SetWriteDeadline(time.Now())
		})
		c.owners = ownersOf(app)
		c.ip = e.RealIP()
		e.Client = c
		c.owners.add(c)
		// The stream's body ends with its connection, so HTTP/1.1 needs no
		// chunk framing: net/http's setup for SSE (server.go, "recommended in
		// the Server-Sent Events candidate recommendation"). Chunking cost a
		// fmt.Fprintf of each event's length and two more buffered writes;
		// HTTP/2 drops the header.
		e.Response.Header().Set("Transfer-Encoding", "identity")
		err := e.Next() // the connection's whole life
		c.Discard()     // before drop: a subscribe racing the end then files nothing
		c.owners.drop(c)
		return err
	})
	app.OnRealtimeSubscribeRequest().BindFunc(func(e *core.RealtimeSubscribeRequestEvent) error {
		if err := checkSubscribe(app, e); err != nil {
			return err
		}
		if err := e.Next(); err != nil {
			return err
		}
		ownersOf(app).set(e.Client, ownerKey(e.Auth))
		return nil
	})
	app.OnRealtimeMessageSend().BindFunc(func(e *core.RealtimeMessageEvent) error {
		c, ok := e.Client.(*client)
		if ok {
			c.refill() // the event just taken made room for a waiting one
		}
		// the deadline moves at most once a second per connection: setting
		// it on every event was a tenth of the SSE send path's CPU
		if now := time.Now(); !ok || c.deadline.Sub(now) < WriteTimeout-deadlineSlack {
			err := http.NewResponseController(e.Response).SetWriteDeadline(now.Add(WriteTimeout))
			if err != nil && !errors.Is(err, http.ErrNotSupported) {
				return err
			}
			if ok {
				c.deadline = now.Add(WriteTimeout)
			}
		}
		if !ok {
			return e.Next()
		}
		// PocketBase's own send (the hook chain's end) writes and flushes
		// each event: one syscall per event per connection. When more
		// events already wait in the client's queue, they go out in the
		// same write: the event is written to the response's buffer and
		// flushed once the queue is empty (or the buffer full). The
		// channel is never empty while events wait in the overflow.
		err := writeEvent(e.Response, e.Client.Id(), e.Message)
		if err == nil && len(c.queue) == 0 {
			err = e.Flush()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.countSlow(&counters.writeTimeout)
		}
		return err
	})
}

// eventBufs holds the buffers writeEvent builds events in.
var eventBufs = sync.Pool{New: func() any { return new([]byte) }}

// writeEvent writes m to w as PocketBase's Message.WriteSSE does, in one
// Write from a pooled buffer: WriteSSE builds five slices per event, and
// every SSE delivery went through it.
func writeEvent(w io.Writer, eventID string, m *subscriptions.Message) error {
	bp := eventBufs.Get().(*[]byte)
	b := append((*bp)[:0], "id:"...)
	b = append(b, eventID...)
	b = append(b, "\nevent:"...)
	b = append(b, m.Name...)
	b = append(b, "\ndata:"...)
	b = append(b, m.Data...)
	b = append(b, "\n\n"...)
	_, err := w.Write(b)
	*bp = b
	eventBufs.Put(bp)
	return err
}

// checkSubscribe holds a subscribe request (not a superuser's) to the
// limits: the topics it asks for, the account's connections, the
// address's signed-out connections.
func checkSubscribe(app core.App, e *core.RealtimeSubscribeRequestEvent) error {
	if e.HasSuperuserAuth() {
		return nil
	}
	if err := subscriptionsProblem(app, e.Subscriptions); err != nil {
		return e.BadRequestError(err.Error(), nil)
	}
	if e.Auth != nil && connsOf(app, e.Auth, e.Client) >= MaxConnsPerUser {
		return e.TooManyRequestsError(fmt.Sprintf("This account already has %d live connections; "+
			"close a tab or window and try again.", MaxConnsPerUser), nil)
	}
	if e.Auth == nil && guestConns(app, e.RealIP(), e.Client) >= MaxGuestConnsPerIP {
		return e.TooManyRequestsError(fmt.Sprintf("This address already has %d live connections without "+
			"signing in; sign in, or close some and try again.", MaxGuestConnsPerIP), nil)
	}
	return nil
}

// subscriptionsProblem refuses a subscribe request past MaxSubscriptions,
// or with more than MaxPerCollection names that one record event is
// checked against, naming which.
func subscriptionsProblem(app core.App, names []string) error {
	if len(names) > MaxSubscriptions {
		return fmt.Errorf("A connection follows at most %d topics; this subscribe asked for %d.", MaxSubscriptions, len(names))
	}
	groups := map[string]int{}
	for _, name := range names {
		g := eventGroup(app, name)
		if groups[g]++; groups[g] == MaxPerCollection+1 {
			return fmt.Errorf("A connection follows the events of %s with at most %d subscriptions (each runs its "+
				"own check on every event); this subscribe asked for more. Combine their filters.", g, MaxPerCollection)
		}
	}
	return nil
}

// eventGroup names the subscriptions one record event is checked against
// together: a collection's (by name or id, "/*" or bare), one record's, or
// any other topic itself.
func eventGroup(app core.App, name string) string {
	topic, _, _ := strings.Cut(name, "?")
	collection, record, _ := strings.Cut(topic, "/")
	c, err := app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return topic
	}
	if record == "" || record == "*" {
		return "the " + c.Name + " collection"
	}
	return c.Name + "/" + record
}

// guestConns counts the signed-out SSE clients of address ip, other than
// except.
func guestConns(app core.App, ip string, except subscriptions.Client) int {
	n := 0
	for _, cl := range clientsOf(app) {
		c, ok := cl.(*client)
		if !ok || c == except || c.ip != ip || c.IsDiscarded() {
			continue
		}
		if auth, _ := c.Get(apis.RealtimeClientAuthKey).(*core.Record); auth == nil {
			n++
		}
	}
	return n
}

// connsOf counts the SSE clients signed in as auth, other than except.
func connsOf(app core.App, auth *core.Record, except subscriptions.Client) int {
	return ownersOf(app).count(ownerKey(auth), except)
}

// client is PocketBase's default client (id, store, subscriptions) with a
// bounded queue in place of its unbuffered channel: Send never blocks; a
// client whose queue is full is discarded and its connection closed.
type client struct {
	subscriptions.Client
	id       string // Client.Id(), which takes the client's lock: every event's write asks for it
	counters *counters
	abort    func()
	owners   *owners // the index a subscription change updates (nil in some tests)
	ip       string  // the connection's address (RealIP), for MaxGuestConnsPerIP

	mu        sync.Mutex
	queue     chan subscriptions.Message // chanSize
	overflow  []subscriptions.Message    // after queue's events, in order
	discarded bool

	slow atomic.Bool // counted as a slow client (stats.go)

	deadline time.Time // of the connection's writes; the SSE loop's goroutine only

	subsMu sync.Mutex                     // serializes Subscribe and Unsubscribe
	subs   atomic.Pointer[[]subscription] // replaced whole on each change: walks take no lock

	// auth holds the store's apis.RealtimeClientAuthKey value (nil: not
	// set), kept by Set and Unset: every event's walk asks each subscriber
	// for it, and the store's lock and map lookup were a fifth of Prepare's
	// CPU (S5 profile).
	auth atomic.Pointer[stored]
}

// stored is a value of the client's store.
type stored struct{ value any }

// Set implements subscriptions.Client, keeping the auth record.
func (c *client) Set(key string, value any) {
	c.Client.Set(key, value)
	if key == apis.RealtimeClientAuthKey {
		c.auth.Store(&stored{value})
	}
}

// Unset implements subscriptions.Client, keeping the auth record.
func (c *client) Unset(key string) {
	c.Client.Unset(key)
	if key == apis.RealtimeClientAuthKey {
		c.auth.Store(nil)
	}
}

// Get implements subscriptions.Client: the auth record without the
// store's lock.
func (c *client) Get(key string) any {
	if key != apis.RealtimeClientAuthKey {
		return c.Client.Get(key)
	}
	if s := c.auth.Load(); s != nil {
		return s.value
	}
	return nil
}

// subscription is one of a client's subscriptions: its name as PocketBase's
// client stores it (topic, and options if any) and its parsed options.
type subscription struct {
	name    string
	topic   string // name without its options: up to the first "?"
	options subscriptions.SubscriptionOptions
}

// newSubscription keeps name, its topic and its options.
func newSubscription(name string, options subscriptions.SubscriptionOptions) subscription {
	topic, _, _ := strings.Cut(name, "?")
	return subscription{name: name, topic: topic, options: options}
}

// Subscribe implements subscriptions.Client, keeping a copy of each
// subscription (PocketBase's client parses the options).
func (c *client) Subscribe(subs ...string) {
	c.subsMu.Lock()
	defer c.subsMu.Unlock()
	c.Client.Subscribe(subs...)
	next := slices.Clone(c.list())
	at := make(map[string]int, len(next)+len(subs)) // name → index in next: a request may name 1,000
	for i, x := range next {
		at[x.name] = i
	}
	parsed := c.Client.Subscriptions() // every name with its parsed options, in one copy
	for _, s := range subs {
		if s == "" {
			continue
		}
		options := parsed[s]
		if i, ok := at[s]; ok {
			next[i].options = options
		} else {
			at[s] = len(next)
			next = append(next, newSubscription(s, options))
		}
	}
	c.subs.Store(&next)
	if c.owners != nil {
		c.owners.recount(c)
	}
}

// Unsubscribe implements subscriptions.Client, keeping the copy.
func (c *client) Unsubscribe(subs ...string) {
	c.subsMu.Lock()
	defer c.subsMu.Unlock()
	c.Client.Unsubscribe(subs...)
	var next []subscription
	if len(subs) > 0 {
		gone := make(map[string]bool, len(subs))
		for _, s := range subs {
			gone[s] = true
		}
		next = slices.DeleteFunc(slices.Clone(c.list()), func(x subscription) bool { return gone[x.name] })
	}
	c.subs.Store(&next)
	if c.owners != nil {
		c.owners.recount(c)
	}
}

// Id implements subscriptions.Client without the client's lock.
func (c *client) Id() string { return c.id }

// list is the client's subscriptions now; never modified in place.
func (c *client) list() []subscription {
	if p := c.subs.Load(); p != nil {
		return *p
	}
	return nil
}

// Subscriptions implements subscriptions.Client: every subscription, as
// PocketBase's client answers. Asked for those under prefixes, it answers
// none. The one caller that asks so is PocketBase's record broadcast
// (apis/realtime.go), and Madang delivers every record event itself, in
// order (records.go); this package's own walks use list, matching and
// follows. TestARecordsEventsArriveInTheOrderOfItsSaves fails if
// PocketBase delivers too (each save would arrive twice).
func (c *client) Subscriptions(prefixes ...string) map[string]subscriptions.SubscriptionOptions {
	if len(prefixes) == 0 {
		return c.Client.Subscriptions()
	}
	return nil
}

// follows tells whether a subscription falls under one of p's prefixes.
func (c *client) follows(p prefixSet) bool {
	return slices.ContainsFunc(c.list(), p.holds)
}

// prefixSet is one question a walk asks every client: which of your
// subscriptions fall under one of these prefixes. PocketBase's
// broadcasts and this package's ask with plain prefixes — a topic (no
// "?") followed by "?" — and a subscription falls under T+"?" exactly
// when its own topic is T: a topic holds no "?", so neither a shorter nor
// a longer one can put T+"?" at the start of its name+"?". Comparing
// topics compares lengths first and reads a topic's bytes only when they
// are equal; comparing names read most names' bytes for every prefix
// (BenchmarkWalk, 2,500 clients with a chat page's six subscriptions:
// 100 µs a walk against 196 µs). In the
// running server the walk is bound by reading each client's own memory
// more than by comparing: S5b's profile did not move beyond its noise.
type prefixSet struct {
	prefixes []string
	plain    bool // every prefix is plain
}

func newPrefixSet(prefixes []string) prefixSet {
	return prefixSet{prefixes: prefixes, plain: len(prefixes) > 0 && !slices.ContainsFunc(prefixes, notPlain)}
}

// notPlain tells whether prefix is other than a topic followed by "?".
func notPlain(prefix string) bool {
	n := len(prefix)
	return n == 0 || prefix[n-1] != '?' || strings.IndexByte(prefix[:n-1], '?') >= 0
}

// holds tells whether s falls under one of the prefixes, as PocketBase's
// client decides it.
func (p prefixSet) holds(s subscription) bool {
	if !p.plain {
		return under(s.name, p.prefixes)
	}
	for _, prefix := range p.prefixes { // T+"?" with T == s.topic
		if len(prefix) == len(s.topic)+1 && prefix[:len(s.topic)] == s.topic {
			return true
		}
	}
	return false
}

// under tells whether the subscription name falls under one of prefixes.
func under(name string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return falls(name, p) })
}

// falls tells whether the subscription name falls under prefix, as
// PocketBase's client decides it (strings.HasPrefix(name+"?", prefix)),
// without building name+"?".
func falls(name, prefix string) bool {
	return strings.HasPrefix(name, prefix) ||
		len(prefix) == len(name)+1 && prefix[len(name)] == '?' && strings.HasPrefix(prefix, name)
}

// matching returns client's subscriptions under one of prefixes, each
// once, in buf (reused: a broadcast walks every client with one buffer).
// Madang's clients (every SSE connection's, see Bind) answer without
// allocating once buf has grown.
func matching(cl subscriptions.Client, p prefixSet, buf []subscription) []subscription {
	buf = buf[:0]
	if c, ok := cl.(*client); ok {
		for _, s := range c.list() {
			if p.holds(s) {
				buf = append(buf, s)
			}
		}
		return buf
	}
	for name, options := range cl.Subscriptions(p.prefixes...) {
		buf = append(buf, newSubscription(name, options))
	}
	return buf
}

// follows tells whether client has a subscription under one of p's
// prefixes.
func follows(cl subscriptions.Client, p prefixSet) bool {
	if c, ok := cl.(*client); ok {
		return c.follows(p)
	}
	return len(cl.Subscriptions(p.prefixes...)) > 0
}

func newClient(base subscriptions.Client, counters *counters, abort func()) *client {
	return &client{Client: base, id: base.Id(), counters: counters, abort: abort, queue: make(chan subscriptions.Message, chanSize)}
}

// Channel implements subscriptions.Client: the SSE loop reads the queue.
func (c *client) Channel() chan subscriptions.Message { return c.queue }

// Send implements subscriptions.Client without blocking.
func (c *client) Send(m subscriptions.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.discarded {
		return
	}
	if len(c.overflow) == 0 {
		select {
		case c.queue <- m:
			return
		default:
		}
	}
	if len(c.queue)+len(c.overflow) >= QueueSize {
		c.discardLocked()
		c.countSlow(&c.counters.queueFull)
		go c.abort()
		return
	}
	c.overflow = append(c.overflow, m)
}

// refill moves waiting events into the channel. The SSE loop's goroutine
// calls it after each event it takes (OnRealtimeMessageSend): the channel
// was full when an event first waited, and every take is followed by a
// refill, so the channel never runs dry while events wait.
func (c *client) refill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.discarded {
		return
	}
	n := 0
fill:
	for n < len(c.overflow) {
		select {
		case c.queue <- c.overflow[n]:
			n++
		default:
			break fill
		}
	}
	if n == len(c.overflow) {
		c.overflow = nil // the lag is over: its memory goes
		return
	}
	clear(c.overflow[:n])
	c.overflow = c.overflow[n:]
}

// Discard implements subscriptions.Client: the SSE loop ends when it finds
// the queue closed.
func (c *client) Discard() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.discardLocked()
}

func (c *client) discardLocked() {
	if !c.discarded {
		c.discarded = true
		close(c.queue)
	}
}

// IsDiscarded implements subscriptions.Client.
func (c *client) IsDiscarded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.discarded
}

// Close ends the SSE connections of the clients whose auth match accepts
// (a ban, a deleted account): they are discarded and unregistered at once.
func Close(app core.App, match func(auth *core.Record) bool) {
	for _, c := range clientsOf(app) {
		auth, _ := c.Get(apis.RealtimeClientAuthKey).(*core.Record)
		if auth != nil && match(auth) {
			c.Discard()
			app.SubscriptionsBroker().Unregister(c.Id())
		}
	}
}
