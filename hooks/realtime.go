package hooks

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/picker"
	"github.com/pocketbase/pocketbase/tools/routine"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
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

// EncodeRealtimeEvent renders {action, record} for one subscriber: a clean copy of
// the record, hidden fields for superusers, the enrich hooks, expand and
// fields as the subscription asked.
func EncodeRealtimeEvent(app core.App, action string, source *core.Record, info *core.RequestInfo) ([]byte, error) {
	record := source.Fresh()
	if info.HasSuperuserAuth() {
		record.Unhide(record.Collection().Fields.FieldNames()...)
	}
	err := enrich(app, info, []*core.Record{record}, func() error {
		if raw := info.Query["expand"]; raw != "" {
			for key, err := range app.ExpandRecord(record, strings.Split(raw, ","), expandFetch(app, info)) {
				app.Logger().Debug("realtime expand failed", slog.String("expand", key), slog.String("error", err.Error()))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	event := map[string]any{"action": action, "record": record}
	if raw := info.Query["fields"]; raw != "" {
		if picked, err := picker.Pick(record, raw); err == nil {
			event["record"] = picked
		}
	}
	return json.Marshal(event)
}

// enrich triggers the OnRecordEnrich hooks for each record in turn, then
// finalize: what PocketBase does before sending a record anywhere (Madang
// hides other users' private fields there).
func enrich(app core.App, info *core.RequestInfo, records []*core.Record, finalize func() error) error {
	if len(records) == 0 {
		return finalize()
	}
	e := &core.RecordEnrichEvent{App: app, RequestInfo: info}
	e.Record = records[0]
	return app.OnRecordEnrich().Trigger(e, func(e *core.RecordEnrichEvent) error {
		return enrich(e.App, info, records[1:], finalize)
	})
}

// expandFetch loads related records for expand, each subject to its
// collection's ViewRule for the subscriber and enriched for them, as
// PocketBase's own expand does.
func expandFetch(app core.App, info *core.RequestInfo) core.ExpandFetchFunc {
	expandInfo := *info
	expandInfo.Context = core.RequestInfoContextExpand
	return func(c *core.Collection, ids []string) ([]*core.Record, error) {
		records, err := app.FindRecordsByIds(c.Id, ids, func(q *dbx.SelectQuery) error {
			switch {
			case expandInfo.HasSuperuserAuth():
				return nil
			case c.ViewRule == nil:
				return fmt.Errorf("only superusers can view collection %q records", c.Name)
			case *c.ViewRule == "":
				return nil
			}
			resolver := core.NewRecordFieldResolver(app, c, &expandInfo, true)
			expr, err := search.FilterData(*c.ViewRule).BuildExpr(resolver)
			if err != nil {
				return err
			}
			q.AndWhere(expr)
			return resolver.UpdateQuery(q)
		})
		if err != nil {
			return nil, err
		}
		return records, enrich(app, &expandInfo, records, func() error { return nil })
	}
}

// BroadcastUpdate sends an "update" event of record to its collection's
// realtime subscribers, as PocketBase does on a save. For changes made by
// SQL, which PocketBase does not see: the counters.
func BroadcastUpdate(app core.App, record *core.Record) {
	Broadcast(app, record, func(info *core.RequestInfo) ([]byte, error) {
		return EncodeRealtimeEvent(app, "update", record, info)
	})
}

// Broadcast sends encode's event to every realtime subscription to record
// (record/ID, record/*, by name or id) whose subscriber may see it: the
// collection's rule and the subscription's own filter, both against the
// stored record, as PocketBase's own broadcast checks them.
func Broadcast(app core.App, record *core.Record, encode func(*core.RequestInfo) ([]byte, error)) {
	c := record.Collection()
	byID := []string{c.Name + "/" + record.Id + "?", c.Id + "/" + record.Id + "?"}
	all := []string{c.Name + "/*?", c.Id + "/*?", c.Name + "?", c.Id + "?"}
	for _, client := range app.SubscriptionsBroker().Clients() {
		subs := client.Subscriptions(append(byID, all...)...)
		if len(subs) == 0 {
			continue
		}
		auth, _ := client.Get(apis.RealtimeClientAuthKey).(*core.Record)
		for sub, options := range subs {
			rule := c.ListRule
			if strings.HasPrefix(sub+"?", byID[0]) || strings.HasPrefix(sub+"?", byID[1]) {
				rule = c.ViewRule
			}
			info := &core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: http.MethodGet,
				Query: options.Query, Headers: options.Headers, Auth: auth}
			if ok, _ := app.CanAccessRecord(record, info, rule); !ok {
				continue
			}
			if f := options.Query[search.FilterQueryParam]; f != "" && !MatchesSubscriptionFilter(app, record, info, f) {
				continue
			}
			data, err := encode(info)
			if err != nil {
				continue
			}
			msg := subscriptions.Message{Name: sub, Data: data}
			routine.FireAndForget(func() { client.Send(msg) }) // Send waits for the client's SSE loop
		}
	}
}

// hasSubscribers tells whether any realtime client follows collection.
func hasSubscribers(app core.App, collection *core.Collection) bool {
	for _, client := range app.SubscriptionsBroker().Clients() {
		if len(client.Subscriptions(collection.Name+"/", collection.Id+"/", collection.Name+"?", collection.Id+"?")) > 0 {
			return true
		}
	}
	return false
}
