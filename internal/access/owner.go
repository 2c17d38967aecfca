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
	key := ownerKey{c.Id, rule}
	if f, ok := ownerFields.Load(key); ok {
		return f.(string)
	}
	f := ""
	if groups, err := fexpr.Parse(rule); err == nil {
		f = ownerIn(c, groups)
	}
	ownerFields.Store(key, f)
	return f
}

type ownerKey struct{ collection, rule string }

// ownerFields holds OwnerField's answers. A collection's rules change
// only with its schema (a migration or the dashboard), so the rules ever
// asked about are few.
var ownerFields sync.Map // ownerKey → string

// ownerIn finds an owner comparison among the terms of groups when they
// form a chain of && ("" otherwise).
func ownerIn(c *core.Collection, groups []fexpr.ExprGroup) string {
	for i, g := range groups {
		if i > 0 && g.Join != fexpr.JoinAnd {
			return "" // an || at this level: no term is required
		}
	}
	for _, g := range groups {
		var f string
		switch item := g.Item.(type) {
		case fexpr.Expr:
			f = ownerComparison(c, item)
		case fexpr.ExprGroup:
			f = ownerIn(c, []fexpr.ExprGroup{item})
		case []fexpr.ExprGroup:
			f = ownerIn(c, item)
		}
		if f != "" {
			return f
		}
	}
	return ""
}

// ownerComparison returns the field e compares with @request.auth.id by =,
// when it is the record's id or a single relation.
func ownerComparison(c *core.Collection, e fexpr.Expr) string {
	if e.Op != fexpr.SignEq || e.Left.Type != fexpr.TokenIdentifier || e.Right.Type != fexpr.TokenIdentifier {
		return ""
	}
	name := e.Left.Literal
	switch requester := "@request.auth.id"; {
	case e.Right.Literal == requester:
	case e.Left.Literal == requester:
		name = e.Right.Literal
	default:
		return ""
	}
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
