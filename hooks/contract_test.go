package hooks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	migrations "madang/pb_migrations"

	"madang/internal/testapp"
)

// collectionBody is the body of PATCH /api/collections/{name} that keeps
// the collection as it is, but for what edit does to its fields (the
// dashboard sends the whole collection the same way).
func collectionBody(t testing.TB, app core.App, name string, edit func(fields []map[string]any) []map[string]any) string {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	var fields []map[string]any
	for _, f := range body["fields"].([]any) {
		fields = append(fields, f.(map[string]any))
	}
	body["fields"] = edit(fields)
	out, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// superuserJSON is the headers of the dashboard's JSON requests.
func superuserJSON() map[string]string {
	return map[string]string{"Authorization": testapp.Token("root"), "Content-Type": "application/json"}
}

// collectionUpdateRefused is the events of a collection update that its
// validation refuses.
func collectionUpdateRefused() map[string]int {
	return map[string]int{"*": 0, "OnCollectionUpdateRequest": 1, "OnCollectionUpdate": 1, "OnModelUpdate": 1,
		"OnCollectionValidate": 1, "OnModelValidate": 1, "OnCollectionAfterUpdateError": 1, "OnModelAfterUpdateError": 1}
}

// renamed, without and multiple edit the named field of a collection body.
func renamed(name, to string) func([]map[string]any) []map[string]any {
	return func(fields []map[string]any) []map[string]any {
		for _, f := range fields {
			if f["name"] == name {
				f["name"] = to
			}
		}
		return fields
	}
}

func without(name string) func([]map[string]any) []map[string]any {
	return func(fields []map[string]any) []map[string]any {
		return slices.DeleteFunc(fields, func(f map[string]any) bool { return f["name"] == name })
	}
}

func maxSelect(name string, n int) func([]map[string]any) []map[string]any {
	return func(fields []map[string]any) []map[string]any {
		for _, f := range fields {
			if f["name"] == name {
				f["maxSelect"] = n
			}
		}
		return fields
	}
}

// schemaOf is a collection's fields as stored: name, type and how many
// records a relation holds, in order.
func schemaOf(t testing.TB, app core.App, name string) string {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range c.Fields {
		b.WriteString(f.GetName() + ":" + f.Type())
		if r, ok := f.(*core.RelationField); ok && r.IsMultiple() {
			b.WriteString("[]")
		}
		b.WriteString(" ")
	}
	return b.String()
}

// TestContractFieldsStay: a superuser (the dashboard's API) cannot delete,
// rename or change the kind of relation of Madang's fields; each refusal
// is a 400 naming why, and the stored fields and the counters are as
// before.
func TestContractFieldsStay(t *testing.T) {
	type change struct {
		name, collection string
		edit             func([]map[string]any) []map[string]any
		expect           []string
	}
	fixtures := testapp.New(t)
	renameRefused := `"System fields cannot be deleted or renamed."`
	for _, c := range []change{
		{"rename comments.content", "comments", renamed("content", "body"), []string{renameRefused}},
		{"rename chats.session", "chats", renamed("session", "room"), []string{renameRefused}},
		{"rename users.role", "users", renamed("role", "kind"), []string{renameRefused}},
		{"delete posts.is_visible", "posts", without("is_visible"), []string{renameRefused}},
		{"delete blocks.blocked", "blocks", without("blocked"), []string{renameRefused}},
		{"make bookmarks.user multiple", "bookmarks", maxSelect("user", 5), []string{`"maxSelect":{"code":"validation_madang_relation_kind"`,
			"Madang's field bookmarks.user holds one record; it cannot be changed to hold several."}},
		{"make comments.post multiple", "comments", maxSelect("post", 2), []string{`"validation_madang_relation_kind"`, "Madang's field comments.post holds one record"}},
		{"make users.boards single", "users", maxSelect("boards", 1), []string{`"validation_madang_relation_kind"`,
			"Madang's field users.boards holds several records; it cannot be changed to hold only one."}},
		{"make chat_sessions.members single", "chat_sessions", maxSelect("members", 1), []string{`"validation_madang_relation_kind"`}},
	} {
		var before string
		s := tests.ApiScenario{
			Name:    c.name,
			Method:  http.MethodPatch,
			URL:     "/api/collections/" + c.collection,
			Headers: superuserJSON(),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				before = schemaOf(t, app, c.collection)
			},
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: c.expect,
			ExpectedEvents:  collectionUpdateRefused(),
			// every fixture app is a copy of one: the same collection and field ids
			Body:           strings.NewReader(collectionBody(t, fixtures, c.collection, c.edit)),
			TestAppFactory: testapp.Factory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if got := schemaOf(t, app, c.collection); got != before {
					t.Errorf("the collection changed:\nbefore %s\nafter  %s", before, got)
				}
				testapp.AssertCounts(t, app)
			},
		}
		s.Test(t)
	}
}

