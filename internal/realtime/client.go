// Package realtime delivers events to PocketBase's SSE clients: the bounded
// client every connection gets, and the one delivery loop for the events
// Madang sends itself (chat messages, typing, counter updates, AI partial
// results). Who may receive what, and how a record looks to them, is
// internal/access's answer.
package realtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// QueueSize is how many events an SSE client may fall behind before it is
// disconnected. PocketBase's client channel is unbuffered and every sender
// waits on it in a goroutine of its own, so a client that stops reading
// used to hold one goroutine and one encoded event per event, without
// bound (measured: 30 such clients, 1,300 messages: RSS 75 → 322 MB).
// A client that reconnects gets a new queue; the JS SDK reconnects itself.
const QueueSize = 128

// WriteTimeout bounds one event's write to an SSE connection. PocketBase
// turns the server's write deadline off for SSE; without one, a client
// whose socket stopped draining would hold its connection forever.
const WriteTimeout = 10 * time.Second

// WriteDeadline is a connection's write deadline, kept Timeout ahead of
// its writes: moved forward only when it is nearer than Timeout less a
// tenth (about once a second at 10 s), since setting a deadline updates a
// runtime timer and a fan-out writes to every connection. The SSE writer
// and the chat bridge's connection use it; a write stuck past the
// deadline fails, and the connection ends.
type WriteDeadline struct {
	Timeout time.Duration // 0: no deadline
	at      time.Time
}

// Ahead moves the deadline through set before a write at now, if it is
// due.
func (d *WriteDeadline) Ahead(now time.Time, set func(time.Time) error) error {
	if d.Timeout <= 0 || d.at.Sub(now) >= d.Timeout-d.Timeout/10 {
		return nil
	}
	if err := set(now.Add(d.Timeout)); err != nil {
		return err
	}
	d.at = now.Add(d.Timeout)
	return nil
}

// At is the deadline last set (zero: none yet).
func (d *WriteDeadline) At() time.Time { return d.at }

// MaxConnsPerUser caps one account's SSE connections, as the chat
// WebSocket bridge caps its own: a tab holds one, so sixteen is plenty,
// and one account cannot hold thousands of queues.
const MaxConnsPerUser = 16

// MaxSubscriptions caps the topics one SSE connection follows. A page of
// the web client follows about six; PocketBase allows 1,000 per request,
// and a guest's 1,000 options-laden names held 6.4 MB a connection.
const MaxSubscriptions = 100

// MaxPerCollection caps one connection's subscriptions to one collection's
// events (its name or id, "/*" or bare), and, apart, those to one record:
// a record's event is checked against at most twice as many. PocketBase's broadcast runs
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

// MaxOpenConnsPerIP caps, when a connection opens, the SSE connections of
// one address not signed in: a connection signs in with its first
// subscribe, so this counts the guests' and the ones still to subscribe.
// Until 2026-12-07 only a subscribe was checked: one address held 5,000
// bare connections (10,000 goroutines) for the 5-minute idle timeout.
// Twice MaxGuestConnsPerIP, for members of one network opening pages at
// once.
const MaxOpenConnsPerIP = 2 * MaxGuestConnsPerIP

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
		if guestConns(app, e.RealIP(), nil) >= MaxOpenConnsPerIP {
			return e.TooManyRequestsError(fmt.Sprintf("This address already has %d live connections without "+
				"signing in; sign in, or close some and try again.", MaxOpenConnsPerIP), nil)
		}
		c := newClient(e.Client, counters, nil)
		c.abort = c.interrupt
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
		err := e.Next() // the connection's whole life, unless serve handed it to a goroutine of its own
		if !c.handedOff {
			c.end()
		}
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
	// The server's shutdown ends the requests, but not the connections
	// serve took over: they end here, and the SDK reconnects (to the next
	// process, on a restart).
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		for _, c := range clientsOf(app) {
			c.Discard()
		}
		return e.Next()
	})
	// serve runs last, in place of PocketBase's loop (the hook chain's end)
	app.OnRealtimeConnectRequest().Bind(&hook.Handler[*core.RealtimeConnectRequestEvent]{
		Func:     serve,
		Priority: math.MaxInt,
	})
	app.OnRealtimeMessageSend().BindFunc(func(e *core.RealtimeMessageEvent) error {
		// PB_CONNECT (serve writes the other events), or an event of a
		// client that is not Madang's (none in the server)
		err := http.NewResponseController(e.Response).SetWriteDeadline(time.Now().Add(WriteTimeout))
		if err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		return e.Next()
	})
}

