package ai

import (
	"encoding/json"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/routine"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/hooks"
)

// partialResult is a running job's result while its model streams: the
// whole text so far, so a client may simply show the latest one.
type partialResult struct {
	Text    string `json:"text"`
	Partial bool   `json:"partial"`
}

// publishPartial sends a streaming job's text so far to the realtime
// clients subscribed to it (ai_logs/{id}, or ai_logs/*) whose auth may
// view it, as PocketBase's own update event of the record with result
// {"text": …, "partial": true} and updated = now (it is newer than any
// stored state, the running one included). Partials are not stored: the
// database sees the same writes per job however long the reply.
func (s *service) publishPartial(job *core.Record, text string) {
	clients := s.app.SubscriptionsBroker().Clients()
	if len(clients) == 0 {
		return
	}
	collection := job.Collection()
	byID := []string{collection.Name + "/" + job.Id + "?", collection.Id + "/" + job.Id + "?"}
	all := []string{collection.Name + "/*?", collection.Id + "/*?"}

	var data []byte
	for _, client := range clients {
		subs := client.Subscriptions(append(byID, all...)...)
		if len(subs) == 0 {
			continue
		}
		auth, _ := client.Get(apis.RealtimeClientAuthKey).(*core.Record)
		for sub, options := range subs {
			rule := collection.ListRule
			if strings.HasPrefix(sub+"?", byID[0]) || strings.HasPrefix(sub+"?", byID[1]) {
				rule = collection.ViewRule
			}
			info := &core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: "GET",
				Query: options.Query, Headers: options.Headers, Auth: auth}
			if !canSee(s.app, job, info, rule) {
				continue
			}
			if data == nil {
				var err error
				if data, err = partialMessage(job, text); err != nil {
					return
				}
			}
			msg := subscriptions.Message{Name: sub, Data: data}
			routine.FireAndForget(func() { client.Send(msg) }) // Send waits for the client's SSE loop
		}
	}
}

func partialMessage(job *core.Record, text string) ([]byte, error) {
	record := job.Fresh()
	record.Set("result", partialResult{Text: text, Partial: true})
	record.SetRaw("updated", types.NowDateTime()) // Set cannot change an autodate
	return json.Marshal(map[string]any{"action": "update", "record": record})
}

// canSee is PocketBase's realtime access check: the collection rule, then
// the subscription's own filter, both against the stored record.
func canSee(app core.App, record *core.Record, info *core.RequestInfo, rule *string) bool {
	if ok, _ := app.CanAccessRecord(record, info, rule); !ok {
		return false
	}
	filter := info.Query[search.FilterQueryParam]
	return filter == "" || hooks.MatchesSubscriptionFilter(app, record, info, filter)
}
