package access

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
)

// coveredRelations are the relations a client's filter or sort may follow
// besides relations into collections anyone may view (users' profiles):
// for each, the source collection's read rule includes the target's, so
// whoever lists the source may read what the relation reaches.
//
// PocketBase's list API already applies each joined collection's ListRule,
// but as a condition on the whole row, and not inside its multi-match
// subqueries: a row disappears when its related record is unreadable
// (board.posts_via_board.title > "m" finds a board by its hidden posts),
// and back-relations through private fields sort by them
// (board.users_via_boards.name orders boards by who is granted them).
// TestFiltersAndSortsAreNoOracle finds both on PocketBase alone. So any
// other relation, and every back-relation (x_via_y), is refused.
var coveredRelations = map[string]bool{
	CollectionNamePosts + ".board":    true, // the posts rules include "can read the board"
	CollectionNameComments + ".post":  true, // the comments rules include "can read the post"
	CollectionNamePostLikes + ".post": true, // the likes rules include "can read the post"
	CollectionNameChats + ".session":  true, // the chats rules are "can read the session"
}

var viaRegex = regexp.MustCompile(`^\w+_via_\w+$`)

// Resolver is PocketBase's record field resolver with Madang's client-query
// checks: while restricted, every identifier a filter or sort names is
// checked (CheckField) before PocketBase resolves it. Rules are built
// before Restrict, unrestricted, exactly as PocketBase's list API does.
type Resolver struct {
	*core.RecordFieldResolver
	app        core.App
	collection *core.Collection
	info       *core.RequestInfo
	restricted bool
	crossed    bool // a restricted identifier followed a relation or named @…
}

// NewResolver returns an unrestricted resolver for rules on collection.
func NewResolver(app core.App, collection *core.Collection, info *core.RequestInfo) *Resolver {
	return &Resolver{
		RecordFieldResolver: core.NewRecordFieldResolver(app, collection, info, true),
		app:                 app,
		collection:          collection,
		info:                info,
	}
}

// Restrict switches the resolver to client input: hidden fields only for
// superusers (as PocketBase), and Madang's checks for everyone else.
func (r *Resolver) Restrict() {
	r.SetAllowHiddenFields(r.info.HasSuperuserAuth())
	r.restricted = true
}

// Resolve implements search.FieldResolver.
func (r *Resolver) Resolve(field string) (*search.ResolverResult, error) {
	if r.restricted {
		if err := CheckField(r.app, r.collection, r.info, field); err != nil {
			return nil, err
		}
		r.crossed = r.crossed || strings.Contains(field, ".") || strings.HasPrefix(field, "@")
	}
	return r.RecordFieldResolver.Resolve(field)
}

// CheckField tells whether a client's filter or sort may name field on
// collection: superusers may name anything; others may not name
// @request/@collection (as PocketBase), hidden or private fields they may
// not see, back-relations, or relations outside coveredRelations that lead
// into a collection not everyone may view.
func CheckField(app core.App, collection *core.Collection, info *core.RequestInfo, field string) error {
	if info.HasSuperuserAuth() {
		return nil
	}
	for _, prefix := range []string{"@request.", "@collection."} {
		if strings.HasPrefix(field, prefix) {
			return fmt.Errorf("only superusers can filter by %s", prefix)
		}
	}
	if strings.HasPrefix(field, "@") {
		return nil // date macros such as @now
	}
	c := collection
	parts := strings.Split(field, ".")
	for i, part := range parts {
		name, _, _ := strings.Cut(part, ":") // modifiers: :lower, :each, :length…
		f := c.Fields.GetByName(name)
		if f != nil && (f.GetHidden() || privateFor(c, name, info, nil)) {
			return fmt.Errorf("%s.%s is not visible to you and cannot be filtered or sorted by", c.Name, name)
		}
		if i == len(parts)-1 {
			return nil
		}
		if f == nil {
			if viaRegex.MatchString(name) {
				return fmt.Errorf("filters and sorts cannot follow the back-relation %s: it reaches other people's records", name)
			}
			return nil // PocketBase names the unknown field
		}
		target := relationTarget(app, f)
		if target == nil {
			return nil // a JSON path, or an error PocketBase reports
		}
		public := target.ViewRule != nil && *target.ViewRule == ""
		if !public && !coveredRelations[c.Name+"."+name] {
			return fmt.Errorf("filters and sorts cannot follow %s.%s: the %s it reaches may not be readable to you", c.Name, name, target.Name)
		}
		c = target
	}
	return nil
}

