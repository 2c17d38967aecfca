package access_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/testapp"
)

// TestOwnerFieldOfEveryRule: the collections whose rules let one requester
// at most see a record are exactly these, by the field naming them. A rule
// changed so that someone else may see the records too (an admin, say)
// must drop out of this list, or Refused would refuse them.
func TestOwnerFieldOfEveryRule(t *testing.T) {
	app := testapp.New(t)
	collections, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range collections {
		for kind, rule := range map[string]*string{"list": c.ListRule, "view": c.ViewRule} {
			if rule == nil {
				continue
			}
			if f := access.OwnerField(c, *rule); f != "" {
				got[c.Name+" "+kind] = f
			}
		}
	}
	want := map[string]string{
		"notifications list": "user", "notifications view": "user",
		"chat_reads list": "user", "chat_reads view": "user",
		"blocks list": "user", "blocks view": "user",
		"bookmarks list": "user", "bookmarks view": "user",
	}
	if !maps.Equal(got, want) {
		t.Errorf("owner fields:\n got %v\nwant %v", got, want)
	}
}

// TestOwnerFieldReadsTheRuleAsPocketBaseDoes: a comparison with the
// requester's id is required only when every way through the rule passes
// it, and it names the owner only when it compares the stored id itself.
func TestOwnerFieldReadsTheRuleAsPocketBaseDoes(t *testing.T) {
	app := testapp.New(t)
	c, err := app.FindCollectionByNameOrId("bookmarks") // user: a single relation; post: another
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := app.FindCollectionByNameOrId("chat_sessions") // members: a multiple relation; name: text
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    *core.Collection
		rule string
		want string
	}{
		{c, `user = @request.auth.id`, "user"},
		{c, `@request.auth.id = user`, "user"},
		{c, `@request.auth.id != "" && user = @request.auth.id`, "user"},
		{c, `(@request.auth.id != "" && (post != "" && user = @request.auth.id)) && post.is_visible = true`, "user"},
		{c, `id = @request.auth.id`, "id"},
		{c, `user = @request.auth.id || @request.auth.role = "admin"`, ""}, // admins too
		{c, `(user = @request.auth.id && post != "") || post = ""`, ""},
		{c, `post != "" && user = @request.auth.id || post = ""`, ""}, // SQL reads a && b || c as (a && b) || c
		{c, `user != @request.auth.id`, ""},
		{c, `user ?= @request.auth.id`, ""},
		{c, `post.author = @request.auth.id`, ""}, // through a relation
		{c, `user = "@request.auth.id"`, ""},      // a text, not the requester
		{c, `user:lower = @request.auth.id`, ""},
		{c, `user = @request.auth.email`, ""},
		{sessions, `members = @request.auth.id`, ""}, // a list: = means another thing
		{sessions, `name = @request.auth.id`, ""},    // plain text: not an id
		{c, `user = @request.auth.id &&`, ""},        // does not parse
	} {
		if got := access.OwnerField(tc.c, tc.rule); got != tc.want {
			t.Errorf("%s: %q: got %q, want %q", tc.c.Name, tc.rule, got, tc.want)
		}
	}
}

