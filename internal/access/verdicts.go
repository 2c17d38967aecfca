package access

import (
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ganigeorgiev/fexpr"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/list"
)

// One record event, many readers: a comment's new counters reach every
// member following the board (`posts/*`), and the posts rule was run for
// each of them, one SQL query each (about 0.13 ms): 2,000 members online
// and 3 comments a second were 6,000 queries a second, both cores of the
// load benchmark's ceiling. Yet the rule asks the same of most of them: a
// member, no granted boards, blocking nobody, not the post's writer.
//
// Verdicts runs the rule once for each class of an event's readers whose
// requests the rule cannot tell apart, and gives every reader of the
// class that answer. What a rule can tell is read off its own text with
// PocketBase's parser, and the values as PocketBase's resolver reads them:
//   - the @request.auth fields it names: id, collectionId, collectionName,
//     email, emailVisibility and verified from the request's auth record,
//     every other (role, a relation and what it leads to) from the auth
//     collection's stored row, which PocketBase joins by the requester's
//     id — so by that row's value;
//   - @request.query, .headers and .body, by their values, when it names
//     them; the request's context and method always;
//   - the requester's id: by its value, unless the rule only ever compares
//     it with =, !=, ?= or ?!= to a quoted text or to a text, relation,
//     select, email or URL field of the record or of a record it leads to
//     through single relations (`author = @request.auth.id`, `post.author
//     = @request.auth.id`, `@request.auth.id != ""`). Then all the rule
//     sees of an id is whether it equals one of those values, and every id
//     that equals none of them, as stored when first asked or in the
//     event's record, falls in one class.
//
// The first reader of a class is asked as PocketBase asks
// (app.CanAccessRecord); if their stored row or the record's compared
// fields changed between the class's forming and the answer's first
// reuse, the answer is theirs alone and every other reader of the class
// is asked alone too. Nothing here decides what a rule allows.
type Verdicts struct {
	app    core.App
	record *core.Record

	mu      sync.Mutex
	rules   []string // the rules asked, by their index in the keys
	answers map[string]*verdict
	rows    map[string]storedRow     // auth collection id + "/" + id → its stored row
	owners  map[string][]string      // a record field compared with ids → its values as stored when first asked
	paths   map[*requestReads]bool   // comparable's answers
	texts   map[*requestReads]string // ownersOf's values of a rule's compared fields, as facts writes them
}

type verdict struct {
	once   sync.Once // the first reader's answer
	ok     bool
	asker  *core.RequestInfo
	reads  *requestReads
	formed string
	check  sync.Once // at its first reuse: does it hold for the class
	shared bool
}

// storedRow is an auth record's stored values of the fields rules join,
// by name; found false when it has no row, failed when it could not be
// read (its reader is then asked alone).
type storedRow struct {
	Found, Failed bool
	Values        map[string]string
}

// NewVerdicts starts the checks of an event of record, as stored in app.
func NewVerdicts(app core.App, record *core.Record) *Verdicts {
	return &Verdicts{app: app, record: record, answers: map[string]*verdict{}, rows: map[string]storedRow{},
		owners: map[string][]string{}, paths: map[*requestReads]bool{}, texts: map[*requestReads]string{}}
}

// CanAccess answers app.CanAccessRecord(record, info, rule), once for the
// readers rule cannot tell apart.
func (v *Verdicts) CanAccess(info *core.RequestInfo, rule *string) bool {
	if rule == nil || *rule == "" || info.HasSuperuserAuth() {
		ok, _ := v.app.CanAccessRecord(v.record, info, rule) // answered without a query
		return ok
	}
	key, formed, reads, ok := v.classOf(info, *rule)
	if !ok {
		ok, _ := v.app.CanAccessRecord(v.record, info, rule)
		return ok
	}
	v.mu.Lock()
	a := v.answers[key]
	if a == nil {
		a = &verdict{}
		v.answers[key] = a
	}
	v.mu.Unlock()
	asked := false
	a.once.Do(func() {
		asked = true
		a.ok, _ = v.app.CanAccessRecord(v.record, info, rule)
		a.asker, a.reads, a.formed = info, reads, formed
	})
	if asked {
		return a.ok
	}
	// The answer holds for the class if what the class was formed from
	// still holds after it: its first reader's stored row, the record's
	// compared fields. Checked at the first reuse, so a class of one costs
	// nothing more.
	a.check.Do(func() {
		now, ok := v.facts(a.asker.Auth, a.reads, v.readRow,
			func(reads *requestReads) string { return ownersText(v.readOwners(reads.idFields), reads.idFields) })
		a.shared = ok && now == a.formed
	})
	if a.shared {
		return a.ok
	}
	ok, _ = v.app.CanAccessRecord(v.record, info, rule)
	return ok
}

