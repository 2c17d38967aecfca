package realtime

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"

	"madang/internal/access"
)

// Verdict is what one subscriber gets of a record event.
type Verdict int

const (
	Skip Verdict = iota // nothing
	Send                // the event
	Gone                // Event.Gone instead: the record left their view
)

// Event is a record event: a saved record's change (records.go), or one
// Madang makes itself (counters changed by SQL, AI partial results, chat
// messages with their own access answers: chat/sse.go).
type Event struct {
	Action string // create, update or delete
	Record *core.Record
	// Access answers for one subscriber under the topic's rule (ListRule
	// for collection topics, ViewRule for the record's own); nil: the rule
	// itself (app.CanAccessRecord, against the stored record).
	Access func(info *core.RequestInfo, rule *string) Verdict
	Gone   []byte // the payload of Gone verdicts
	// Latest: the event stands for every earlier Latest event of its
	// record (a streaming job's text so far), so one a subscriber was not
	// yet sent is dropped, and this one queued last. A reader that stopped reading
	// then holds one such event a subscription, not one per update: until
	// 2026-12-07 16 stalled connections watching 8 replies grow to 1 MB
	// held 247 MB of partial texts.
	Latest bool
}

type outgoing struct {
	client subscriptions.Client
	msg    subscriptions.Message
	// while Prepare decides: the subscriber's request and the topic's rule
	info *core.RequestInfo
	rule *string
}

// batches holds the message lists of prepared events between uses: a
// Prepared takes one, and its Send hands it back. Until 2026-12-06 Prepare
// gathered into a pooled list and gave the Prepared an exact copy: for a
// chat of 1,000 readers a 72 KB allocation and copy per message, a fifth
// of deciding it (BenchmarkPrepareMessage). Appending straight to a fresh
// list (before 2026-12-05) regrew it through ten doublings.
var batches = sync.Pool{New: func() any { return new(batch) }}

// batch is a prepared event's SSE messages. Its generation makes Send a
// one-time act: a copy of a Prepared sent again would otherwise send a
// list that is back in the pool, perhaps another event's by then.
type batch struct {
	msgs []outgoing
	// the subscribers' requests while Prepare decides, infoSlab to a slab,
	// kept between uses: allocated one by one they were an eighth of
	// deciding, 64 KB of garbage per message for 1,000 readers
	infos [][]core.RequestInfo
	gen   atomic.Uint64 // moves on when the batch is taken and when it is sent or discarded
}

// take hands b to a new Prepared: the generation the Prepared holds.
func (b *batch) take() uint64 { return b.gen.Add(1) }

// claim tells whether gen is b's generation, moving it on: true once per
// take, for the Send or Discard that releases b.
func (b *batch) claim(gen uint64) bool { return b.gen.CompareAndSwap(gen, gen+1) }

// requests hands out a batch's requests in order, a slab at a time.
type requests struct {
	b          *batch
	slab, used int
}

// next returns the next request's slot, set to v; the request after it
// takes the same slot unless keep is called.
func (r *requests) next(v core.RequestInfo) *core.RequestInfo {
	if r.slab == len(r.b.infos) {
		r.b.infos = append(r.b.infos, make([]core.RequestInfo, infoSlab))
	}
	p := &r.b.infos[r.slab][r.used]
	*p = v
	return p
}

// keep keeps the request next returned last.
func (r *requests) keep() {
	if r.used++; r.used == infoSlab {
		r.slab, r.used = r.slab+1, 0
	}
}

// done forgets the requests handed out (the pool must not keep auth
// records alive) and the messages' references to them.
func (r *requests) done(found []outgoing) {
	for i := range found {
		found[i].info, found[i].rule = nil, nil
	}
	for _, slab := range r.b.infos[:min(r.slab+1, len(r.b.infos))] {
		clear(slab)
	}
}

// Prepared is an event's messages, decided and encoded, not yet sent: to
// the SSE clients, and to the tier's users when a tier is on (tier.go).
// Send sends them once.
type Prepared struct {
	sse      *batch // nil when no SSE client gets the event
	gen      uint64 // sse's generation when prepared
	latest   string // the record's key when the event is Latest
	tier     Tier
	tierMsgs []tierMessage
}

// Deliver sends ev to every subscriber that may receive it.
func Deliver(app core.App, ev Event) { Prepare(app, ev).Send() }