// serve is an SSE connection's life from its PB_CONNECT event on: what
// PocketBase's loop (apis/realtime.go) does — register the client, send
// PB_CONNECT through OnRealtimeMessageSend, end the connection when its
// request ends, after IdleTimeout without an event or after MaxTimeout —
// with the client's own queue and writer. OnRealtimeMessageSend fires for
// PB_CONNECT only; Madang binds nothing else to it.
//
// An HTTP/1.x connection is then taken over from net/http (hijacked: the
// stream's body ends with its connection, see Bind) and served by a
// goroutine of its own, and the request returns: the request's goroutine,
// with the stack of the whole middleware and hook chain, and net/http's
// buffers go, and each event is written to the socket without net/http's
// layers (the response's buffer, its chunk writer, the connection's
// buffer, a flush through each). A second goroutine reads the socket, to
// notice the client's close at once, as net/http's own reader did. HTTP/2
// cannot be taken over; its events go through the response.
func serve(e *core.RealtimeConnectRequestEvent) error {
	c, ok := e.Client.(*client)
	if !ok {
		return e.Next() // PocketBase's own loop
	}
	broker := e.App.SubscriptionsBroker()
	broker.Register(c)

	connect := &core.RealtimeMessageEvent{RequestEvent: e.RequestEvent, Client: c, Message: &subscriptions.Message{
		Name: "PB_CONNECT",
		Data: []byte(`{"clientId":"` + c.id + `"}`),
	}}
	err := e.App.OnRealtimeMessageSend().Trigger(connect, func(me *core.RealtimeMessageEvent) error {
		if err := me.Message.WriteSSE(me.Response, c.id); err != nil {
			return err
		}
		return me.Flush()
	})
	if err != nil {
		broker.Unregister(c.id)
		return nil // the client is gone; PocketBase ends the same way
	}

	idle, lifetime := e.IdleTimeout, e.MaxTimeout
	rc := http.NewResponseController(e.Response)
	conn, brw, err := rc.Hijack()
	if err != nil { // HTTP/2, or a response that cannot be taken over
		c.out.Store(&sink{w: e.Response, rc: rc})
		defer broker.Unregister(c.id)
		defer context.AfterFunc(e.Request.Context(), c.Discard)()
		c.run(idle, lifetime)
		return nil
	}
	c.out.Store(&sink{conn: conn})
	c.handedOff = true
	go func() {
		defer c.end()
		defer broker.Unregister(c.id)
		defer conn.Close()
		go c.watch(conn, brw.Reader.Buffered() > 0)
		c.run(idle, lifetime)
	}()
	return nil
}

// watch reads the taken-over connection until the client closes it (or
// the server does): an SSE client sends nothing after its request, so any
// byte ends the connection as well. sent tells that a byte came before the
// takeover: net/http's own reader, which watches a running handler's
// connection, had read it into the buffer Hijack hands over (and serve
// drops, so as not to keep its 4 KB a connection); the connection then ends
// at once. Until 2026-12-05 such a byte was never seen, and the connection
// stayed (TestSSEClientThatSendsIsDisconnected failed once in CI).
func (c *client) watch(conn net.Conn, sent bool) {
	if !sent {
		var b [1]byte
		_, _ = conn.Read(b[:])
	}
	c.Discard()
}

// end is the connection's last step: the client is discarded (before
// drop: a subscribe racing the end then files nothing) and leaves the
// index of clients by account.
func (c *client) end() {
	c.Discard()
	if c.owners != nil {
		c.owners.drop(c)
	}
}

// run writes the client's events until it is discarded: by the end of
// its connection, a write that failed, a full queue, or its time limits.
// It waits on the client's token alone; the limits and the connection's
// end discard the client, which wakes it.
func (c *client) run(idle, lifetime time.Duration) {
	start := time.Now()
	c.lastEvent.Store(start.UnixNano())
	endAt := start.Add(lifetime)
	// one timer for both limits at a time, at the nearer; an event does
	// not move it
	var limits atomic.Pointer[time.Timer]
	var check func()
	check = func() {
		if c.IsDiscarded() {
			return
		}
		now := time.Now()
		quiet := now.Sub(time.Unix(0, c.lastEvent.Load()))
		if !now.Before(endAt) || quiet >= idle {
			c.Discard()
			return
		}
		limits.Store(time.AfterFunc(min(idle-quiet, endAt.Sub(now)), check))
	}
	limits.Store(time.AfterFunc(min(idle, lifetime), check))
	defer func() { limits.Load().Stop() }()
	out := c.out.Load()
	for {
		<-c.wake
		batch, open := c.take()
		if !open {
			return
		}
		now := time.Now()
		c.lastEvent.Store(now.UnixNano())
		err := c.write(out, batch, now)
		c.taken(batch)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				c.countSlow(&c.counters.writeTimeout)
			}
			c.Discard()
			return
		}
	}
}

// sink is where a connection's events go: the taken-over connection, or
// the response (HTTP/2).
type sink struct {
	conn net.Conn
	w    http.ResponseWriter
	rc   *http.ResponseController
}

