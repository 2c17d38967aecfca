package realtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// Tier is a second way Madang's events reach users, beside the SSE clients:
// a delivery service in front of Madang (internal/centrifugo) whose
// connections are users, each following one personal channel, not topics.
// Who receives an event is decided here, exactly as for SSE — the topic's
// rule (or the event's Access), then the record as that reader sees it
// through the API, each distinct payload encoded once — over the users an
// Audience names instead of the SSE subscriptions. The tier only carries
// what it is handed: one Send per distinct payload.
type Tier interface {
	// Send delivers the message {topic, data} — data being what an SSE
	// client gets under topic — to the personal channels of users.
	Send(users []string, topic string, data []byte)
	// Followers returns the signed-in users who follow topics through the
	// tier's shared channels (a post's counters: records any number of
	// readers watch); candidates only, the rule decides.
	Followers(topics ...string) []string
	// Disconnect ends the users' connections at once (a ban, a rotated
	// token key: a connection must not outlive the token that opened it);
	// the error says which could not be ended, and why.
	Disconnect(users ...string) error
}

// Audience names the users who may be among the readers of a record's
// events on the tier: candidates (a session's members, a notification's
// owner), each then put to the rule like any SSE subscriber.
type Audience func(app core.App, record *core.Record) []string

// TopicAudience names the candidate readers of a topic that is not a
// record's (a chat's typing indicators and presence); Publish's to decides.
type TopicAudience func(app core.App, topic string) []string

type tierState struct {
	tier       Tier
	audiences  map[string]Audience      // collection name → candidates
	topics     map[string]TopicAudience // topic prefix ("chat_typing/") → candidates
	recipients recipients
}

const tierKey = "madang.realtime.tier"

func tierStateOf(app core.App) *tierState {
	s, _ := app.Store().Get(tierKey).(*tierState)
	return s
}

// SetTier turns the tier on for app (internal/centrifugo, when configured):
// from then on every event this package delivers — every record change
// (records.go), Deliver's, Publish's — of a collection or topic the tier
// carries (TierTopics) also goes to the tier. Call it before the app serves.
func SetTier(app core.App, t Tier) {
	s := &tierState{tier: t, audiences: map[string]Audience{}, topics: map[string]TopicAudience{},
		recipients: recipients{users: map[string]recipient{}}}
	for name, a := range defaultAudiences {
		s.audiences[name] = a
	}
	// chat_presence/ stays on SSE: presence is made of SSE connections (chat/presence.go)
	s.topics[typingPrefix] = sessionTopicAudience
	// a users record saved, here or by the CLI, is read again, as an SSE
	// client's auth follows it
	forget := func(e *core.RecordEvent) error {
		s.recipients.forget(e.Record.Id)
		return e.Next()
	}
	app.OnRecordAfterUpdateSuccess(access.CollectionNameUsers).BindFunc(forget)
	app.OnRecordAfterDeleteSuccess(access.CollectionNameUsers).BindFunc(forget)
	OnUserSavedElsewhere(app, func(user *core.Record) { s.recipients.forget(user.Id) })
	app.OnCollectionAfterUpdateSuccess(access.CollectionNameUsers).BindFunc(func(e *core.CollectionEvent) error {
		s.recipients.forgetAll()
		return e.Next()
	})
	app.Store().Set(tierKey, s)
}

// OnTierConnect adds fn to what runs when a user is given a connection
// token for the tier: the tier's counterpart of an SSE subscribe, when a
// cache of that user's answers is worth warming before their first event
// (the chat hub's). Call it before the app serves.
func OnTierConnect(app core.App, fn func(user *core.Record)) {
	c := tierConnectsOf(app)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fns = append(c.fns, fn)
}

// TierConnecting tells OnTierConnect's functions that user was given a
// connection token (internal/centrifugo's token route).
func TierConnecting(app core.App, user *core.Record) {
	c := tierConnectsOf(app)
	c.mu.Lock()
	fns := slices.Clone(c.fns)
	c.mu.Unlock()
	for _, fn := range fns {
		fn(user)
	}
}