// Prepare decides and encodes ev for every subscriber, the same way
// PocketBase's broadcast does — the topic's rule, then the subscription's
// filter, then the record as the subscriber would see it through the API —
// with each filter run once (access.Matcher) and each distinct payload
// encoded once (access.PayloadKey). app may be a transaction: a deleted
// record is prepared before its delete and sent after the commit.
//
// The filter is asked before the rule: a filter on the record's own fields
// is answered once for all (a post page's comments/* with post = ID), and
// most subscribers of a busy collection follow other records, so their
// rule is never run. The rule (one SQL query a subscriber, about 0.15–0.3
// ms here) is then run for the subscribers left — once per class of those
// it cannot tell apart when they are shareFrom or more (access.Verdicts) —
// on every core when they are many, as PocketBase's broadcast did in
// chunks; the messages keep the walk's order either way.
func Prepare(app core.App, ev Event) Prepared {
	c := ev.Record.Collection()
	id := ev.Record.Id
	rules := []guard{ // subscription prefix → the rule that guards it
		{c.Name + "/" + id + "?", c.ViewRule},
		{c.Id + "/" + id + "?", c.ViewRule},
		{c.Name + "/*?", c.ListRule},
		{c.Id + "/*?", c.ListRule},
		{c.Name + "?", c.ListRule}, // deprecated topic: the collection
		{c.Id + "?", c.ListRule},
	}
	prefixes := make([]string, len(rules))
	for i, g := range rules {
		prefixes[i] = g.prefix
	}
	asked := newPrefixSet(prefixes)
	verdict := ev.Access
	parallel := false
	var verdicts *access.Verdicts // set for many readers: the rule once per class of them
	if verdict == nil {
		parallel = !app.IsTransactional() // each answer is a query; a transaction has one connection
		verdict = func(info *core.RequestInfo, rule *string) Verdict {
			if access.Refused(ev.Record, info, rule) {
				return Skip // another's record: a notification, a read mark
			}
			var ok bool
			if verdicts != nil {
				ok = verdicts.CanAccess(info, rule)
			} else {
				ok, _ = app.CanAccessRecord(ev.Record, info, rule)
			}
			if ok {
				return Send
			}
			return Skip
		}
	}
	d := &decider{app: app, ev: ev, verdict: verdict, matcher: access.NewMatcher(app, ev.Record), payloads: newPayloads(),
		payloadKey: access.PayloadKey(ev.Record)}
	var out Prepared
	if t := TierOf(app); t != nil {
		out.tier, out.tierMsgs = t, prepareTier(app, ev, verdict, d.payloads, d.payloadKey)
	}
	b := batches.Get().(*batch)
	found := b.msgs[:0]
	var subs []subscription
	reqs := requests{b: b}
	for _, client := range clientsOf(app) {
		if subs = matching(client, asked, subs); len(subs) == 0 {
			continue
		}
		auth, _ := client.Get(apis.RealtimeClientAuthKey).(*core.Record)
		for _, s := range subs {
			info := reqs.next(core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: http.MethodGet,
				Query: s.options.Query, Headers: s.options.Headers, Auth: auth})
			if !d.matcher.Match(info) {
				continue
			}
			reqs.keep()
			found = append(found, outgoing{client: client, msg: subscriptions.Message{Name: s.name},
				info: info, rule: ruleOf(rules, s.name)})
		}
	}
	if ev.Access == nil {
		if n, auths := ruled(ev.Record, found); n >= shareFrom {
			verdicts = access.NewVerdicts(app, ev.Record)
			verdicts.Load(auths, c.ViewRule, c.ListRule)
		}
	}
	found = d.decideAll(found, parallel && len(found) >= parallelFrom)
	reqs.done(found) // nothing keeps a request past its decision
	b.msgs = found
	if len(found) == 0 {
		batches.Put(b)
		return out
	}
	out.sse, out.gen = b, b.take()
	if ev.Latest {
		out.latest = c.Id + "/" + id
	}
	return out
}

// ruled counts the subscribers of found whose rule will run (not those
// access.Refused answers) and returns their auth records, for
// access.Verdicts.Load.
func ruled(record *core.Record, found []outgoing) (int, []*core.Record) {
	n := 0
	var auths []*core.Record
	for _, o := range found {
		if access.Refused(record, o.info, o.rule) {
			continue
		}
		n++
		if o.info.Auth != nil {
			auths = append(auths, o.info.Auth)
		}
	}
	return n, auths
}

// infoSlab is how many subscribers' requests a batch allocates at once.
const infoSlab = 64

// shareFrom is how many subscribers an event's rule must be run for
// before Prepare shares its answers among those it cannot tell apart
// (access.Verdicts): for fewer, reading their stored rows costs about as
// much as the rule.
const shareFrom = 8