// Load reads, in a few queries, the stored rows rules will join for the
// readers auths, ahead of their checks.
func (v *Verdicts) Load(auths []*core.Record, rules ...*string) {
	var joined []string
	for _, rule := range rules {
		if rule == nil || *rule == "" {
			continue
		}
		if reads, ok := requestReadsOf(*rule); ok {
			for _, f := range reads.joined {
				if !slices.Contains(joined, f) {
					joined = append(joined, f)
				}
			}
		}
	}
	if len(joined) == 0 {
		return
	}
	byCollection := map[string][]string{}
	collections := map[string]*core.Collection{}
	for _, auth := range auths {
		if auth == nil || auth.IsSuperuser() {
			continue
		}
		c := auth.Collection()
		collections[c.Id] = c
		byCollection[c.Id] = append(byCollection[c.Id], auth.Id)
	}
	for cid, ids := range byCollection {
		slices.Sort(ids)
		c := collections[cid]
		fields := existing(c, joined)
		for chunk := range slices.Chunk(slices.Compact(ids), 500) {
			rows := v.query(c, chunk, fields)
			v.mu.Lock()
			for _, id := range chunk {
				v.rows[cid+"/"+id] = rows[id]
			}
			v.mu.Unlock()
		}
	}
}

// classOf returns the key of info's class under rule and the facts it was
// formed from; false when the rule's text or the reader's row cannot be
// read (the reader is then asked alone).
func (v *Verdicts) classOf(info *core.RequestInfo, rule string) (string, string, *requestReads, bool) {
	reads, ok := requestReadsOf(rule)
	if !ok {
		return "", "", nil, false
	}
	var key strings.Builder
	write := func(label string, value any) bool {
		data, err := json.Marshal(value) // maps with their keys in order
		key.WriteString("\x00" + label + "=")
		key.Write(data)
		return err == nil
	}
	text := func(label, value string) { // quoted: the key stays unambiguous, without JSON's cost
		key.WriteString("\x00" + label + "=")
		key.WriteString(strconv.Quote(value))
	}
	// the rule's number, not its text: it is long, and the key is made for every reader
	key.WriteString("\x00rule=" + strconv.Itoa(v.ruleIndex(rule)))
	text("context", info.Context)
	text("method", info.Method)
	if reads.request && !(write("query", info.Query) && write("headers", info.Headers) && write("body", info.Body)) {
		return "", "", nil, false
	}
	auth := info.Auth
	formed, ok := v.facts(auth, reads, v.row, v.ownersText)
	if !ok {
		return "", "", nil, false
	}
	key.WriteString("\x00facts=" + formed)
	if auth == nil {
		key.WriteString("\x00guest") // every @request.auth field is NULL
		return key.String(), formed, reads, true
	}
	text("collection", auth.Collection().Id)
	if slices.ContainsFunc(reads.joined, func(n string) bool { return auth.Collection().Fields.GetByName(n) == nil }) {
		// a name that is no field of the auth collection: a back-relation
		// (`posts_via_author`), which PocketBase joins by the requester's id
		text("id", auth.Id)
	}
	for _, name := range reads.plain {
		if !write(name, auth.Get(name)) {
			return "", "", nil, false
		}
	}
	if reads.id {
		if !reads.idByValue || !v.comparable(reads) || v.named(auth.Id, reads) {
			text("id", auth.Id)
		} else {
			key.WriteString("\x00id*") // an id the rule finds nowhere
		}
	}
	return key.String(), formed, reads, true
}

// ruleIndex numbers the rule texts asked in this event.
func (v *Verdicts) ruleIndex(rule string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := slices.Index(v.rules, rule)
	if i < 0 {
		i = len(v.rules)
		v.rules = append(v.rules, rule)
	}
	return i
}

