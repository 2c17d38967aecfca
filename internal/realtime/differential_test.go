package realtime_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

var roles = []string{"", testapp.Alice, testapp.Bob, testapp.Gina, testapp.Adam, "root"}

func token(who string) string {
	if who == "" {
		return ""
	}
	return testapp.Token(who)
}

// withOptions is a subscription topic with the SDK's options encoding.
func withOptions(topic string, query map[string]string) string {
	if len(query) == 0 {
		return topic
	}
	raw, _ := json.Marshal(map[string]any{"query": query})
	return topic + "?options=" + url.QueryEscape(string(raw))
}

// listed is what PocketBase's list API shows who of collection's record id
// with query's expand and fields.
func listed(t *testing.T, base, who, collection, id string, query map[string]string) map[string]any {
	t.Helper()
	params := url.Values{"filter": {`id = "` + id + `"`}}
	for k, v := range query {
		params.Set(k, v)
	}
	r := testapp.Call(t, http.MethodGet, base+"/api/collections/"+collection+"/records?"+params.Encode(), token(who), nil)
	items, _ := r.Body["items"].([]any)
	if r.Status != http.StatusOK || len(items) != 1 {
		t.Fatalf("listing %s %s as %s: %d %s", collection, id, who, r.Status, r.Raw)
	}
	return items[0].(map[string]any)
}

// showsGrants tells whether an event's record shows who is granted which
// board: the author's expanded boards, or a board's users_via_boards.
func showsGrants(record map[string]any) bool {
	expand, _ := record["expand"].(map[string]any)
	if author, ok := expand["author"].(map[string]any); ok {
		if e, ok := author["expand"].(map[string]any); ok && e["boards"] != nil {
			return true
		}
	}
	if board, ok := expand["board"].(map[string]any); ok {
		if e, ok := board["expand"].(map[string]any); ok && e["users_via_boards"] != nil {
			return true
		}
	}
	return false
}

// subscriber is one SSE connection of the differential tests: who, with
// which subscription options.
type subscriber struct {
	who     string
	options map[string]string
	sse     *testapp.SSE
}

// subscribeAll opens a connection for every role and option set, each
// subscribed to topics(options).
func subscribeAll(t *testing.T, base string, roles []string, optionSets []map[string]string, topics func(map[string]string) []string) []subscriber {
	t.Helper()
	var subs []subscriber
	for _, who := range roles {
		for _, options := range optionSets {
			subs = append(subs, subscriber{who, options, testapp.OpenSSE(t, base, token(who), topics(options)...)})
		}
	}
	return subs
}

var optionSets = []map[string]string{
	{},
	{"expand": "author"},
	{"expand": "author.boards,board"},
	{"expand": "board.users_via_boards"},
	{"fields": "id,likes_count,expand.author.name"},
	{"expand": "author", "fields": "id,expand.author.boards,expand.author.name"},
}