// CheckQuery checks a client's filter and sort on collection (PocketBase's
// list API, Madang's search and realtime subscriptions alike) and answers a
// 400 naming what it refuses.
func CheckQuery(app core.App, collection *core.Collection, info *core.RequestInfo) error {
	if !info.HasSuperuserAuth() {
		// PocketBase's own answer, first, as its list API gives it
		for _, param := range []string{search.FilterQueryParam, search.SortQueryParam} {
			for _, prefix := range []string{"@collection.", "@request."} {
				if strings.Contains(info.Query[param], prefix) {
					return apis.NewForbiddenError("Only superusers can filter by "+prefix, nil)
				}
			}
		}
	}
	if err := listLimitsProblem(info.Query); err != nil {
		return apis.NewBadRequestError(err.Error(), nil)
	}
	if err := queryProblem(app, collection, info); err != nil {
		return apis.NewBadRequestError(err.Error(), nil)
	}
	return nil
}

// listLimitsProblem names a filter or sort past the limits PocketBase's
// list provider applies: it refused them with "Something went wrong while
// processing your request.", and only after the filter had been parsed
// here (a 20,000-character filter, 2,000 sort fields).
func listLimitsProblem(query map[string]string) error {
	if n := len(query[search.FilterQueryParam]); n > search.MaxFilterLength {
		return fmt.Errorf("Invalid filter: it is %d bytes long; at most %d are allowed.", n, search.MaxFilterLength)
	}
	sorts := search.ParseSortFromString(query[search.SortQueryParam])
	if len(sorts) > search.DefaultSortExprLimit {
		return fmt.Errorf("Invalid sort: it names %d fields; sort by at most %d.", len(sorts), search.DefaultSortExprLimit)
	}
	for _, s := range sorts {
		if len(s.Name) > search.MaxSortFieldLength {
			return fmt.Errorf("Invalid sort: a field name of %d bytes; at most %d are allowed.", len(s.Name), search.MaxSortFieldLength)
		}
	}
	return nil
}

func queryProblem(app core.App, collection *core.Collection, info *core.RequestInfo) error {
	filter, sort := info.Query[search.FilterQueryParam], info.Query[search.SortQueryParam]
	if filter == "" && sort == "" {
		return nil
	}
	r := NewResolver(app, collection, info)
	r.Restrict()
	if filter != "" {
		if _, err := search.FilterData(filter).BuildExpr(r); err != nil {
			return fmt.Errorf("Invalid filter: %w.", err)
		}
	}
	if sort == "" {
		return nil
	}
	for _, s := range search.ParseSortFromString(sort) {
		if _, err := s.BuildExpr(r); err != nil {
			return fmt.Errorf("Invalid sort: %w.", err)
		}
		if err := sortLeavesOut(app, collection, info, s.Name); err != nil {
			return fmt.Errorf("Invalid sort: %w.", err)
		}
	}
	return nil
}

// sortLeavesOut refuses a sort that would drop records instead of ordering
// them. A sort that follows a relation makes PocketBase join the related
// collection under its ListRule, as a condition on the whole row (see
// coveredRelations): posts sorted by author.name came back without every
// post whose author the requester may not list — for members, every post
// with an author — under a 200. A filter there means "those whose author
// matches", and selects nothing, as documented; a sort has no such reading.
// So a sort may follow a relation only where the filter may and the
// target's list is open to all, or the relation is covered.
func sortLeavesOut(app core.App, collection *core.Collection, info *core.RequestInfo, field string) error {
	if info.HasSuperuserAuth() || strings.HasPrefix(field, "@") {
		return nil
	}
	c := collection
	parts := strings.Split(field, ".")
	for _, part := range parts[:len(parts)-1] {
		name, _, _ := strings.Cut(part, ":")
		target := relationTarget(app, c.Fields.GetByName(name))
		if target == nil {
			return nil
		}
		listed := target.ListRule != nil && *target.ListRule == ""
		if !listed && !coveredRelations[c.Name+"."+name] {
			return fmt.Errorf("sorts cannot follow %s.%s: the %s list is not open to all, and the sort would leave out the records it may not show you; sort by %s itself",
				c.Name, name, target.Name, name)
		}
		c = target
	}
	return nil
}