// facts is what an answer for auth is read from besides the request: its
// stored row's joined fields and, when the rule compares ids with them,
// the record's fields, through row and owners (cached or read now), as
// one unambiguous text: JSON cost a fifth of the classing's CPU for 5,000
// readers, most of it the record's compared values, the same for every
// reader and now written once per event (ownersText).
func (v *Verdicts) facts(auth *core.Record, reads *requestReads,
	row func(*core.Record, []string) storedRow, owners func(*requestReads) string) (string, bool) {
	var b strings.Builder
	if auth != nil && len(reads.joined) > 0 {
		fields := existing(auth.Collection(), reads.joined)
		r := row(auth, fields)
		if r.Failed {
			return "", false
		}
		b.WriteString("row=" + strconv.FormatBool(r.Found))
		for _, f := range fields { // this rule's fields only, in its order
			b.WriteString(" " + strconv.Quote(r.Values[f]))
		}
	}
	if auth != nil && reads.id && reads.idByValue && v.comparable(reads) {
		b.WriteString(" owners=" + owners(reads))
	}
	return b.String(), true
}

// ownersText is ownersOf's values of the fields reads compares ids with,
// written once per rule and event.
func (v *Verdicts) ownersText(reads *requestReads) string {
	return remember(v, v.texts, reads, func() string { return ownersText(v.ownersOf(reads.idFields), reads.idFields) })
}

// remember returns m's value for reads, worked out by work at its first
// ask in this event (outside the lock: work may read).
func remember[T any](v *Verdicts, m map[*requestReads]T, reads *requestReads, work func() T) T {
	v.mu.Lock()
	value, ok := m[reads]
	v.mu.Unlock()
	if ok {
		return value
	}
	value = work()
	v.mu.Lock()
	m[reads] = value
	v.mu.Unlock()
	return value
}

// ownersText writes the values of fields, in their order, each quoted.
func ownersText(owners map[string][]string, fields []string) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(strconv.Quote(f) + ":" + strconv.Itoa(len(owners[f])))
		for _, value := range owners[f] {
			b.WriteString(" " + strconv.Quote(value))
		}
		b.WriteString(";")
	}
	return b.String()
}

// comparable tells whether every field the rule compares ids with holds
// ids as they stand (pathOf); worked out once per rule and event, not for
// each reader.
func (v *Verdicts) comparable(reads *requestReads) bool {
	return remember(v, v.paths, reads, func() bool {
		return !slices.ContainsFunc(reads.idFields, func(name string) bool { _, _, ok := v.pathOf(name); return !ok })
	})
}

// pathOf resolves name — a field of the record, or a path through single
// relations to a field of another record (`post.author`) — to its names
// and the collection of each; false unless every step but the last is a
// single relation and the last is a text (an id among them), relation,
// select, email or URL field: a field whose stored text the rule's
// comparison reads as it is.
func (v *Verdicts) pathOf(name string) ([]string, []*core.Collection, bool) {
	names := strings.Split(name, ".")
	c := v.record.Collection()
	collections := []*core.Collection{c}
	for i, n := range names {
		f := c.Fields.GetByName(n)
		if i == len(names)-1 {
			switch f.(type) {
			case *core.TextField, *core.RelationField, *core.SelectField, *core.EmailField, *core.URLField:
				return names, collections, true
			}
			return nil, nil, false
		}
		rel, ok := f.(*core.RelationField)
		if !ok || rel.IsMultiple() {
			return nil, nil, false
		}
		next, err := v.app.FindCachedCollectionByNameOrId(rel.CollectionId)
		if err != nil {
			return nil, nil, false
		}
		c = next
		collections = append(collections, c)
	}
	return nil, nil, false
}

// unread stands for a value that could not be read: an id it is compared
// with is asked alone (named).
const unread = "\x00unread"

// named tells whether id is — to the letter or but for case: a field may
// compare without it — one of the rule's texts or a value of its compared
// fields, as stored when first asked (and, for a path, reached from the
// event's record too).
func (v *Verdicts) named(id string, reads *requestReads) bool {
	same := func(s string) bool { return s == unread || strings.EqualFold(s, id) }
	if slices.ContainsFunc(reads.idTexts, same) {
		return true
	}
	stored := v.ownersOf(reads.idFields)
	for _, name := range reads.idFields {
		if slices.ContainsFunc(stored[name], same) {
			return true
		}
	}
	return false
}