// TestMadangEventsShowWhatTheListAPIShows: the events Madang delivers
// itself — a post's counter update after a like, a chat message — show each
// subscriber, whatever their role and subscription options (expand one and
// two levels deep, into private fields and back-relations; fields), exactly
// the record PocketBase's list API shows them with the same options; and so
// does PocketBase's own broadcast (a new post) through the access layer's
// enrich hook.
func TestMadangEventsShowWhatTheListAPIShows(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	post := testapp.VisiblePost(testapp.BoardPublic)
	alice, bob, gina := testapp.ID(testapp.Alice), testapp.ID(testapp.Bob), testapp.ID(testapp.Gina)

	subs := subscribeAll(t, base, roles, optionSets, func(options map[string]string) []string {
		return []string{withOptions("posts/"+post, options), withOptions("posts/*", options)}
	})

	// a like: Madang announces the post's new counts (realtime.Deliver),
	// once on each topic
	testapp.CreateLike(t, app, post, alice)
	for _, s := range subs {
		want := listed(t, base, s.who, "posts", post, s.options)
		for range 2 {
			ev, ok := s.sse.Next(5 * time.Second)
			if !ok {
				t.Fatalf("counter update as %s with %v: no event", s.who, s.options)
			}
			got := ev.Record()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("counter update on %s as %s with %v:\nevent %v\nlist  %v", ev.Topic(), s.who, s.options, got, want)
			}
			if grants := showsGrants(got); grants && s.who != testapp.Gina && s.who != testapp.Adam && s.who != "root" {
				t.Errorf("counter update as %s with %v shows the author's or board's grants: %v", s.who, s.options, got)
			}
		}
	}

	// a new post by gina: PocketBase's broadcast, through the enrich hook
	created := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), gina, "new post")
	for _, s := range subs {
		got := s.sse.ExpectRecord(t, "posts/*")
		want := listed(t, base, s.who, "posts", created.Id, s.options)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("create as %s with %v:\nevent %v\nlist  %v", s.who, s.options, got, want)
		}
	}

	// a chat message: Madang's chat delivery, to the session's readers
	sessions, _ := app.FindCollectionByNameOrId("chat_sessions")
	session := core.NewRecord(sessions)
	session.Load(map[string]any{"name": "pair", "kind": "group", "owner": alice, "members": []string{bob}})
	if err := app.Save(session); err != nil {
		t.Fatal(err)
	}
	chatOptions := []map[string]string{{}, {"expand": "author"}, {"expand": "author.boards,session"},
		{"fields": "id,content,expand.author.name", "expand": "author"}}
	readers := subscribeAll(t, base, []string{testapp.Alice, testapp.Bob, "root"}, chatOptions, func(options map[string]string) []string {
		return []string{withOptions("chats/*", options)}
	})
	chats, _ := app.FindCollectionByNameOrId("chats")
	message := core.NewRecord(chats)
	message.Load(map[string]any{"session": session.Id, "author": bob, "content": "hello", "is_visible": true})
	if err := app.Save(message); err != nil {
		t.Fatal(err)
	}
	for _, r := range readers {
		got := r.sse.ExpectRecord(t, "chats/*")
		want := listed(t, base, r.who, "chats", message.Id, r.options)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("chat message as %s with %v:\nevent %v\nlist  %v", r.who, r.options, got, want)
		}
	}
}

// TestOracleFiltersAreRefusedOnSubscribe: a realtime subscription whose
// filter or sort names what the requester cannot read is refused, as the
// list API refuses it, instead of being run for every event.
func TestOracleFiltersAreRefusedOnSubscribe(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	for _, filter := range []string{
		`author.tokenKey != ""`, `author.boards.id = "x"`, `author.ban_reason ~ "spam"`,
		`author.chats_via_author.content ~ "a"`, `board.users_via_boards.name != ""`,
	} {
		for _, who := range []string{"", testapp.Alice, testapp.Adam} {
			c := testapp.Connect(t, base, token(who))
			r := c.TrySubscribe(t, withOptions("posts/*", map[string]string{"filter": filter}))
			list := testapp.Call(t, http.MethodGet, base+"/api/collections/posts/records?filter="+url.QueryEscape(filter), token(who), nil)
			if who == testapp.Adam && filter == `author.ban_reason ~ "spam"` {
				// admins see members' private fields: allowed both ways
				if r.Status != http.StatusNoContent || list.Status != http.StatusOK {
					t.Errorf("%s as admin: subscribe %d, list %d %s", filter, r.Status, list.Status, list.Raw)
				}
				continue
			}
			if r.Status != http.StatusBadRequest || list.Status != http.StatusBadRequest {
				t.Errorf("%s as %q: subscribe %d %s, list %d %s", filter, who, r.Status, r.Raw, list.Status, list.Raw)
			}
		}
	}
	// @request and @collection: the list's 403 on both (a subscription got
	// a 400 until 2026-12-04)
	for _, filter := range []string{`@request.auth.id != ""`, `@collection.users.id ?= author`} {
		for _, who := range []string{"", testapp.Alice} {
			r := testapp.Connect(t, base, token(who)).TrySubscribe(t, withOptions("posts/*", map[string]string{"filter": filter}))
			list := testapp.Call(t, http.MethodGet, base+"/api/collections/posts/records?filter="+url.QueryEscape(filter), token(who), nil)
			if r.Status != http.StatusForbidden || list.Status != http.StatusForbidden {
				t.Errorf("%s as %q: subscribe %d %s, list %d %s", filter, who, r.Status, r.Raw, list.Status, list.Raw)
			}
		}
	}
	root := testapp.Connect(t, base, testapp.Token("root"))
	if r := root.TrySubscribe(t, withOptions("posts/*", map[string]string{"filter": `author.chats_via_author.content ~ "a"`})); r.Status != http.StatusNoContent {
		t.Errorf("a superuser's filter was refused: %d %s", r.Status, r.Raw)
	}
}