// write writes b and flushes it.
func (s *sink) write(b []byte) error {
	if s.conn != nil {
		_, err := s.conn.Write(b)
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sink) setWriteDeadline(t time.Time) error {
	if s.conn != nil {
		return s.conn.SetWriteDeadline(t)
	}
	if err := s.rc.SetWriteDeadline(t); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// interrupt fails the write the connection's writer may be stuck in (a
// client discarded for a full queue).
func (c *client) interrupt() {
	if out := c.out.Load(); out != nil {
		_ = out.setWriteDeadline(time.Now())
	}
}

// write writes batch's events in one write (one syscall for all).
func (c *client) write(out *sink, batch []subscriptions.Message, now time.Time) error {
	if err := c.deadline.Ahead(now, out.setWriteDeadline); err != nil {
		return err
	}
	bp := eventBufs.Get().(*[]byte)
	b := (*bp)[:0]
	for i := range batch {
		b = appendEvent(b, c.id, &batch[i])
	}
	err := out.write(b)
	if cap(b) <= maxPooledEvents {
		*bp = b
		eventBufs.Put(bp)
	}
	return err
}

// maxPooledEvents is the largest buffer kept for the next events: a batch
// of large events does not stay in the pool.
const maxPooledEvents = 64 << 10

// eventBufs holds the buffers the writers build events in.
var eventBufs = sync.Pool{New: func() any { return new([]byte) }}

// appendEvent appends m to b in the SSE format of PocketBase's
// Message.WriteSSE.
func appendEvent(b []byte, eventID string, m *subscriptions.Message) []byte {
	b = append(b, "id:"...)
	b = append(b, eventID...)
	b = append(b, "\nevent:"...)
	b = append(b, m.Name...)
	b = append(b, "\ndata:"...)
	b = append(b, m.Data...)
	return append(b, "\n\n"...)
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
	pending   []subscriptions.Message // events serve has not taken, in order
	spare     []subscriptions.Message // the array of serve's last batch, for the next
	inflight  int                     // events of the batch serve is writing
	latest    map[string]int          // a Latest event's subscription and record → its place in pending
	discarded bool
	wake      chan struct{} // capacity 1: holds a token while pending has events (or after Discard)

	slow atomic.Bool // counted as a slow client (stats.go)

	deadline  WriteDeadline        // of the connection's writes; the writer's goroutine only
	out       atomic.Pointer[sink] // where the writer writes, once serve started it
	handedOff bool                 // serve took the connection over (set before the request returns)
	lastEvent atomic.Int64         // when serve last wrote (Unix ns), for the idle limit

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
	return &client{Client: base, id: base.Id(), counters: counters, abort: abort, wake: make(chan struct{}, 1),
		deadline: WriteDeadline{Timeout: WriteTimeout}}
}

// Channel implements subscriptions.Client. PocketBase's SSE loop is the
// one reader of a client's channel, and it never runs for a Madang client
// (serve reads the queue); the channel is nil.
func (c *client) Channel() chan subscriptions.Message { return nil }

// Send implements subscriptions.Client without blocking. A client whose
// events waiting and being written reach QueueSize is discarded.
func (c *client) Send(m subscriptions.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sendLocked(m)
}

// sendLatest sends m, a Latest event of record (Event.Latest), dropping
// the one of the same subscription and record still waiting, if there is
// one. m goes last, as any event: in the dropped one's place, it would
// come before the events queued after that one (the job's stored running
// state, whose empty result would hide its text until the next partial).
func (c *client) sendLatest(m subscriptions.Message, record string) {
	key := m.Name + "\x00" + record
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.latest[key]; ok {
		c.pending = slices.Delete(c.pending, i, i+1)
		delete(c.latest, key)
		for k, j := range c.latest {
			if j > i {
				c.latest[k] = j - 1
			}
		}
	}
	if c.sendLocked(m) {
		if c.latest == nil {
			c.latest = map[string]int{}
		}
		c.latest[key] = len(c.pending) - 1
	}
}

// sendLocked queues m, or discards the client when its queue is full;
// false when m was not queued.
func (c *client) sendLocked(m subscriptions.Message) bool {
	if c.discarded {
		return false
	}
	if len(c.pending)+c.inflight >= QueueSize {
		c.discardLocked()
		c.countSlow(&c.counters.queueFull)
		go c.abort()
		return false
	}
	c.pending = append(c.pending, m)
	if len(c.pending) == 1 {
		// serve takes every waiting event on each token, so a token is
		// given when the first one arrives (the buffer is then empty)
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// take hands serve every waiting event, in order; false once the client
// is discarded. serve calls it for each token from wake, and gives the
// batch back with taken once written.
func (c *client) take() ([]subscriptions.Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.discarded {
		return nil, false
	}
	batch := c.pending
	c.pending, c.spare = c.spare, nil
	c.inflight = len(batch)
	clear(c.latest) // what waits now is serve's to write
	return batch, true
}

// spareCap is the largest batch array kept for reuse: a connection that
// lagged does not keep its lag's memory.
const spareCap = 16

// taken gives back the array of a batch serve wrote.
func (c *client) taken(batch []subscriptions.Message) {
	clear(batch) // the events' data go with them
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight = 0
	if cap(batch) <= spareCap {
		c.spare = batch[:0]
	}
}

// Discard implements subscriptions.Client: serve ends when it wakes.
func (c *client) Discard() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.discardLocked()
}

func (c *client) discardLocked() {
	if !c.discarded {
		c.discarded = true
		select {
		case c.wake <- struct{}{}:
		default: // a token waits already
		}
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