// TestUserIDsStay: the rules find a user in stored lists of ids by its
// text (migration 1795900901), which is exact while every users id is 15
// characters of a-z0-9; a superuser cannot change the id field's length or
// pattern (400 naming why, the field as before), and can still change the
// rest of the collection.
func TestUserIDsStay(t *testing.T) {
	fixtures := testapp.New(t)
	users, err := fixtures.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	idField := func(app core.App) string {
		c, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			t.Fatal(err)
		}
		f := c.Fields.GetByName(core.FieldNameId).(*core.TextField)
		return fmt.Sprintf("%d-%d %s", f.Min, f.Max, f.Pattern)
	}
	const kept = "15-15 ^[a-z0-9]+$"
	if got := idField(fixtures); got != kept {
		t.Fatalf("the users id field is %s, the rules need %s", got, kept)
	}
	refused := func(option string) []string {
		return []string{`"` + option + `":{"code":"validation_madang_user_ids"`,
			"Madang's rules find users by their id in stored lists of ids, which needs every users id to keep its length (15 to 15 characters) and pattern (^[a-z0-9]+$); they cannot be changed."}
	}
	for _, c := range []struct {
		name   string
		edit   func([]map[string]any) []map[string]any
		status int
		expect []string
	}{
		{"shorter ids", idOption("min", 3), http.StatusBadRequest, refused("min")},
		{"longer ids", idOption("max", 20), http.StatusBadRequest, refused("max")},
		{"capitals in ids", idOption("pattern", "^[a-zA-Z0-9]+$"), http.StatusBadRequest, refused("pattern")},
		{"wildcards in ids", idOption("pattern", "^[a-z0-9_%]+$"), http.StatusBadRequest, refused("pattern")},
		{"the rest of the collection", func(fields []map[string]any) []map[string]any {
			return append(fields, map[string]any{"name": "nickname", "type": "text"})
		}, http.StatusOK, []string{`"name":"nickname"`}},
	} {
		events := collectionUpdateRefused()
		if c.status == http.StatusOK {
			events = nil
		}
		s := tests.ApiScenario{
			Name:            c.name,
			Method:          http.MethodPatch,
			URL:             "/api/collections/" + users.Id,
			Headers:         superuserJSON(),
			ExpectedStatus:  c.status,
			ExpectedContent: c.expect,
			ExpectedEvents:  events,
			Body:            strings.NewReader(collectionBody(t, fixtures, "users", c.edit)),
			TestAppFactory:  testapp.Factory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if got := idField(app); got != kept {
					t.Errorf("the users id field became %s", got)
				}
			},
		}
		s.Test(t)
	}
}

// idOption sets an option of the id field of a collection body.
func idOption(key string, value any) func([]map[string]any) []map[string]any {
	return func(fields []map[string]any) []map[string]any {
		for _, f := range fields {
			if f["name"] == core.FieldNameId {
				f[key] = value
			}
		}
		return fields
	}
}