// TestRecordEditsAndDeletesShowWhatTheAPIShows: the events of a record's
// edit and delete, and of an account's edit (an auth record: its email,
// private fields), which Madang delivers since 2026-12-04 instead of
// PocketBase's broadcast, show each subscriber — every role, with and
// without expand and fields — what the API shows them: the list API for a
// post (a delete: as listed before it), the view API for an account. Who
// may not see the record gets nothing before a sentinel.
func TestRecordEditsAndDeletesShowWhatTheAPIShows(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	gina := testapp.ID(testapp.Gina)
	post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), gina, "to be edited")

	subs := subscribeAll(t, base, roles, optionSets, func(options map[string]string) []string {
		return []string{withOptions("posts/"+post.Id, options), withOptions("posts/*", options), testapp.SentinelTopic}
	})
	edited, err := app.FindRecordById("posts", post.Id)
	if err != nil {
		t.Fatal(err)
	}
	edited.Set("title", "edited")
	if err := app.Save(edited); err != nil {
		t.Fatal(err)
	}
	before := map[int]map[string]any{}
	for i, s := range subs {
		want := listed(t, base, s.who, "posts", post.Id, s.options)
		before[i] = want
		for range 2 {
			ev, ok := postEvent(s.sse)
			if !ok {
				t.Fatalf("edit as %s with %v: no event", s.who, s.options)
			}
			if ev.Data["action"] != "update" || !reflect.DeepEqual(ev.Record(), want) {
				t.Errorf("edit on %s as %s with %v:\nevent %v %v\nlist  %v", ev.Topic(), s.who, s.options, ev.Data["action"], ev.Record(), want)
			}
		}
	}
	if err := app.Delete(edited); err != nil {
		t.Fatal(err)
	}
	for i, s := range subs {
		for range 2 {
			ev, ok := postEvent(s.sse)
			if !ok {
				t.Fatalf("delete as %s with %v: no event", s.who, s.options)
			}
			if ev.Data["action"] != "delete" || !reflect.DeepEqual(ev.Record(), before[i]) {
				t.Errorf("delete on %s as %s with %v:\nevent %v %v\nlisted before %v", ev.Topic(), s.who, s.options, ev.Data["action"], ev.Record(), before[i])
			}
		}
	}

	// The delete changed the public board's posts_count, which the counter
	// announcer sends its followers a window later (hooks/posts.go): wait
	// for it, or it may reach the account's watchers below, who follow the
	// board as their sentinel (on a quick machine it always did).
	if ev, ok := subs[0].sse.Next(5 * time.Second); !ok || ev.Topic() != testapp.SentinelTopic {
		t.Fatalf("as %s: got %s %v, want the public board's new posts_count, announced after the delete", subs[0].who, ev.Name, ev.Data)
	}

	// a post on a board only some read: the others hear nothing of it
	granted := testapp.CreatePost(t, app, testapp.ID(testapp.BoardGranted), gina, "granted")
	granted.Set("title", "granted, edited")
	if err := app.Save(granted); err != nil {
		t.Fatal(err)
	}
	sentinel := testapp.Sentinel(t, app)
	heard := 0
	for _, s := range subs {
		if r := testapp.Call(t, http.MethodGet, base+"/api/collections/posts/records/"+granted.Id, token(s.who), nil); r.Status != http.StatusOK {
			if ev, _ := postEvent(s.sse); !sentinel(ev) {
				t.Fatalf("granted board's post as %s with %v: got %s %v before the sentinel", s.who, s.options, ev.Name, ev.Data)
			}
			continue
		}
		heard++
		for _, action := range []string{"create", "update"} {
			ev, ok := postEvent(s.sse)
			if !ok || ev.Data["action"] != action || ev.Record()["id"] != granted.Id {
				t.Fatalf("granted board's post as %s with %v: got %s %v, want its %s", s.who, s.options, ev.Name, ev.Data, action)
			}
		}
		if ev, _ := postEvent(s.sse); !sentinel(ev) {
			t.Fatalf("granted board's post as %s with %v: got %s %v, want the sentinel", s.who, s.options, ev.Name, ev.Data)
		}
	}
	if heard == 0 || heard == len(subs) {
		t.Fatalf("%d of %d subscribers read the granted board: nothing compared, or no refusal", heard, len(subs))
	}

	// an account's edit, on its own topic
	alice := testapp.ID(testapp.Alice)
	accountOptions := []map[string]string{{}, {"expand": "boards"}, {"fields": "id,name,email,role"}}
	watchers := subscribeAll(t, base, roles, accountOptions, func(options map[string]string) []string {
		return []string{withOptions("users/"+alice, options), testapp.SentinelTopic}
	})
	account, err := app.FindRecordById("users", alice)
	if err != nil {
		t.Fatal(err)
	}
	account.Set("name", "alice2")
	if err := app.Save(account); err != nil {
		t.Fatal(err)
	}
	sentinel = testapp.Sentinel(t, app)
	seen := 0
	for _, w := range watchers {
		params := url.Values{}
		for k, v := range w.options {
			params.Set(k, v)
		}
		view := testapp.Call(t, http.MethodGet, base+"/api/collections/users/records/"+alice+"?"+params.Encode(), token(w.who), nil)
		if view.Status != http.StatusOK {
			w.sse.ExpectOnly(t, sentinel)
			continue
		}
		seen++
		ev, ok := w.sse.Next(5 * time.Second)
		if !ok || ev.Topic() != "users/"+alice {
			t.Fatalf("account edit as %s with %v: got %s %v, want the edit", w.who, w.options, ev.Name, ev.Data)
		}
		if !reflect.DeepEqual(ev.Record(), view.Body) {
			t.Errorf("account edit as %s with %v:\nevent %v\nview  %v", w.who, w.options, ev.Record(), view.Body)
		}
		w.sse.ExpectOnly(t, sentinel)
	}
	if seen != len(watchers) {
		t.Fatalf("%d of %d watchers may view the account (profiles are public)", seen, len(watchers))
	}
}