type tierConnects struct {
	mu  sync.Mutex
	fns []func(user *core.Record)
}

const tierConnectsKey = "madang.realtime.tierConnects"

func tierConnectsOf(app core.App) *tierConnects {
	c, _ := app.Store().GetOrSet(tierConnectsKey, func() any { return &tierConnects{} }).(*tierConnects)
	return c
}

// TierOf returns app's tier, or nil when only SSE delivers.
func TierOf(app core.App) Tier {
	if s := tierStateOf(app); s != nil {
		return s.tier
	}
	return nil
}

// SetAudience names the candidate readers of collection's records on the
// tier (replacing the default). Call it after SetTier, before the app serves.
func SetAudience(app core.App, collection string, a Audience) {
	if s := tierStateOf(app); s != nil {
		s.audiences[collection] = a
	}
}

// CloseUser ends every live connection of the users record id at once: its
// SSE clients (Close) and its connections on the tier. A tier that could
// not disconnect them (logged by the tier) is reported to ctx's
// WithCloseReport, if any: a save's hook calls CloseUser, and the save's
// caller (the CLI) must not say the user is out when they are not.
func CloseUser(ctx context.Context, app core.App, id string) {
	Close(app, func(auth *core.Record) bool {
		return auth.Id == id && auth.Collection().Name == access.CollectionNameUsers
	})
	if t := TierOf(app); t != nil {
		if err := t.Disconnect(id); err != nil {
			if report, ok := ctx.Value(closeReportKey{}).(*closeReport); ok {
				report.add(err)
			}
		}
	}
}

type closeReportKey struct{}

type closeReport struct {
	mu   sync.Mutex
	errs []error
}

func (r *closeReport) add(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

// ErrTierNotClosed wraps WithCloseReport's failures.
var ErrTierNotClosed = errors.New("the user's live connections on the realtime tier could not be closed")

// WithCloseReport returns ctx carrying a report of the tier disconnects
// that fail in CloseUser during a save made with it (app.SaveWithContext),
// and the function that reads it after the save: nil when none failed,
// else an error wrapping ErrTierNotClosed and the causes.
func WithCloseReport(ctx context.Context) (context.Context, func() error) {
	r := &closeReport{}
	return context.WithValue(ctx, closeReportKey{}, r), func() error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.errs) == 0 {
			return nil
		}
		return fmt.Errorf("%w (%w)", ErrTierNotClosed, errors.Join(r.errs...))
	}
}

// tierMessage is one distinct payload of an event and its tier recipients.
type tierMessage struct {
	users []string
	topic string
	data  []byte
}

// prepareTier decides and encodes ev for the tier's candidate readers:
// the same verdict as the SSE subscribers get under the record's own topic
// (ViewRule), and the same payloads (shared with them through payloads).
func prepareTier(app core.App, ev Event, verdict func(*core.RequestInfo, *string) Verdict, payloads *payloads,
	payloadKey func(*core.RequestInfo) string) []tierMessage {
	s := tierStateOf(app)
	if s == nil {
		return nil
	}
	c := ev.Record.Collection()
	topic := c.Name + "/" + ev.Record.Id
	var ids []string
	switch a := s.audiences[c.Name]; {
	case a != nil:
		ids = a(app, ev.Record)
	case slices.Contains(sharedCollections, c.Name):
		ids = s.tier.Followers(topic, c.Name+"/*")
	default:
		return nil // the tier does not carry the collection (TierTopics)
	}
	users := s.recipients.get(app, ids)
	if len(users) == 0 {
		return nil
	}
	byKey := map[string]*tierMessage{}
	var out []tierMessage
	var order []string
	for _, u := range users {
		info := &core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: http.MethodGet, Auth: u}
		v := verdict(info, c.ViewRule)
		if v == Skip {
			continue
		}
		key, data := "gone", ev.Gone
		if v == Send {
			key = payloadKey(info)
			e := payloads.entry(key)
			e.once.Do(func() { e.data = encode(app, ev, info) })
			data = e.data
		}
		if data == nil {
			continue // nothing they see changed
		}
		m := byKey[key]
		if m == nil {
			m = &tierMessage{topic: topic, data: data}
			byKey[key] = m
			order = append(order, key)
		}
		m.users = append(m.users, u.Id)
	}
	for _, key := range order {
		out = append(out, *byKey[key])
	}
	return out
}

