package access

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/picker"
)

// visibility says which of a collection's fields only some requesters see.
type visibility struct {
	public  map[string]bool // the fields everyone sees; every other is private…
	private []string        // …or, when public is nil, the private fields
	unhide  []string        // hidden fields shown to who sees the private ones
	// seenBy tells whether info sees record's private fields; record is nil
	// for "every record of the collection" (filters, sorts, back-relations).
	seenBy func(info *core.RequestInfo, record *core.Record) bool
	// emails: who sees private fields also sees the email, whatever its owner's
	// emailVisibility (moderators tell accounts apart; the CLI addresses users by email)
	emails bool
}

// visibilities are the collections with private fields.
var visibilities = map[string]visibility{
	// A profile shows everyone its id, name, avatar, role and join date; its
	// grants, ban and settings only to its owner, admins and superusers.
	CollectionNameUsers: {
		public: map[string]bool{
			"id": true, "collectionId": true, "collectionName": true,
			"name": true, "avatar": true, "role": true, "created": true,
			"email": true, // PocketBase already hides it unless emailVisibility is set
		},
		seenBy: func(info *core.RequestInfo, record *core.Record) bool {
			return IsStaff(info) || (record != nil && UserOf(info.Auth) != nil && info.Auth.Id == record.Id)
		},
		emails: true,
	},
	// How a board is moderated (its assist model and threshold, its
	// auto-hide count) is for admins: members could tune abuse to stay
	// just under it.
	CollectionNameBoards: {
		private: []string{"moderation_ai", "moderation_threshold", "auto_hide_reports"},
		seenBy:  func(info *core.RequestInfo, _ *core.Record) bool { return IsStaff(info) },
	},
	// A model's fitted parameters (a hidden field), its training data and
	// its options (an openai_chat model's system prompt and server address,
	// a model's column names) are for admins; members see what they need to
	// use it (input_features, metrics).
	CollectionNameAIs: {
		private: []string{"model", "dataset", "options"},
		unhide:  []string{"model"},
		seenBy:  func(info *core.RequestInfo, _ *core.Record) bool { return IsStaff(info) },
	},
}

// viewerDependent are the collections whose records look different to
// different requesters (private fields, or computed fields bound with
// BindEnrich); the others look the same to everyone but superusers, so a
// realtime event of them is encoded once for all (PayloadKey).
var viewerDependent = map[string]bool{}

// viewerDependentWhen are the collections some of whose records look
// different to different requesters, each with the fields that make a
// record one when they are not empty (BindEnrichWhen): an anonymous post
// shows its writer to admins and the writer, a post with an author shows
// everyone the same.
var viewerDependentWhen = map[string][]string{}

func init() {
	for name := range visibilities {
		viewerDependent[name] = true
	}
}

// BindEnrich binds an enrich hook whose output depends on the requester
// (a computed field such as boards.can_write). Call it instead of
// app.OnRecordEnrich for such hooks, before the app serves: realtime
// delivery must know that the collection's events differ per requester.
func BindEnrich(app core.App, collection string, fn func(e *core.RecordEnrichEvent) error) {
	if !viewerDependent[collection] {
		viewerDependent[collection] = true
	}
	app.OnRecordEnrich(collection).BindFunc(fn)
}

// BindEnrichWhen is BindEnrich for a hook whose output depends on the
// requester only for the records whose field is not empty (the
// anonymous_author of posts and comments): the events of the others are
// encoded once for all.
func BindEnrichWhen(app core.App, collection, field string, fn func(e *core.RecordEnrichEvent) error) {
	if !slices.Contains(viewerDependentWhen[collection], field) {
		viewerDependentWhen[collection] = append(slices.Clone(viewerDependentWhen[collection]), field)
	}
	app.OnRecordEnrich(collection).BindFunc(fn)
}

// dependsOnViewer tells whether record looks different to different
// requesters (but for expand).
func dependsOnViewer(record *core.Record) bool {
	name := record.Collection().Name
	return viewerDependent[name] ||
		slices.ContainsFunc(viewerDependentWhen[name], func(field string) bool { return record.GetString(field) != "" })
}