// postEvent is the next event of sse that is not a board's counters (a
// post's create or delete announces its board's new posts_count), or the
// sentinel's board save.
func postEvent(sse *testapp.SSE) (testapp.Event, bool) {
	for {
		ev, ok := sse.Next(5 * time.Second)
		if !ok || ev.Topic() != testapp.SentinelTopic || strings.HasPrefix(fmt.Sprint(ev.Record()["information"]), "sentinel") {
			return ev, ok
		}
	}
}

// TestOwnedRecordsReachWhoTheListShowsThemTo: the events of records one
// requester at most may see — a notification, a bookmark — are answered
// for everyone else from the rule's owner field, without a query
// (access.Refused); each subscriber, whatever their role, gets exactly the
// events of the records PocketBase's list API shows them, on the
// collection's topic and the record's own.
func TestOwnedRecordsReachWhoTheListShowsThemTo(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	bob, gina := testapp.ID(testapp.Bob), testapp.ID(testapp.Gina)
	notice := testapp.ID("ownednotice")
	bookmark := testapp.ID("ownedmark")
	subs := subscribeAll(t, base, roles, []map[string]string{{}}, func(map[string]string) []string {
		return []string{"notifications/*", "notifications/" + notice, "bookmarks/*", "bookmarks/" + bookmark, testapp.SentinelTopic}
	})
	testapp.SaveRecord(t, app, "notifications", map[string]any{"id": notice, "user": bob, "kind": "reply", "actor": gina,
		"post": testapp.VisiblePost(testapp.BoardPublic), "text": "a reply", "count": 1})
	testapp.SaveRecord(t, app, "bookmarks", map[string]any{"id": bookmark, "user": gina, "post": testapp.VisiblePost(testapp.BoardGranted)})
	sentinel := testapp.Sentinel(t, app)

	delivered := 0
	for _, s := range subs {
		want := map[string]bool{}
		for collection, id := range map[string]string{"notifications": notice, "bookmarks": bookmark} {
			r := testapp.Call(t, http.MethodGet, base+"/api/collections/"+collection+"/records?filter="+url.QueryEscape(`id = "`+id+`"`), token(s.who), nil)
			items, _ := r.Body["items"].([]any)
			if r.Status == http.StatusOK && len(items) == 1 {
				want[collection+"/*"], want[collection+"/"+id] = true, true
			}
		}
		got := map[string]bool{}
		for _, ev := range s.sse.Before(t, sentinel) {
			if got[ev.Topic()] {
				t.Errorf("as %q: %s twice", s.who, ev.Topic())
			}
			got[ev.Topic()] = true
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("as %q: events on %v, the list shows %v", s.who, got, want)
		}
		delivered += len(got)
	}
	if delivered != 8 { // bob's notice and gina's bookmark to them, both to the superuser, on two topics each
		t.Errorf("%d events in all, want 8", delivered)
	}
}