// publishTier sends a non-record topic's payloads to its candidate readers
// on the tier (Publish's decision, unchanged), one broadcast per distinct
// payload.
func publishTier(app core.App, topic string, payload func(auth *core.Record) []byte) {
	s := tierStateOf(app)
	if s == nil {
		return
	}
	var ids []string
	for prefix, a := range s.topics {
		if strings.HasPrefix(topic, prefix) {
			ids = a(app, topic)
			break
		}
	}
	var payloads [][]byte
	var users [][]string // the users of payloads[i]
	for _, u := range s.recipients.get(app, ids) {
		data := payload(u)
		if data == nil {
			continue
		}
		i := slices.IndexFunc(payloads, func(p []byte) bool { return bytes.Equal(p, data) })
		if i < 0 {
			i = len(payloads)
			payloads, users = append(payloads, data), append(users, nil)
		}
		users[i] = append(users[i], u.Id)
	}
	for i, data := range payloads {
		s.tier.Send(users[i], topic, data)
	}
}

// recipients holds the users records the tier's decisions read, by id:
// every event of a collection with an Audience is decided for each
// candidate, whether connected or not, and a chat message of 1,000 members
// loaded 1,000 users records to do it — half of the server's CPU under
// S5's load on the tier, which then delivered seconds late (measured
// 2026-12-06: p99 3.5–3.8 s against 35 ms without the tier). A record
// stays until its user is saved or deleted here or by another process
// (OnUserSavedElsewhere), as an SSE client's auth does; the records are
// shared and only read.
type recipients struct {
	mu    sync.Mutex
	gen   uint64 // moves on at every forget: a load that began before keeps nothing
	users map[string]recipient
}

// recipient is a held users record, whether it is banned read once.
type recipient struct {
	user   *core.Record
	banned bool
}

// maxRecipients bounds the records kept (about 2.2 KB each, measured:
// 44 MB at most); past it the cache starts over.
const maxRecipients = 20_000

// get returns the users records of ids that exist and are not banned (a
// banned user is never a recipient), loading the ones not held in one
// query.
func (c *recipients) get(app core.App, ids []string) []*core.Record {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == "" })
	if len(ids) == 0 {
		return nil
	}
	users := make([]*core.Record, 0, len(ids))
	var missing []string
	c.mu.Lock()
	gen := c.gen
	for _, id := range ids {
		switch r, ok := c.users[id]; {
		case !ok:
			missing = append(missing, id)
		case !r.banned:
			users = append(users, r.user)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return users
	}
	records, err := app.FindRecordsByIds(access.CollectionNameUsers, missing)
	if err != nil {
		app.Logger().Warn("realtime: loading the tier's recipients failed", slog.String("error", err.Error()))
	}
	loaded := make([]recipient, len(records))
	for i, u := range records {
		loaded[i] = recipient{user: u, banned: u.GetBool("banned")}
		if !loaded[i].banned {
			users = append(users, u)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		if len(c.users)+len(loaded) > maxRecipients {
			clear(c.users)
		}
		for _, r := range loaded {
			c.users[r.user.Id] = r
		}
	}
	return users
}

// forget drops the record of user id.
func (c *recipients) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.users, id)
}

// forgetAll drops every record (the users collection changed).
func (c *recipients) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.users)
}

// typingPrefix starts a chat's typing topic (chat.TypingTopic). Its shared
// channel carries nothing: a client on the tier follows it to say it has
// the chat open (Followers; chat.Watching spares it the notification).
const typingPrefix = "chat_typing/"

// sharedCollections are the collections followed through the tier's
// shared channels (MayFollow): any number of readers, no Audience.
var sharedCollections = []string{access.CollectionNameBoards, access.CollectionNameComments, access.CollectionNamePosts}