// relationTarget is the collection relation field f points to; nil when f
// is not a relation (or its target is gone).
func relationTarget(app core.App, f core.Field) *core.Collection {
	rel, ok := f.(*core.RelationField)
	if !ok {
		return nil
	}
	target, err := app.FindCachedCollectionByNameOrId(rel.CollectionId)
	if err != nil {
		return nil
	}
	return target
}

// Where narrows q to the records of collection that rule lets info reach,
// as PocketBase applies a rule (superusers pass every rule, a nil rule is
// superusers-only). It returns false when info may reach none.
func Where(app core.App, collection *core.Collection, rule *string, info *core.RequestInfo, q *dbx.SelectQuery) (bool, error) {
	if info.HasSuperuserAuth() {
		return true, nil
	}
	if rule == nil {
		return false, nil
	}
	if *rule == "" {
		return true, nil
	}
	r := NewResolver(app, collection, info)
	expr, err := search.FilterData(*rule).BuildExpr(r)
	if err != nil {
		return false, fmt.Errorf("building the %s rule: %w", collection.Name, err)
	}
	q.AndWhere(expr)
	return true, r.UpdateQuery(q)
}

// List answers a list request on collection exactly as PocketBase's
// GET /api/collections/{collection}/records does — the ListRule, the
// client's filter, sort, page, perPage and skipTotal through CheckQuery's
// checks, then expand and enrich — on the records narrow keeps (a route's
// own conditions, e.g. search's words). params are the client's query.
func List(e *core.RequestEvent, collection *core.Collection, narrow func(*dbx.SelectQuery), params url.Values) (*search.Result, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return nil, apis.NewBadRequestError("", err)
	}
	if collection.ListRule == nil && !info.HasSuperuserAuth() {
		return nil, apis.NewForbiddenError("Only superusers can perform this action.", nil)
	}
	if err := CheckPaging(info.Query); err != nil {
		return nil, err
	}
	if err := CheckQuery(e.App, collection, info); err != nil {
		return nil, err
	}
	query := e.App.RecordQuery(collection)
	r := NewResolver(e.App, collection, info)
	if !info.HasSuperuserAuth() && *collection.ListRule != "" {
		expr, err := search.FilterData(*collection.ListRule).BuildExpr(r)
		if err != nil {
			return nil, fmt.Errorf("building the %s list rule: %w", collection.Name, err)
		}
		query.AndWhere(expr)
	}
	if narrow != nil {
		narrow(query)
	}
	r.Restrict()
	records := []*core.Record{}
	result, err := search.NewProvider(r).Query(query).CountCol("_rowid_").
		ParseAndExec(params.Encode(), &records)
	if err != nil {
		return nil, apis.NewBadRequestError("", err)
	}
	if err := apis.EnrichRecords(e, records); err != nil {
		return nil, err
	}
	return result, nil
}

// checkListQuery is the router middleware that puts PocketBase's own list
// API under CheckQuery, so a filter or sort refused on search or realtime
// is refused there too, with the same answer.
func checkListQuery(e *core.RequestEvent) error {
	if e.Request.Method != http.MethodGet {
		return e.Next()
	}
	name, ok := listedCollection(e.Request.URL.Path)
	if !ok {
		return e.Next()
	}
	collection, err := e.App.FindCachedCollectionByNameOrId(name)
	if err != nil {
		return e.Next() // PocketBase answers 404
	}
	info, err := e.RequestInfo()
	if err != nil {
		return e.Next()
	}
	if err := CheckPaging(info.Query); err != nil {
		return err
	}
	if err := CheckQuery(e.App, collection, info); err != nil {
		return err
	}
	return e.Next()
}