// parallelFrom is how many subscribers an event's rule must be run for
// before Prepare runs them on every core: fewer cost less than starting
// the workers.
const parallelFrom = 32

// decider answers one event's subscribers.
type decider struct {
	app        core.App
	ev         Event
	verdict    func(*core.RequestInfo, *string) Verdict
	matcher    *access.Matcher
	payloads   *payloads
	payloadKey func(*core.RequestInfo) string // access.PayloadKey of the event's record
}

// decideAll fills each subscriber's message with what they get and keeps
// those who get one, in order; on every core when parallel.
func (d *decider) decideAll(found []outgoing, parallel bool) []outgoing {
	if !parallel {
		for i := range found {
			d.decide(&found[i])
		}
	} else {
		workers := min(runtime.GOMAXPROCS(0), len(found))
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(found); i += workers {
					d.decide(&found[i])
				}
			})
		}
		wg.Wait()
	}
	return slices.DeleteFunc(found, func(o outgoing) bool { return o.msg.Data == nil })
}

// decide sets o's message data, or leaves it nil when o gets nothing.
func (d *decider) decide(o *outgoing) {
	v := d.verdict(o.info, o.rule)
	switch v {
	case Skip:
		return
	case Gone:
		o.msg.Data = d.ev.Gone
		return
	}
	e := d.payloads.entry(d.payloadKey(o.info))
	e.once.Do(func() { e.data = encode(d.app, d.ev, o.info) })
	o.msg.Data = e.data
}

// encode is ev's payload for info, nil when they get nothing (nothing they
// see changed, or a failure, which is logged).
func encode(app core.App, ev Event, info *core.RequestInfo) []byte {
	data, err := access.Encode(app, ev.Action, ev.Record, info)
	if err != nil && !errors.Is(err, access.ErrUnseenChange) {
		app.Logger().Debug("encoding a realtime event failed", slog.String("collection", ev.Record.Collection().Name),
			slog.String("id", ev.Record.Id), slog.String("error", err.Error()))
	}
	return data
}

// payloads holds an event's encodings by access.PayloadKey, each made
// once however many workers ask for it; nil: the key gets nothing.
type payloads struct {
	mu sync.Mutex
	m  map[string]*payload
}

type payload struct {
	once sync.Once
	data []byte
}

func newPayloads() *payloads { return &payloads{m: map[string]*payload{}} }

// entry returns key's encoding, made at its first use (its once).
func (p *payloads) entry(key string) *payload {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.m[key]
	if e == nil {
		e = &payload{}
		p.m[key] = e
	}
	return e
}

// guard is a subscription prefix of a record event and the rule that
// guards it. A name falls under at most one of an event's prefixes.
type guard struct {
	prefix string
	rule   *string
}

// ruleOf returns the rule of the prefix subscription name falls under.
func ruleOf(rules []guard, name string) *string {
	for _, g := range rules {
		if falls(name, g.prefix) {
			return g.rule
		}
	}
	return nil
}

// empty tells whether p sends nothing.
func (p Prepared) empty() bool { return p.sse == nil && len(p.tierMsgs) == 0 }

// Send queues the prepared messages; it never blocks (see client). The
// tier gets one Send per distinct payload. Send a Prepared once: the SSE
// clients' list goes back to the pool, and a second Send sends them
// nothing.
func (p Prepared) Send() {
	if p.sse != nil && p.sse.claim(p.gen) {
		for _, o := range p.sse.msgs {
			if p.latest == "" {
				o.client.Send(o.msg)
			} else if c, ok := o.client.(*client); ok {
				c.sendLatest(o.msg, p.latest)
			} else {
				o.client.Send(o.msg)
			}
		}
		p.sse.release()
	}
	for _, m := range p.tierMsgs {
		p.tier.Send(m.users, m.topic, m.data)
	}
}

// Discard drops p unsent (an update saved again since, a delete that
// failed), handing its list back to the pool.
func (p Prepared) Discard() {
	if p.sse != nil && p.sse.claim(p.gen) {
		p.sse.release()
	}
}

// release hands b back to the pool, empty: the pool must not keep clients
// or payloads alive.
func (b *batch) release() {
	clear(b.msgs)
	b.msgs = b.msgs[:0]
	batches.Put(b)
}