// TestRefusedAgreesWithTheRule compares Refused with PocketBase's own
// answer (app.CanAccessRecord, the check its list, view and realtime make)
// for every record of every collection, as every role and under both read
// rules: what Refused refuses, the rule refuses. Refused must also refuse
// something (each owned collection's records of others) and never a
// record's owner.
func TestRefusedAgreesWithTheRule(t *testing.T) {
	app := community(t)
	read := "2026-01-02 03:04:05.000Z"
	for _, r := range []struct {
		collection string
		fields     map[string]any
	}{
		{"notifications", map[string]any{"user": alice, "kind": "comment", "actor": gina, "post": testapp.VisiblePost(testapp.BoardPublic), "text": "a comment", "count": 1}},
		{"notifications", map[string]any{"user": bob, "kind": "reply", "actor": alice, "post": testapp.VisiblePost(testapp.BoardPublic), "text": "a reply", "count": 1, "read_at": read}},
		{"notifications", map[string]any{"user": adam, "kind": "chat", "actor": bob, "session": testapp.ID("sbob"), "text": "help", "count": 1}},
		{"bookmarks", map[string]any{"user": alice, "post": testapp.VisiblePost(testapp.BoardPublic)}},
		{"bookmarks", map[string]any{"user": gina, "post": testapp.VisiblePost(testapp.BoardGranted)}},
		{"blocks", map[string]any{"user": bob, "blocked": gina}},
		{"chat_reads", map[string]any{"session": testapp.ID("sgroup"), "user": alice, "last_read_at": read}},
	} {
		testapp.SaveRecord(t, app, r.collection, r.fields)
	}
	requesters := seededRequesters(t, app)
	refused := map[string]int{}
	eachRecord(t, app, func(c *core.Collection, record *core.Record) {
		for _, who := range slices.Sorted(maps.Keys(requesters)) {
			info := &core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: "GET", Auth: requesters[who]}
			for kind, rule := range map[string]*string{"list": c.ListRule, "view": c.ViewRule} {
				if !access.Refused(record, info, rule) {
					continue
				}
				refused[c.Name]++
				if ok, err := app.CanAccessRecord(record, info, rule); ok || err != nil {
					t.Errorf("%s %s as %s: Refused, but the %s rule allows it (%v)", c.Name, record.Id, who, kind, err)
				}
				if owner := access.OwnerField(c, *rule); requesters[who] != nil && record.GetString(owner) == requesters[who].Id {
					t.Errorf("%s %s: its owner %s is refused", c.Name, record.Id, who)
				}
			}
		}
	})
	for _, name := range []string{"notifications", "bookmarks", "blocks", "chat_reads"} {
		if refused[name] == 0 {
			t.Errorf("%s: Refused refused nothing", name)
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("refused without a query: %s", fmt.Sprint(refused))
}

// TestOwnerFieldFollowsTheSchema: a rule's owner is read against the
// collection as it is now; the same rule over a field made a multiple
// relation since names none.
func TestOwnerFieldFollowsTheSchema(t *testing.T) {
	app := testapp.New(t)
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	c := core.NewBaseCollection("owned_things")
	c.Fields.Add(&core.RelationField{Name: "owner", CollectionId: users.Id, MaxSelect: 1})
	rule := `owner = @request.auth.id`
	c.ListRule = &rule
	if err := app.Save(c); err != nil {
		t.Fatal(err)
	}
	if f := access.OwnerField(c, rule); f != "owner" {
		t.Fatalf("before: %q", f)
	}
	c.Fields.GetByName("owner").(*core.RelationField).MaxSelect = 5
	if err := app.Save(c); err != nil {
		t.Fatal(err)
	}
	c, err = app.FindCachedCollectionByNameOrId("owned_things")
	if err != nil {
		t.Fatal(err)
	}
	if f := access.OwnerField(c, rule); f != "" {
		t.Errorf("a multiple relation named as the owner: %q", f)
	}
}

// seededRequesters are a guest, the seeded members and admin (alice, bob,
// gina, ben, adam) and the superuser (root), by name.
func seededRequesters(t *testing.T, app core.App) map[string]*core.Record {
	t.Helper()
	requesters := map[string]*core.Record{"guest": nil}
	for _, who := range []string{testapp.Alice, testapp.Bob, testapp.Gina, testapp.Ben, testapp.Adam} {
		u, err := app.FindRecordById("users", testapp.ID(who))
		if err != nil {
			t.Fatal(err)
		}
		requesters[who] = u
	}
	root, err := app.FindAuthRecordByEmail(core.CollectionNameSuperusers, testapp.SuperuserEmail)
	if err != nil {
		t.Fatal(err)
	}
	requesters["root"] = root
	return requesters
}

// eachRecord calls f with every record of every collection but views.
func eachRecord(t *testing.T, app core.App, f func(c *core.Collection, record *core.Record)) {
	t.Helper()
	collections, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range collections {
		if c.IsView() {
			continue
		}
		records, err := app.FindAllRecords(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, record := range records {
			f(c, record)
		}
	}
}
