package hooks

import (
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
)

// MatchesSubscriptionFilter applies a realtime subscription's own filter
// to the stored record, as PocketBase's broadcast does, for the packages
// that deliver events themselves (chat, AI partial results): filters on
// @collection and @request are for superusers only.
func MatchesSubscriptionFilter(app core.App, record *core.Record, info *core.RequestInfo, filter string) bool {
	if !info.HasSuperuserAuth() && (strings.Contains(filter, "@collection.") || strings.Contains(filter, "@request.")) {
		return false
	}
	c := record.Collection()
	resolver := core.NewRecordFieldResolver(app, c, info, false)
	expr, err := search.FilterData(filter).BuildExpr(resolver)
	if err != nil {
		return false
	}
	q := app.ConcurrentDB().Select("(1)").From(c.Name).AndWhere(dbx.HashExp{c.Name + ".id": record.Id}).AndWhere(expr)
	if err := resolver.UpdateQuery(q); err != nil {
		return false
	}
	var exists int
	return q.Limit(1).Row(&exists) == nil && exists > 0
}