// TestOwnFieldsStayTheSuperusers: a field a superuser adds to one of
// Madang's collections is theirs to rename and delete, and a new relation
// of theirs may hold one record or several.
func TestOwnFieldsStayTheSuperusers(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	patch := func(edit func([]map[string]any) []map[string]any) {
		t.Helper()
		var body any
		if err := json.Unmarshal([]byte(collectionBody(t, app, "bookmarks", edit)), &body); err != nil {
			t.Fatal(err)
		}
		if r := testapp.Call(t, http.MethodPatch, base+"/api/collections/bookmarks", testapp.Token("root"), body); r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
	}
	patch(func(fields []map[string]any) []map[string]any {
		return append(fields, map[string]any{"name": "note", "type": "text"},
			map[string]any{"name": "shared_with", "type": "relation", "collectionId": users.Id, "maxSelect": 1})
	})
	patch(renamed("note", "memo"))
	patch(maxSelect("shared_with", 3))
	patch(without("memo"))
	if got, want := schemaOf(t, app, "bookmarks"), "id:text user:relation post:relation created:autodate shared_with:relation[] "; got != want {
		t.Errorf("bookmarks: %s, want %s", got, want)
	}
}

// TestCollectionsStayTheSuperusers: the collections API is PocketBase's,
// for superusers only; Madang's admins and members are refused it.
func TestCollectionsStayTheSuperusers(t *testing.T) {
	fixtures := testapp.New(t)
	for _, c := range []struct {
		role, message string
		status        int
	}{
		{"", "The request requires valid record authorization token.", 401},
		{testapp.Alice, "The authorized record is not allowed to perform this action.", 403},
		{testapp.Adam, "The authorized record is not allowed to perform this action.", 403},
	} {
		s := tests.ApiScenario{
			Name:            "rename comments.content as " + roleName(c.role),
			Method:          http.MethodPatch,
			URL:             "/api/collections/comments",
			Headers:         headersFor(c.role),
			ExpectedStatus:  c.status,
			ExpectedContent: []string{c.message},
			ExpectedEvents:  map[string]int{"*": 0},
			Body:            strings.NewReader(collectionBody(t, fixtures, "comments", renamed("content", "body"))),
			TestAppFactory:  testapp.Factory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if c, _ := app.FindCollectionByNameOrId("comments"); c.Fields.GetByName("content") == nil {
					t.Error("comments.content was renamed")
				}
			},
		}
		s.Test(t)
	}
}

// TestEveryMadangFieldIsSystem: every field of Madang's collections is in
// the contract list and a system field once the migrations ran, so a later
// migration that adds a field without marking it fails here.
func TestEveryMadangFieldIsSystem(t *testing.T) {
	app := testapp.NewEmpty(t)
	for name, listed := range migrations.ContractFields {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range c.Fields {
			if !f.GetSystem() {
				t.Errorf("%s.%s is not a system field (add it to ContractFields, or mark it in its migration)", name, f.GetName())
			}
			if !slices.Contains(listed, f.GetName()) && !isPocketBaseField(c, f) {
				t.Errorf("%s.%s is a system field not in ContractFields", name, f.GetName())
			}
		}
	}
	all, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if _, ok := migrations.ContractFields[c.Name]; !ok && !c.System {
			t.Errorf("collection %s is Madang's but not in ContractFields", c.Name)
		}
	}
}

// isPocketBaseField tells the fields PocketBase makes system itself: the
// id, and an auth collection's password, tokenKey, email, emailVisibility
// and verified.
func isPocketBaseField(c *core.Collection, f core.Field) bool {
	switch f.GetName() {
	case core.FieldNameId:
		return true
	case core.FieldNamePassword, core.FieldNameTokenKey, core.FieldNameEmail, core.FieldNameEmailVisibility, core.FieldNameVerified:
		return c.IsAuth()
	}
	return false
}