// TierTopics tells clients what the tier carries: the collections whose
// events reach personal channels unasked (an Audience), those followed
// through shared channels, and the prefixes of the other topics it
// carries. Everything else (presence, users, filtered subscriptions…)
// stays on SSE.
func TierTopics(app core.App) (personal, shared, topics []string) {
	s := tierStateOf(app)
	if s == nil {
		return nil, nil, nil
	}
	for name := range s.audiences {
		personal = append(personal, name)
	}
	for prefix := range s.topics {
		topics = append(topics, prefix)
	}
	slices.Sort(personal)
	slices.Sort(topics)
	return personal, slices.Clone(sharedCollections), topics
}

// defaultAudiences are the candidate readers of the records Madang's live
// views follow per user; collections without one (posts, boards,
// comments: any number of readers) reach the tier's shared channels'
// followers (Tier.Followers).
var defaultAudiences = map[string]Audience{
	"notifications":                   ownerAudience,
	access.CollectionNameAILogs:       ownerAudience,
	access.CollectionNameChats:        chatAudience,
	access.CollectionNameChatSessions: sessionAudience,
}

// ownerAudience: the record's "user".
func ownerAudience(_ core.App, r *core.Record) []string { return []string{r.GetString("user")} }

// sessionAudience: a chat session's members and owner, and the admins
// (staff read support sessions; the rule says which).
func sessionAudience(app core.App, session *core.Record) []string {
	ids := append(session.GetStringSlice("members"), session.GetString("owner"))
	var admins []string
	_ = app.DB().Select("id").From(access.CollectionNameUsers).
		Where(dbx.HashExp{"role": access.RoleAdmin, "banned": false}).Column(&admins)
	return append(ids, admins...)
}

// chatAudience: the audience of the message's session.
func chatAudience(app core.App, message *core.Record) []string {
	session, err := app.FindRecordById(access.CollectionNameChatSessions, message.GetString("session"))
	if err != nil {
		return nil
	}
	return sessionAudience(app, session)
}

// sessionTopicAudience: "chat_typing/ID", "chat_presence/ID" → the session's.
func sessionTopicAudience(app core.App, topic string) []string {
	_, id, _ := strings.Cut(topic, "/")
	session, err := app.FindRecordById(access.CollectionNameChatSessions, id)
	if err != nil {
		return nil
	}
	return sessionAudience(app, session)
}

// MayFollow tells whether auth may follow topic through the tier's shared
// channels (Centrifugo's subscribe proxy asks): a record topic
// ("posts/ID") whose ViewRule lets auth read the record now, or a
// collection topic ("posts/*") whose ListRule is open to users at all —
// the rules SSE delivery puts every event to, and every event to a
// follower is still put to them (prepareTier), so a follower who loses
// the record gets nothing more. Collections with an Audience, and topics
// that are not a record's, are delivered on personal channels only; a
// chat's typing topic may be followed by who may read the session, as a
// sign that they have it open (typingPrefix).
func MayFollow(app core.App, topic string, auth *core.Record) bool {
	if access.UserOf(auth) == nil || auth.GetBool("banned") {
		return false
	}
	name, id, ok := strings.Cut(topic, "/")
	if !ok || id == "" {
		return false
	}
	info := &core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: http.MethodGet, Auth: auth}
	if name+"/" == typingPrefix { // who has a chat open (Followers): who may read the session
		name = access.CollectionNameChatSessions
	} else if !slices.Contains(sharedCollections, name) {
		return false
	}
	c, err := app.FindCachedCollectionByNameOrId(name)
	if err != nil || c.Name != name {
		return false
	}
	if id == "*" {
		return name != access.CollectionNameChatSessions && c.ListRule != nil
	}
	// one query, the record's id and the view rule together, as a view
	// asks: a record that exists and one that does not answer alike, in
	// time too (until 2026-12-07 the record was read first, and a
	// forbidden one cost a second query a client could time)
	probe := core.NewRecord(c)
	probe.Id = id
	ok, _ = app.CanAccessRecord(probe, info, c.ViewRule)
	return ok
}