// ownersOf returns the compared fields' values as stored when first asked
// in this event.
func (v *Verdicts) ownersOf(fields []string) map[string][]string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var missing []string
	for _, f := range fields {
		if _, ok := v.owners[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		for f, values := range v.readOwners(missing) {
			v.owners[f] = values
		}
	}
	out := make(map[string][]string, len(fields))
	for _, f := range fields {
		out[f] = v.owners[f]
	}
	return out
}

// readOwners reads the compared fields' values as stored now — the rule
// reads the stored rows, which a later save may have changed — with the
// event's own values: a field of the record as the event has it, a path
// followed from the event's first relation as well as from the stored one.
func (v *Verdicts) readOwners(fields []string) map[string][]string {
	out := map[string][]string{}
	for _, name := range fields {
		names, collections, ok := v.pathOf(name)
		if !ok {
			out[name] = []string{unread}
			continue
		}
		values := slices.Clone(v.record.GetStringSlice(names[0]))
		first, err := v.storedValue(collections[0], v.record.Id, names[0])
		if err != nil {
			values = append(values, unread)
		}
		values = append(values, first...)
		if len(names) > 1 {
			starts := slices.Compact(slices.Sorted(slices.Values(values)))
			values = nil
			for _, start := range starts {
				values = append(values, v.follow(names[1:], collections[1:], start)...)
			}
		}
		out[name] = values
	}
	return out
}

// follow reads names along collections from the record id of the first:
// the values of the last name, as stored; none when a record on the way
// is missing (the rule's join finds nothing either).
func (v *Verdicts) follow(names []string, collections []*core.Collection, id string) []string {
	if id == unread {
		return []string{unread}
	}
	for i, n := range names {
		if id == "" {
			return nil
		}
		values, err := v.storedValue(collections[i], id, n)
		switch {
		case err != nil:
			return []string{unread}
		case i == len(names)-1:
			return values
		case len(values) == 0:
			return nil
		}
		id = values[0]
	}
	return nil
}

// storedValue reads field of the stored record id of c: its values (a
// list's items, or the one value); none when there is no such record.
func (v *Verdicts) storedValue(c *core.Collection, id, field string) ([]string, error) {
	row := dbx.NullStringMap{}
	err := v.app.DB().Select("[[" + field + "]]").From(c.Name).Where(dbx.HashExp{"id": id}).Limit(1).One(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return list.ToUniqueStringSlice(row[field].String), nil // a list's items, or the one value
}

// row returns auth's stored values of fields, read once per event.
func (v *Verdicts) row(auth *core.Record, fields []string) storedRow {
	key := auth.Collection().Id + "/" + auth.Id
	v.mu.Lock()
	r, ok := v.rows[key]
	v.mu.Unlock()
	if ok && r.has(fields) {
		return r
	}
	r = v.readRow(auth, fields)
	v.mu.Lock()
	v.rows[key] = r
	v.mu.Unlock()
	return r
}

func (r storedRow) has(fields []string) bool {
	if !r.Found {
		return !r.Failed
	}
	for _, f := range fields {
		if _, ok := r.Values[f]; !ok {
			return false
		}
	}
	return true
}

// readRow reads auth's stored values of fields now.
func (v *Verdicts) readRow(auth *core.Record, fields []string) storedRow {
	return v.query(auth.Collection(), []string{auth.Id}, fields)[auth.Id]
}

// query reads fields of the auth collection c's rows ids; an id without a
// row gets Found false, and every id Failed when the read fails.
func (v *Verdicts) query(c *core.Collection, ids, fields []string) map[string]storedRow {
	out := make(map[string]storedRow, len(ids))
	var rows []dbx.NullStringMap
	err := v.app.DB().Select(append([]string{"id"}, quoted(fields)...)...).From(c.Name).
		Where(dbx.In("id", list.ToInterfaceSlice(ids)...)).All(&rows)
	if err != nil {
		for _, id := range ids {
			out[id] = storedRow{Failed: true}
		}
		return out
	}
	for _, row := range rows {
		values := make(map[string]string, len(fields))
		for _, f := range fields {
			values[f] = row[f].String
		}
		out[row["id"].String] = storedRow{Found: true, Values: values}
	}
	return out
}

// existing keeps the names of fields c has: a rule naming another reads
// NULL for everyone.
func existing(c *core.Collection, names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return c.Fields.GetByName(n) == nil })
}

// quoted wraps column names for dbx: a field named like a keyword stays a
// column.
func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "[[" + n + "]]"
	}
	return out
}

