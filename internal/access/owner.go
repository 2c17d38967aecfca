package access

import (
	"sync"

	"github.com/ganigeorgiev/fexpr"
	"github.com/pocketbase/pocketbase/core"
)

// A rule that lets a record be seen by one requester at most — a
// notification's, a read mark's, a block's, a bookmark's: `user =
// @request.auth.id && …` — refuses everyone else before anything else it
// says is asked. A record event of such a collection is checked against
// the rule for every subscriber to the collection (one SQL query each): a
// comment's notification, followed by the bell of every member online, ran
// 2,000 queries at 2,000 members (the load benchmark's ceiling) to find
// the one who may see it. Refused answers those 1,999 from the rule's own
// text, parsed by PocketBase's parser: the record's owner field against
// the requester's id, the comparison the rule's SQL would make. The rule
// itself still runs for the requester it does not refuse.

// OwnerField returns the field of collection c that rule requires to hold
// the requester's id, or "" when it requires none. It requires one when a
// comparison `field = @request.auth.id` (either way round) is a term of
// the chain of && at the rule's top, or of such a chain in parentheses
// there: every way through the rule passes it. The field is the record's
// id or a single relation, whose stored text the comparison reads as it is
// (PocketBase compares them with =, an empty value as NULL's equal).
func OwnerField(c *core.Collection, rule string) string {
	for _, name := range requiredComparisons(rule) {
		switch f := c.Fields.GetByName(name).(type) {
		case *core.TextField:
			if f.PrimaryKey {
				return name
			}
		case *core.RelationField:
			if !f.IsMultiple() {
				return name
			}
		}
	}
	return ""
}

// requiredComparisons returns the names rule compares with
// @request.auth.id by = in a required term, parsed once per rule text.
// The fields they name are looked up on each call: a field made a multiple
// relation since names no owner.
func requiredComparisons(rule string) []string {
	if names, ok := comparisons.Load(rule); ok {
		return names.([]string)
	}
	var names []string
	if groups, err := fexpr.Parse(rule); err == nil {
		names = required(groups, nil)
	}
	comparisons.Store(rule, names)
	return names
}

// comparisons holds requiredComparisons' answers by rule text. Rules
// change only with a collection's schema (a migration or the dashboard),
// so the texts ever asked about are few.
var comparisons sync.Map // string → []string

// required appends to names the identifiers compared with
// @request.auth.id among the terms of groups, when they form a chain of &&
// (none otherwise), and in such chains in parentheses among them.
func required(groups []fexpr.ExprGroup, names []string) []string {
	for i, g := range groups {
		if i > 0 && g.Join != fexpr.JoinAnd {
			return names // an || at this level: no term is required
		}
	}
	for _, g := range groups {
		switch item := g.Item.(type) {
		case fexpr.Expr:
			if name := comparedWithRequester(item); name != "" {
				names = append(names, name)
			}
		case fexpr.ExprGroup:
			names = required([]fexpr.ExprGroup{item}, names)
		case []fexpr.ExprGroup:
			names = required(item, names)
		}
	}
	return names
}

// comparedWithRequester returns the identifier e compares with
// @request.auth.id by =, either way round ("" otherwise).
func comparedWithRequester(e fexpr.Expr) string {
	const requester = "@request.auth.id"
	if e.Op != fexpr.SignEq || e.Left.Type != fexpr.TokenIdentifier || e.Right.Type != fexpr.TokenIdentifier {
		return ""
	}
	switch {
	case e.Right.Literal == requester && e.Left.Literal != requester:
		return e.Left.Literal
	case e.Left.Literal == requester && e.Right.Literal != requester:
		return e.Right.Literal
	}
	return ""
}

// Refused tells, without a query, that rule refuses record to info: the
// rule requires its owner field (OwnerField) to hold the requester's id
// ("" for a guest) and it holds another. false means nothing: ask the
// rule (app.CanAccessRecord). record must be as stored. Superusers pass
// every rule and are never refused; a nil rule is the caller's to answer.
func Refused(record *core.Record, info *core.RequestInfo, rule *string) bool {
	if rule == nil || *rule == "" || info.HasSuperuserAuth() {
		return false
	}
	f := OwnerField(record.Collection(), *rule)
	if f == "" {
		return false
	}
	requester := ""
	if info.Auth != nil {
		requester = info.Auth.Id
	}
	return record.GetString(f) != requester
}