// privateFor tells whether field of c is private and not seen by info
// (record nil: for some record of the collection).
func privateFor(c *core.Collection, field string, info *core.RequestInfo, record *core.Record) bool {
	v, ok := visibilities[c.Name]
	if !ok || v.seenBy(info, record) {
		return false
	}
	if v.public != nil {
		return !v.public[field]
	}
	for _, f := range v.private {
		if f == field {
			return true
		}
	}
	return false
}

// applyVisibility hides the private fields info may not see, or shows the
// hidden ones it may.
func applyVisibility(record *core.Record, info *core.RequestInfo) {
	v, ok := visibilities[record.Collection().Name]
	if !ok {
		return
	}
	if v.seenBy(info, record) {
		record.Unhide(v.unhide...)
		if v.emails {
			record.IgnoreEmailVisibility(true)
		}
		return
	}
	for _, f := range record.Collection().Fields {
		if privateFor(record.Collection(), f.GetName(), info, record) {
			record.Hide(f.GetName())
		}
	}
}

// ErrUnseenChange is the enrich hook's answer, in a realtime event, for a
// subscriber who sees nothing of what changed (unseenChange). A subscriber
// whose enrich fails gets no event: PocketBase's broadcast skips them, as
// this package's deliveries do (realtime.Prepare), which also do not log it.
var ErrUnseenChange = errors.New("nothing this subscriber sees changed")

// enrich is bound to every collection's enrich hook: a realtime event that
// changed nothing the subscriber sees goes no further; private fields
// first; then, once PocketBase expanded the record (expansion runs at the
// end of the enrich chain), the expansions a private field would reveal
// are dropped, at every depth.
func enrich(e *core.RecordEnrichEvent) error {
	if e.RequestInfo != nil && e.RequestInfo.Context == core.RequestInfoContextRealtime && unseenChange(e.Record, e.RequestInfo) {
		return ErrUnseenChange
	}
	applyVisibility(e.Record, e.RequestInfo)
	if err := e.Next(); err != nil {
		return err
	}
	guardExpand(e.App, e.Record, e.RequestInfo)
	return nil
}

// unseenChange tells whether record, as a realtime event carries it, differs
// from the state it was loaded in only in what info does not see: private
// fields (a user's ban, grants, settings, updated time), hidden ones (a
// password's hash, the token key). A board's updated time is public, so a
// change to its moderation settings still reaches its followers (as a new
// updated; the API shows them as much). Until 2026-12-03
// every member following users/ID got an update when that user was banned
// or unbanned, and so learned when a moderator acted. A create (a record
// never loaded) and a record as loaded (a delete, a board reloaded to
// announce its counters) reach whoever may see the record; so would a
// record deleted after a change to its private fields alone, which no
// writer makes. Only collections with private fields, only for who does
// not see them, pay for the comparison.
func unseenChange(record *core.Record, info *core.RequestInfo) bool {
	v, ok := visibilities[record.Collection().Name]
	if !ok || v.seenBy(info, record) {
		return false
	}
	before := record.Original()
	if before.Id == "" || reflect.DeepEqual(record.FieldsData(), before.FieldsData()) {
		return false
	}
	after := record.Fresh()
	applyVisibility(before, info)
	applyVisibility(after, info)
	return reflect.DeepEqual(before.PublicExport(), after.PublicExport())
}

// guardExpand drops from record's expand (and its expanded records',
// recursively) every relation info may not see: a private or hidden field
// of the record, or a back-relation through one (boards?expand=users_via_boards
// would list who is granted a board). The ids PocketBase's expansion keeps
// of a back-relation are hidden on every record (hideBackRelationIds).
func guardExpand(app core.App, record *core.Record, info *core.RequestInfo) {
	hideBackRelationIds(record)
	expand := record.Expand()
	if len(expand) == 0 {
		return
	}
	changed := false
	for key, value := range expand {
		if !expandVisible(app, record, key, info) {
			delete(expand, key)
			changed = true
			continue
		}
		switch v := value.(type) {
		case *core.Record:
			guardExpand(app, v, info)
		case []*core.Record:
			for _, r := range v {
				guardExpand(app, r, info)
			}
		}
	}
	if changed {
		record.SetExpand(expand)
	}
}

