package access

import (
	"encoding/json"
	"errors"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"weak"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// Bind puts every path of app that shows records under the layer: the
// enrich hook (private fields, guarded expand) for every collection, the
// list API's filter and sort checks, and the same checks on realtime
// subscriptions' filters. Call it first, before the packages that bind
// their own hooks (internal/madang.Bind does).
func Bind(app core.App) {
	app.OnRecordEnrich().BindFunc(enrich)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "madangCheckListQuery",
			Priority: apis.DefaultLoadAuthTokenMiddlewarePriority + 10, // after auth and ban checks
			Func:     checkListQuery,
		})
		return e.Next()
	})
	app.OnRealtimeSubscribeRequest().BindFunc(checkSubscriptions)
	app.OnRecordUpdate().BindFunc(writeChangedOnly)
	bindStrictValues(app)
	bindBlocks(app)
	bindActors(app)
}

// checkSubscriptions refuses (400, naming the topic) a realtime
// subscription whose filter or sort CheckQuery refuses: PocketBase would
// otherwise run it for every event, and deliver or not by a value the
// subscriber cannot read.
func checkSubscriptions(e *core.RealtimeSubscribeRequestEvent) error {
	for _, s := range e.Subscriptions {
		if err := checkOptions(s); err != nil {
			return err
		}
	}
	if e.HasSuperuserAuth() {
		return e.Next()
	}
	parsed := subscriptions.NewDefaultClient()
	for _, s := range e.Subscriptions {
		parsed.Subscribe(s)
	}
	for name, options := range parsed.Subscriptions() {
		topic, _, _ := strings.Cut(name, "?")
		collectionName, _, _ := strings.Cut(topic, "/")
		collection, err := e.App.FindCachedCollectionByNameOrId(collectionName)
		if err != nil {
			continue // not a record topic
		}
		info := &core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: "GET",
			Query: options.Query, Headers: options.Headers, Auth: e.Auth}
		// the list API's answer, status included (403 for @request and
		// @collection; until 2026-12-04 a subscription got a 400 for them)
		if err := CheckQuery(e.App, collection, info); err != nil {
			var refused *router.ApiError
			if !errors.As(err, &refused) {
				return apis.NewBadRequestError("Subscription "+topic+": "+err.Error(), nil)
			}
			return router.NewApiError(refused.Status, "Subscription "+topic+": "+refused.Message, nil)
		}
	}
	return e.Next()
}

// checkOptions refuses, 400 naming the topic, a subscription whose options
// PocketBase cannot read: it drops options that are not JSON, or not
// {"query": {…}, "headers": {…}}, without a word, and the subscription
// then follows the topic with none (until 2026-12-07 a filter cut short
// answered 204, and its subscriber waited for events by a filter it never
// had). Anyone's, superusers' too: the options are theirs to get right.
func checkOptions(subscription string) error {
	topic, query, found := strings.Cut(subscription, "?")
	if !found {
		return nil
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return apis.NewBadRequestError("Subscription "+topic+": its query cannot be read: "+err.Error()+".", nil)
	}
	raw := values.Get("options")
	if raw == "" {
		return nil
	}
	var options struct {
		Query   map[string]any `json:"query"`
		Headers map[string]any `json:"headers"`
	}
	if err := json.Unmarshal([]byte(raw), &options); err != nil {
		return apis.NewBadRequestError("Subscription "+topic+`: its options are not {"query": {…}, "headers": {…}} in JSON (`+err.Error()+").", nil)
	}
	return nil
}

// writeChangedOnly makes an update write only the columns its writer
// changed. PocketBase writes back every column as the writer loaded it, so
// a save that raced another writer undid it: a member's profile edit
// racing their ban restored banned = false and the old token key (4 of 6
// tries, 2026-12-03), an author's edit racing a moderator's hide made the
// comment visible again (11 of 20).
//
// "Changed" is against the record as loaded, and PocketBase does not
// refresh that after a save: an object saved a second time with a field
// set back to its loaded value would not write it (an AI job put back to
// queued). So a record object's second and later saves write every column,
// as PocketBase always did; only a first save, which every API request
// is, writes its changes alone.
func writeChangedOnly(e *core.RecordEvent) error {
	key := weak.Make(e.Record)
	_, again := savedRecords.Load(key)
	e.Record.IgnoreUnchangedFields(!again)
	if err := e.Next(); err != nil {
		return err
	}
	if _, loaded := savedRecords.LoadOrStore(key, struct{}{}); !loaded {
		runtime.AddCleanup(e.Record, func(key weak.Pointer[core.Record]) { savedRecords.Delete(key) }, key)
	}
	return nil
}

// ChangesOnly tells whether the update of record under way writes only
// what its writer changed: the first save of a record object loaded from
// the database, whose Original() is still the row as its writer read it
// (see writeChangedOnly). Ask it inside the save.
func ChangesOnly(record *core.Record) bool {
	_, again := savedRecords.Load(weak.Make(record))
	return !again && record.Original().Id != ""
}

// savedRecords holds the record objects updated at least once, until the
// garbage collector takes them.
var savedRecords sync.Map // weak.Pointer[core.Record] → struct{}