// MaxPage is the highest page a list answers: PocketBase skips
// perPage × (page − 1) rows, and past about 9.2 × 10¹⁵ (perPage at its
// 1,000) that product wraps around to a negative offset, which SQLite reads
// as none. Until 2026-12-07 page=9223372036854775807 answered the first
// page, labelled as that page (a paging client could loop forever). A
// billion pages of 1,000 is past any table this server holds.
const MaxPage = 1_000_000_000

// CheckPaging answers a list's page, perPage or skipTotal that PocketBase
// cannot read, and a page past MaxPage, with a 400 naming it; PocketBase's
// own answer was "Something went wrong while processing your request."
func CheckPaging(query map[string]string) error {
	for _, param := range []string{search.PageQueryParam, search.PerPageQueryParam} {
		if raw := query[param]; raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil {
				return apis.NewBadRequestError(fmt.Sprintf("%s must be a whole number, not %q.", param, raw), nil)
			}
			if param == search.PageQueryParam && n > MaxPage {
				return apis.NewBadRequestError(fmt.Sprintf("page must be at most %d, not %s.", MaxPage, raw), nil)
			}
		}
	}
	if raw := query[search.SkipTotalQueryParam]; raw != "" {
		if _, err := strconv.ParseBool(raw); err != nil {
			return apis.NewBadRequestError(fmt.Sprintf("%s must be true or false (or 1 or 0), not %q.", search.SkipTotalQueryParam, raw), nil)
		}
	}
	return nil
}

var listPath = regexp.MustCompile(`^/api/collections/([^/]+)/records/?$`)

func listedCollection(path string) (string, bool) {
	m := listPath.FindStringSubmatch(path)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// Matcher answers realtime subscriptions' filters for one record event,
// running each filter once per event where the answer is the same for
// every requester. A filter on the record's own fields is; one that
// follows a relation is not, even past CheckField, because PocketBase
// applies each joined collection's ListRule for the requester (an author's
// name matches for an admin, never for a member, who may not list users),
// so its answer is kept per requester.
type Matcher struct {
	app     core.App
	record  *core.Record
	shared  map[string]bool // filter → answer, for filters on own fields
	answers map[string]bool // requester + filter → answer
}

// NewMatcher returns a Matcher for record.
func NewMatcher(app core.App, record *core.Record) *Matcher {
	return &Matcher{app: app, record: record, shared: map[string]bool{}, answers: map[string]bool{}}
}

// Match tells whether record passes info's subscription filter (none: yes).
func (m *Matcher) Match(info *core.RequestInfo) bool {
	filter := info.Query[search.FilterQueryParam]
	if filter == "" {
		return true
	}
	if ok, found := m.shared[filter]; found && !info.HasSuperuserAuth() {
		return ok
	}
	key := requesterKey(info) + "\x00" + filter
	if ok, found := m.answers[key]; found {
		return ok
	}
	ok, ownFields := m.match(info, filter)
	if ownFields && !info.HasSuperuserAuth() {
		m.shared[filter] = ok
	} else {
		m.answers[key] = ok
	}
	return ok
}

func requesterKey(info *core.RequestInfo) string {
	if info.Auth == nil {
		return "guest"
	}
	return info.Auth.Collection().Name + "/" + info.Auth.Id
}

// match runs filter for record as info, and tells whether it named only the
// record's own fields.
func (m *Matcher) match(info *core.RequestInfo, filter string) (ok, ownFields bool) {
	c := m.record.Collection()
	r := NewResolver(m.app, c, info)
	r.Restrict()
	expr, err := search.FilterData(filter).BuildExpr(r)
	if err != nil {
		return false, false
	}
	q := m.app.ConcurrentDB().Select("(1)").From(c.Name).AndWhere(dbx.HashExp{c.Name + ".id": m.record.Id}).AndWhere(expr)
	if err := r.UpdateQuery(q); err != nil {
		return false, false
	}
	var exists int
	return q.Limit(1).Row(&exists) == nil && exists > 0, !r.crossed
}