// requestReads is what a rule reads of the request.
type requestReads struct {
	plain     []string // @request.auth fields PocketBase reads off the auth record, but the id
	joined    []string // @request.auth fields it joins the stored row for, by their first name
	id        bool     // the requester's id
	idByValue bool     // only compared with idFields and idTexts (=, !=, ?=, ?!=)
	idFields  []string
	idTexts   []string
	request   bool // @request.query, .headers or .body
}

// plainAuthFields are the @request.auth identifiers PocketBase's resolver
// reads off the request's auth record (core's plainRequestAuthFields);
// every other joins the auth collection's row by the requester's id.
var plainAuthFields = []string{"collectionId", "collectionName", "email", "emailVisibility", "verified"}

var requestReadsByRule sync.Map // rule text → *requestReads (nil: unreadable)

// requestReadsOf parses rule once per text.
func requestReadsOf(rule string) (*requestReads, bool) {
	if r, ok := requestReadsByRule.Load(rule); ok {
		reads, _ := r.(*requestReads)
		return reads, reads != nil
	}
	groups, err := fexpr.Parse(rule)
	var reads *requestReads
	if err == nil {
		reads = &requestReads{idByValue: true}
		if !reads.walk(groups) {
			reads = nil
		}
	}
	requestReadsByRule.Store(rule, reads)
	return reads, reads != nil
}

// walk notes what groups read; false when it cannot tell.
func (r *requestReads) walk(groups []fexpr.ExprGroup) bool {
	for _, g := range groups {
		switch item := g.Item.(type) {
		case fexpr.Expr:
			if !r.expr(item) {
				return false
			}
		case fexpr.ExprGroup:
			if !r.walk([]fexpr.ExprGroup{item}) {
				return false
			}
		case []fexpr.ExprGroup:
			if !r.walk(item) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

const requesterID = "@request.auth.id"

// expr notes what the two sides of e read; false for what it cannot tell
// (a function of the request).
func (r *requestReads) expr(e fexpr.Expr) bool {
	for _, side := range [][2]fexpr.Token{{e.Left, e.Right}, {e.Right, e.Left}} {
		t, other := side[0], side[1]
		switch t.Type {
		case fexpr.TokenFunction:
			args, _ := t.Meta.([]fexpr.Token)
			for _, a := range args {
				if strings.HasPrefix(a.Literal, "@request.") {
					return false
				}
			}
			continue
		case fexpr.TokenIdentifier:
		default:
			continue
		}
		name, ok := strings.CutPrefix(t.Literal, "@request.")
		if !ok {
			continue
		}
		field, isAuth := strings.CutPrefix(name, "auth.")
		switch {
		case !isAuth:
			r.request = true // query, headers, body (context and method are always in the key)
		case t.Literal == requesterID:
			r.id = true
			r.idCompared(e.Op, other)
		case slices.Contains(plainAuthFields, field):
			if !slices.Contains(r.plain, field) {
				r.plain = append(r.plain, field)
			}
		default:
			first, _, _ := strings.Cut(field, ".")
			first, _, _ = strings.Cut(first, ":")
			if first == "id" {
				r.id, r.idByValue = true, false // the id with a modifier or a path
			} else if !slices.Contains(r.joined, first) {
				r.joined = append(r.joined, first)
			}
		}
	}
	return true
}

// idCompared notes a comparison op of the requester's id with other.
func (r *requestReads) idCompared(op fexpr.SignOp, other fexpr.Token) {
	switch {
	case op != fexpr.SignEq && op != fexpr.SignNeq && op != fexpr.SignAnyEq && op != fexpr.SignAnyNeq:
		r.idByValue = false
	case other.Type == fexpr.TokenText || other.Type == fexpr.TokenNumber:
		r.idTexts = append(r.idTexts, other.Literal)
	case other.Type == fexpr.TokenIdentifier && plainField(other.Literal):
		if !slices.Contains(r.idFields, other.Literal) {
			r.idFields = append(r.idFields, other.Literal)
		}
	default:
		r.idByValue = false
	}
}

// plainField tells whether name may be a field of the record or a path
// to one, with no modifier or macro (`author`, `post.author`, not
// `author:lower` or `@collection.…`); comparable then checks that it is.
func plainField(name string) bool {
	return name != "" && !strings.ContainsAny(name, ":@")
}