// Publish sends data on a topic that is not a record's (e.g. a chat's
// typing indicators) to the subscribers to that topic, with or without
// options: payload answers what each subscriber's auth gets, nil for
// nothing. Most topics send everyone the same; a chat's presence leaves
// out, for each reader, the members they blocked. Give the readers of one
// payload the same slice: the tier sends one broadcast per distinct
// payload.
func Publish(app core.App, topic string, payload func(auth *core.Record) []byte) {
	publishTier(app, topic, payload)
	asked := newPrefixSet([]string{topic + "?"})
	var subs []subscription
	for _, client := range clientsOf(app) {
		if subs = matching(client, asked, subs); len(subs) == 0 {
			continue
		}
		auth, _ := client.Get(apis.RealtimeClientAuthKey).(*core.Record)
		data := payload(auth)
		if data == nil {
			continue
		}
		for _, s := range subs {
			client.Send(subscriptions.Message{Name: s.name, Data: data})
		}
	}
}

const rootKey = "madang.realtime.root"

// DeliverAfterCommit sends ev once tx commits, and nothing if it rolls
// back: for records written with SQL inside a transaction (PocketBase
// broadcasts the ones it saves itself, the same way, after the commit).
// The decisions run after the commit, on the app the transaction belongs
// to, so no subscriber's check holds SQLite's write lock.
func DeliverAfterCommit(tx core.App, ev Event) {
	if !tx.IsTransactional() {
		if HasSubscribers(tx, ev.Record.Collection()) {
			Deliver(tx, ev)
		}
		return
	}
	root, _ := tx.Store().Get(rootKey).(core.App)
	tx.TxInfo().OnComplete(func(txErr error) error {
		if txErr == nil && root != nil && HasSubscribers(root, ev.Record.Collection()) {
			Deliver(root, ev)
		}
		return nil
	})
}

// HasSubscribers tells whether any client follows collection's records.
func HasSubscribers(app core.App, collection *core.Collection) bool {
	if TierOf(app) != nil {
		return true // the tier's followers are not known here
	}
	asked := newPrefixSet([]string{collection.Name + "/", collection.Id + "/", collection.Name + "?", collection.Id + "?"})
	for _, client := range clientsOf(app) {
		if follows(client, asked) {
			return true
		}
	}
	return false
}

// Following tells, for each of userIDs (of the users collection),
// whether they follow topic live: over SSE, signed in, or on the tier
// through its shared channel (Tier.Followers). It asks the index of
// followed topics (owners.byTopic) once for them all, however many
// connections the server holds: a chat message asks it for each of its
// session's members.
func Following(app core.App, topic string, userIDs []string) []bool {
	following := make([]bool, len(userIDs))
	if users, _ := app.FindCachedCollectionByNameOrId(access.CollectionNameUsers); users != nil {
		ownersOf(app).followAmong(topic, users.Id+"/", userIDs, following)
	}
	if t := TierOf(app); t != nil {
		onTier := map[string]bool{}
		for _, id := range t.Followers(topic) {
			onTier[id] = true
		}
		for i, id := range userIDs {
			following[i] = following[i] || onTier[id]
		}
	}
	return following
}

// Watching tells whether userID follows one of topics live (SSE; "x/*"
// and "x/ID" topics, with or without options) — e.g. whether the owner of
// an AI job watches it, so a notification would tell them nothing new.
func Watching(app core.App, userID string, topics ...string) bool {
	users, err := app.FindCachedCollectionByNameOrId(access.CollectionNameUsers)
	if err != nil {
		return false
	}
	o := ownersOf(app)
	return slices.ContainsFunc(topics, func(t string) bool { return o.follows(users.Id+"/"+userID, t) })
}

// FollowedTopics returns the distinct topics (without options) starting
// with prefix that some client follows.
func FollowedTopics(app core.App, prefix string) []string {
	seen := map[string]bool{}
	var topics []string
	asked := newPrefixSet([]string{prefix})
	var subs []subscription
	for _, client := range clientsOf(app) {
		subs = matching(client, asked, subs)
		for _, s := range subs {
			if !seen[s.topic] {
				seen[s.topic] = true
				topics = append(topics, s.topic)
			}
		}
	}
	return topics
}

// Online returns the ids of the users who hold a signed-in SSE connection.
func Online(app core.App) map[string]bool {
	online := map[string]bool{}
	for _, client := range clientsOf(app) {
		if auth, _ := client.Get(apis.RealtimeClientAuthKey).(*core.Record); auth != nil {
			online[auth.Id] = true
		}
	}
	return online
}

// SendTo queues data for one client under the subscription name it gave
// (an answer to its own subscribe, such as a first snapshot).
func SendTo(client subscriptions.Client, name string, data []byte) {
	client.Send(subscriptions.Message{Name: name, Data: data})
}