// hideBackRelationIds hides the ids PocketBase's expansion of a
// back-relation keeps on the record as custom data (x_via_y: up to 1,000
// ids of every related record, read by plain SQL before any rule; core's
// record_query_expand.go). The expand holds what the requester may see of
// them; the raw list is nobody's. A record enriched with computed fields
// exports its custom data (WithCustomData: an anonymous label, a board's
// can_write), and until 2026-12-07 the list went with it:
// posts/ID?expand=notifications_via_post listed others' notices to every
// member (counting them across mentions told who wrote an anonymous post),
// boards?expand=users_via_boards who is granted a board, to guests.
func hideBackRelationIds(record *core.Record) {
	for key := range record.CustomData() {
		if strings.Contains(strings.ToLower(key), "_via_") {
			record.Hide(key)
		}
	}
}

func expandVisible(app core.App, record *core.Record, key string, info *core.RequestInfo) bool {
	if info.HasSuperuserAuth() {
		return true
	}
	c := record.Collection()
	if f := c.Fields.GetByName(key); f != nil {
		return !f.GetHidden() && !privateFor(c, key, info, record)
	}
	if via, field, ok := strings.Cut(key, "_via_"); ok {
		back, err := app.FindCachedCollectionByNameOrId(via)
		if err != nil {
			return false
		}
		f := back.Fields.GetByName(field)
		return f != nil && !f.GetHidden() && !privateFor(back, field, info, nil)
	}
	return true
}

// PayloadKey returns the namer of what a realtime event of record looks
// like to each subscriber: subscribers with the same name get the same
// bytes, so an event is encoded once per name. A record that looks the
// same to everyone, without expand, has one name (superusers, who also see
// hidden fields, have their own); the rest are named by requester. Whether
// the record looks the same to everyone is worked out once, not for each
// subscriber. Until 2026-12-05 every post and comment was named by
// requester, because an anonymous one shows its writer to some: a
// comment's new counters on its post were encoded once for each of the
// board's followers, a quarter of the server's CPU in the ceiling run at
// 5,000 members.
func PayloadKey(record *core.Record) func(info *core.RequestInfo) string {
	shared := !dependsOnViewer(record)
	return func(info *core.RequestInfo) string {
		if info.Query["expand"] == "" && info.Query["fields"] == "" {
			// most subscriptions: names that need no allocation
			switch {
			case info.HasSuperuserAuth():
				return "superuser\x00\x00"
			case shared:
				return "anyone\x00\x00"
			case info.Auth == nil:
				return "guest\x00\x00"
			}
		}
		options := info.Query["expand"] + "\x00" + info.Query["fields"]
		switch {
		case info.HasSuperuserAuth():
			return "superuser\x00" + options
		case shared && info.Query["expand"] == "":
			return "anyone\x00" + options
		case info.Auth == nil:
			return "guest\x00" + options
		}
		return info.Auth.Collection().Name + "/" + info.Auth.Id + "\x00" + options
	}
}

// Encode renders a realtime event {action, record} of record for info as
// PocketBase's own record API would show the record to that requester:
// the enrich hooks, expand, private fields and fields, through
// apis.EnrichRecord.
func Encode(app core.App, action string, record *core.Record, info *core.RequestInfo) ([]byte, error) {
	clean := record.Fresh()
	query := url.Values{}
	for k, v := range info.Query {
		query.Set(k, v)
	}
	req, err := http.NewRequest(http.MethodGet, "/?"+query.Encode(), nil)
	if err != nil {
		return nil, err
	}
	e := &core.RequestEvent{App: app, Auth: info.Auth}
	e.Request = req
	e.Set(core.RequestEventKeyInfoContext, core.RequestInfoContextRealtime)
	if err := apis.EnrichRecord(e, clean); err != nil {
		return nil, err
	}
	event := map[string]any{"action": action, "record": clean}
	if raw := info.Query["fields"]; raw != "" {
		if picked, err := picker.Pick(clean, raw); err == nil {
			event["record"] = picked
		}
	}
	return json.Marshal(event)
}
