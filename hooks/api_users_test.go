package hooks_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

const usersURL = "/api/collections/users/records"

func userURL(name string) string { return usersURL + "/" + testapp.ID(name) }

// countUsers asserts the number of users after a scenario.
func countUsers(want int) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		n, err := app.CountRecords("users")
		if err != nil {
			t.Fatal(err)
		}
		if int(n) != want {
			t.Fatalf("users in the database: got %d, want %d", n, want)
		}
	}
}

// fixtureUsers is how many users the fixtures hold.
const fixtureUsers = 6

// minsuNFD is 민수 as conjoining jamo (NFD), what some keyboards and
// macOS file names produce.
const minsuNFD = "\u1106\u1175\u11ab\u1109\u116e"

// withMinsu adds a member named 민수 (composed).
func withMinsu(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	u := core.NewRecord(users)
	u.Load(map[string]any{"name": "민수", "email": "minsu@example.com", "password": testapp.Password})
	if err := app.Save(u); err != nil {
		t.Fatal(err)
	}
}

func TestSignUp(t *testing.T) {
	scenarios := []tests.ApiScenario{
		{
			Name:            "guest signs up as a member",
			Method:          http.MethodPost,
			URL:             usersURL,
			Body:            strings.NewReader(`{"name":"김철수","email":"kim@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"name":"김철수"`, `"role":"member"`},
			ExpectedEvents:  testapp.CreateEvents(),
			TestAppFactory:  testapp.Factory,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				countUsers(fixtureUsers+1)(t, app, res)
				u, err := app.FindAuthRecordByEmail("users", "kim@example.com")
				if err != nil || u.GetString("role") != "member" || u.GetBool("banned") {
					t.Fatalf("new user: %v %v", u, err)
				}
			},
		},
	}
	for _, field := range []struct{ name, json string }{
		{"role", `"role":"admin"`},
		{"banned", `"banned":false`},
		{"ban_reason", `"ban_reason":"x"`},
		{"banned_until", `"banned_until":"2030-01-01 00:00:00Z"`},
		{"boards", `"boards":["` + testapp.ID(testapp.BoardGranted) + `"]`},
		{"boards", `"boards+":"` + testapp.ID(testapp.BoardGranted) + `"`},
	} {
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            "sign-up setting " + field.json + " is refused",
			Method:          http.MethodPost,
			URL:             usersURL,
			Body:            strings.NewReader(`{"name":"eve","email":"eve@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026",` + field.json + `}`),
			ExpectedStatus:  403,
			ExpectedContent: []string{`"` + field.name + `":{"code":"privileged_field"`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordCreateRequest": 1},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   countUsers(fixtureUsers),
		})
	}
	for _, bad := range []struct{ what, body, field string }{
		{"same name in other case", `{"name":"ALICE","email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`, "name"},
		{"same email", `{"name":"newbie","email":"alice@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`, "email"},
		{"one-letter name", `{"name":"x","email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`, "name"},
		{"name with a space", `{"name":"a b","email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`, "name"},
		{"name with markup", `{"name":"<b>x</b>","email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`, "name"},
		{"name too long", `{"name":"` + strings.Repeat("가", 65) + `","email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`, "name"},
		{"no name", `{"email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`, "name"},
		{"short password", `{"name":"newbie","email":"new@example.com","password":"short","passwordConfirm":"short"}`, "password"},
		{"bad email", `{"name":"newbie","email":"not-an-email","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`, "email"},
	} {
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            "sign-up with " + bad.what + " is refused",
			Method:          http.MethodPost,
			URL:             usersURL,
			Body:            strings.NewReader(bad.body),
			ExpectedStatus:  400,
			ExpectedContent: []string{`"data":{`, `"` + bad.field + `":{"code":`},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   countUsers(fixtureUsers),
		})
	}
	// PocketBase alone answers in rounds; a sign-up form shows every
	// problem at once
	scenarios = append(scenarios, tests.ApiScenario{
		Name:           "every problem of a sign-up at once: taken name, taken email, short password, mismatch",
		Method:         http.MethodPost,
		URL:            usersURL,
		Body:           strings.NewReader(`{"name":"Alice","email":"BOB@example.com","password":"short","passwordConfirm":"other"}`),
		ExpectedStatus: 400,
		ExpectedContent: []string{`"name":{"code":"validation_not_unique"`, `"email":{"code":"validation_not_unique"`,
			`"password":{"code":"validation_min_text_constraint"`, `"passwordConfirm":{"code":"validation_values_mismatch"`},
		TestAppFactory: testapp.Factory,
		AfterTestFunc:  countUsers(fixtureUsers),
	}, tests.ApiScenario{
		Name:            "a bad email and a missing confirmation at once",
		Method:          http.MethodPost,
		URL:             usersURL,
		Body:            strings.NewReader(`{"name":"newbie","email":"not-an-email","password":"fixture-pass-2026"}`),
		ExpectedStatus:  400,
		ExpectedContent: []string{`"email":{"code":"validation_is_email"`, `"passwordConfirm":{"code":"validation_required"`},
		TestAppFactory:  testapp.Factory,
		AfterTestFunc:   countUsers(fixtureUsers),
	})
	// an address is one account whatever its case (access.Emails and the
	// NOCASE unique index)
	scenarios = append(scenarios, tests.ApiScenario{
		Name:            "sign-up with a taken email in another case is refused as a duplicate",
		Method:          http.MethodPost,
		URL:             usersURL,
		Body:            strings.NewReader(`{"name":"newbie","email":"ALICE@Example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`),
		ExpectedStatus:  400,
		ExpectedContent: []string{`"email":{"code":"validation_not_unique"`},
		TestAppFactory:  testapp.Factory,
		AfterTestFunc:   countUsers(fixtureUsers),
	}, tests.ApiScenario{
		Name:            "a new email is stored lowercased",
		Method:          http.MethodPost,
		URL:             usersURL,
		Body:            strings.NewReader(`{"name":"newbie","email":"New.Bie@Example.COM","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`),
		ExpectedStatus:  200,
		ExpectedContent: []string{`"name":"newbie"`},
		ExpectedEvents:  testapp.CreateEvents(),
		TestAppFactory:  testapp.Factory,
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			countUsers(fixtureUsers+1)(t, app, res)
			if _, err := app.FindFirstRecordByData("users", "email", "new.bie@example.com"); err != nil {
				t.Errorf("the lowercased email is not stored: %v", err)
			}
		},
	})
	// names that look the same are the same name (access.Names): a
	// decomposed 민수 or a full-width alice is taken, and a new name typed
	// decomposed is stored composed
	scenarios = append(scenarios, tests.ApiScenario{
		Name:            "sign-up as 민수 typed in decomposed jamo beside 민수 is refused",
		Method:          http.MethodPost,
		URL:             usersURL,
		Body:            strings.NewReader(`{"name":"` + minsuNFD + `","email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`),
		ExpectedStatus:  400,
		ExpectedContent: []string{`"name":{"code":"validation_not_unique"`},
		TestAppFactory:  testapp.Factory,
		BeforeTestFunc:  withMinsu,
		AfterTestFunc:   countUsers(fixtureUsers + 1),
	}, tests.ApiScenario{
		// NFKC turns compatibility jamo into leading consonants and vowels:
		// ㄴ becomes the leading ᄂ, not the final of 민
		Name:            "compatibility jamo typed one by one (ㅁㅣㄴㅅㅜ) beside 민수 are a name of their own",
		Method:          http.MethodPost,
		URL:             usersURL,
		Body:            strings.NewReader(`{"name":"ㅁㅣㄴㅅㅜ","email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`),
		ExpectedStatus:  200,
		ExpectedContent: []string{`"name":"미ᄂ수"`},
		ExpectedEvents:  testapp.CreateEvents(),
		TestAppFactory:  testapp.Factory,
		BeforeTestFunc:  withMinsu,
		AfterTestFunc:   countUsers(fixtureUsers + 2),
	}, tests.ApiScenario{
		Name:            "sign-up as a full-width alice is refused",
		Method:          http.MethodPost,
		URL:             usersURL,
		Body:            strings.NewReader(`{"name":"ａｌｉｃｅ","email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`),
		ExpectedStatus:  400,
		ExpectedContent: []string{`"name":{"code":"validation_not_unique"`},
		TestAppFactory:  testapp.Factory,
		AfterTestFunc:   countUsers(fixtureUsers),
	}, tests.ApiScenario{
		Name:            "a new name typed in decomposed jamo is stored composed",
		Method:          http.MethodPost,
		URL:             usersURL,
		Body:            strings.NewReader(`{"name":"` + minsuNFD + `","email":"new@example.com","password":"fixture-pass-2026","passwordConfirm":"fixture-pass-2026"}`),
		ExpectedStatus:  200,
		ExpectedContent: []string{`"name":"민수"`},
		ExpectedEvents:  testapp.CreateEvents(),
		TestAppFactory:  testapp.Factory,
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			countUsers(fixtureUsers+1)(t, app, res)
			if _, err := app.FindFirstRecordByData("users", "name", "민수"); err != nil {
				t.Errorf("the composed name is not stored: %v", err)
			}
		},
	}, tests.ApiScenario{
		Name:            "renaming to a full-width bob is refused",
		Method:          http.MethodPatch,
		URL:             usersURL + "/" + testapp.ID(testapp.Alice),
		Headers:         map[string]string{"Authorization": testapp.Token(testapp.Alice)},
		Body:            strings.NewReader(`{"name":"ｂｏｂ"}`),
		ExpectedStatus:  400,
		ExpectedContent: []string{`"name":{"code":"validation_not_unique"`},
		TestAppFactory:  testapp.Factory,
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if u, err := app.FindRecordById("users", testapp.ID(testapp.Alice)); err != nil || u.GetString("name") != testapp.Alice {
				t.Errorf("alice after the refused rename: %v %v", u, err)
			}
		},
	})
	for _, s := range scenarios {
		s.Test(t)
	}
}

// signInEvents are the events of a password sign-in: PocketBase records
// the new device (an _authOrigins record) and answers the user enriched;
// updated is 1 when the sign-in also saves the user (a lifted ban).
func signInEvents(updated int) map[string]int {
	events := testapp.Events{Request: "AuthWithPassword", Created: 1, Updated: updated, Enriched: 1}.Map()
	events["OnRecordAuthRequest"] = 1
	return events
}

func TestSignIn(t *testing.T) {
	auth := usersURL[:len(usersURL)-len("/records")] + "/auth-with-password"
	scenarios := []tests.ApiScenario{
		{
			Name:            "by email",
			Method:          http.MethodPost,
			URL:             auth,
			Body:            strings.NewReader(`{"identity":"alice@example.com","password":"fixture-pass-2026"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"token":"`, `"id":"` + testapp.ID(testapp.Alice) + `"`},
			ExpectedEvents:  signInEvents(0),
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "by name",
			Method:          http.MethodPost,
			URL:             auth,
			Body:            strings.NewReader(`{"identity":"alice","password":"fixture-pass-2026"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"token":"`, `"id":"` + testapp.ID(testapp.Alice) + `"`},
			ExpectedEvents:  signInEvents(0),
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "by name in another case",
			Method:          http.MethodPost,
			URL:             auth,
			Body:            strings.NewReader(`{"identity":"ALICE","password":"fixture-pass-2026"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"token":"`, `"id":"` + testapp.ID(testapp.Alice) + `"`},
			ExpectedEvents:  signInEvents(0),
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "by email in another case",
			Method:          http.MethodPost,
			URL:             auth,
			Body:            strings.NewReader(`{"identity":"ALICE@Example.COM","password":"fixture-pass-2026"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"token":"`, `"id":"` + testapp.ID(testapp.Alice) + `"`},
			ExpectedEvents:  signInEvents(0),
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "by name typed full-width, as the name is stored (NFKC)",
			Method:          http.MethodPost,
			URL:             auth,
			Body:            strings.NewReader(`{"identity":"ａｌｉｃｅ","password":"fixture-pass-2026"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"token":"`, `"id":"` + testapp.ID(testapp.Alice) + `"`},
			ExpectedEvents:  signInEvents(0),
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "by name typed in decomposed jamo",
			Method:          http.MethodPost,
			URL:             auth,
			Body:            strings.NewReader(`{"identity":"` + minsuNFD + `","password":"fixture-pass-2026"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"token":"`, `"name":"민수"`},
			ExpectedEvents:  signInEvents(0),
			TestAppFactory:  testapp.Factory,
			BeforeTestFunc:  withMinsu,
		},
		{
			Name:               "by name typed full-width with a wrong password",
			Method:             http.MethodPost,
			URL:                auth,
			Body:               strings.NewReader(`{"identity":"ａｌｉｃｅ","password":"wrong-password"}`),
			ExpectedStatus:     400,
			ExpectedContent:    []string{"Failed to authenticate."},
			NotExpectedContent: []string{`"token"`},
			TestAppFactory:     testapp.Factory,
		},
		{
			Name:               "wrong password does not reveal a ban",
			Method:             http.MethodPost,
			URL:                auth,
			Body:               strings.NewReader(`{"identity":"ben","password":"wrong-password"}`),
			ExpectedStatus:     400,
			NotExpectedContent: []string{"banned"},
			TestAppFactory:     testapp.Factory,
		},
		{
			Name:               "banned user is refused with the reason",
			Method:             http.MethodPost,
			URL:                auth,
			Body:               strings.NewReader(`{"identity":"ben@example.com","password":"fixture-pass-2026"}`),
			ExpectedStatus:     403,
			ExpectedContent:    []string{"This account is banned permanently.", "Reason: spam"},
			NotExpectedContent: []string{`"token"`},
			TestAppFactory:     testapp.Factory,
		},
		{
			Name:            "temporarily banned user is told until when",
			Method:          http.MethodPost,
			URL:             auth,
			Body:            strings.NewReader(`{"identity":"bob","password":"fixture-pass-2026"}`),
			ExpectedStatus:  403,
			ExpectedContent: []string{"This account is banned until 2099-01-02 03:04 UTC."},
			TestAppFactory:  testapp.Factory,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				ban(t, app, testapp.Bob, "2099-01-02 03:04:00.000Z")
			},
		},
		{
			Name:            "expired ban lifts at sign-in",
			Method:          http.MethodPost,
			URL:             auth,
			Body:            strings.NewReader(`{"identity":"bob","password":"fixture-pass-2026"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"token":"`, `"banned":false`},
			// the new device, the lifted ban and its moderation log line
			// (unban); bob's ban_lifted notification is written with SQL
			ExpectedEvents: func() map[string]int {
				events := testapp.Events{Request: "AuthWithPassword", Created: 2, Updated: 1, Enriched: 1}.Map()
				events["OnRecordAuthRequest"] = 1
				return events
			}(),
			TestAppFactory: testapp.Factory,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				// the sign-in is the lift under test: the minutely sweep
				// (LiftExpiredBans) could otherwise lift it first and add an
				// update (CI caught that once)
				app.Cron().Remove("madang_lift_expired_bans")
				ban(t, app, testapp.Bob, "2099-01-01 00:00:00.000Z")
				// move the end into the past without going through hooks
				_, err := app.DB().NewQuery("UPDATE users SET banned_until = '2020-01-01 00:00:00.000Z' WHERE id = {:id}").
					Bind(map[string]any{"id": testapp.ID(testapp.Bob)}).Execute()
				if err != nil {
					t.Fatal(err)
				}
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				bob, _ := app.FindRecordById("users", testapp.ID(testapp.Bob))
				if bob.GetBool("banned") || !bob.GetDateTime("banned_until").IsZero() {
					t.Fatalf("ban not lifted: banned=%v until=%v", bob.GetBool("banned"), bob.GetDateTime("banned_until"))
				}
				notices, err := app.FindAllRecords("notifications", dbx.HashExp{"user": bob.Id, "kind": "ban_lifted"})
				if err != nil || len(notices) != 1 {
					t.Fatalf("bob's ban_lifted notifications: %d (%v), want 1", len(notices), err)
				}
			},
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// ban bans a fixture user through the app (so all hooks run).
func ban(t testing.TB, app core.App, name, until string) {
	t.Helper()
	u, err := app.FindRecordById("users", testapp.ID(name))
	if err != nil {
		t.Fatal(err)
	}
	u.Set("banned", true)
	u.Set("banned_until", until)
	if err := app.Save(u); err != nil {
		t.Fatal(err)
	}
}

func TestUsersListAndView(t *testing.T) {
	scenarios := []tests.ApiScenario{
		{
			Name:            "admin lists every user with private fields",
			Method:          http.MethodGet,
			URL:             usersURL,
			Headers:         testapp.Auth(testapp.Adam),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":6`, `"banned":true`, `"ban_reason":"spam"`},
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "superuser lists every user",
			Method:          http.MethodGet,
			URL:             usersURL,
			Headers:         testapp.Auth("root"),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":6`},
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "member gets an empty list",
			Method:          http.MethodGet,
			URL:             usersURL,
			Headers:         testapp.Auth(testapp.Alice),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":0`, `"items":[]`},
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "guest gets an empty list",
			Method:          http.MethodGet,
			URL:             usersURL,
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":0`, `"items":[]`},
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "a user sees all own fields",
			Method:          http.MethodGet,
			URL:             userURL(testapp.Gina),
			Headers:         testapp.Auth(testapp.Gina),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"email":"gina@example.com"`, `"banned":false`, `"boards":["` + testapp.ID(testapp.BoardGranted), `"updated":`},
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:               "another member sees only the public profile",
			Method:             http.MethodGet,
			URL:                userURL(testapp.Gina),
			Headers:            testapp.Auth(testapp.Alice),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"name":"gina"`, `"role":"member"`, `"created":`, `"avatar":`},
			NotExpectedContent: []string{`"email"`, `"banned"`, `"boards"`, `"ban_reason"`, `"updated"`, `"verified"`},
			TestAppFactory:     testapp.Factory,
		},
		{
			Name:               "a guest sees only the public profile",
			Method:             http.MethodGet,
			URL:                userURL(testapp.Ben),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"name":"ben"`},
			NotExpectedContent: []string{`"email"`, `"banned"`, `"ban_reason"`, `"boards"`},
			TestAppFactory:     testapp.Factory,
		},
		{
			Name:            "an admin sees another user's private fields",
			Method:          http.MethodGet,
			URL:             userURL(testapp.Ben),
			Headers:         testapp.Auth(testapp.Adam),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"banned":true`, `"ban_reason":"spam"`, `"email":"ben@example.com"`},
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "a banned user's live token is refused",
			Method:          http.MethodGet,
			URL:             userURL(testapp.Ben),
			Headers:         testapp.Auth(testapp.Ben),
			ExpectedStatus:  401,
			ExpectedContent: []string{"This account is banned", `"banned":{"code":"account_banned"`, `"params":{"reason":`},
			TestAppFactory:  testapp.Factory,
		},
		{
			Name:            "a forged token is refused, not treated as a guest",
			Method:          http.MethodGet,
			URL:             userURL(testapp.Alice),
			Headers:         map[string]string{"Authorization": "not-a-token"},
			ExpectedStatus:  401,
			ExpectedContent: []string{"sign in again"},
			TestAppFactory:  testapp.Factory,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// fieldUnchanged asserts that a user's field still has its fixture value.
func fieldUnchanged(name, field string, want any) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		u, err := app.FindRecordById("users", testapp.ID(name))
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Get(field); !equalish(got, want) {
			t.Fatalf("%s.%s: got %v, want %v", name, field, got, want)
		}
	}
}

func equalish(got, want any) bool {
	switch w := want.(type) {
	case []string:
		g, _ := got.([]string)
		return strings.Join(g, ",") == strings.Join(w, ",")
	case string:
		if d, ok := got.(interface{ String() string }); ok {
			return d.String() == w
		}
	}
	return got == want
}

func TestUsersUpdate(t *testing.T) {
	granted := testapp.ID(testapp.BoardGranted)
	var scenarios []tests.ApiScenario
	// Self-update of each privileged field is refused and changes nothing.
	for _, f := range []struct {
		field, json string
		fixture     any
	}{
		{"role", `{"role":"admin"}`, "member"},
		{"banned", `{"banned":true}`, false},
		{"ban_reason", `{"ban_reason":"x"}`, ""},
		{"banned_until", `{"banned_until":"2099-01-01 00:00:00Z"}`, ""},
		{"boards", `{"boards":["` + granted + `"]}`, []string{}},
		{"boards", `{"boards+":"` + granted + `"}`, []string{}},
	} {
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            "self-update " + f.json + " is refused",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Alice),
			Headers:         testapp.Auth(testapp.Alice),
			Body:            strings.NewReader(f.json),
			ExpectedStatus:  403,
			ExpectedContent: []string{`"` + f.field + `":{"code":"privileged_field"`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordUpdateRequest": 1},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Alice, f.field, f.fixture),
		})
	}
	scenarios = append(scenarios,
		tests.ApiScenario{
			Name:            "self-update of the name works; echoing unchanged privileged fields is fine",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Alice),
			Headers:         testapp.Auth(testapp.Alice),
			Body:            strings.NewReader(`{"name":"앨리스","role":"member","banned":false}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"name":"앨리스"`},
			ExpectedEvents:  testapp.UpdateEvents(),
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Alice, "name", "앨리스"),
		},
		tests.ApiScenario{
			Name:            "renaming to another user's name in other case is refused",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Alice),
			Headers:         testapp.Auth(testapp.Alice),
			Body:            strings.NewReader(`{"name":"Bob"}`),
			ExpectedStatus:  400,
			ExpectedContent: []string{`"name":{"code":`},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Alice, "name", "alice"),
		},
		tests.ApiScenario{
			Name:            "a member cannot edit another member",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Bob),
			Headers:         testapp.Auth(testapp.Alice),
			Body:            strings.NewReader(`{"name":"hacked"}`),
			ExpectedStatus:  404,
			ExpectedContent: []string{`"status":404`},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Bob, "name", "bob"),
		},
		tests.ApiScenario{
			Name:            "a guest cannot edit anyone",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Bob),
			Body:            strings.NewReader(`{"name":"hacked"}`),
			ExpectedStatus:  404,
			ExpectedContent: []string{`"status":404`},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Bob, "name", "bob"),
		},
		tests.ApiScenario{
			Name:            "an admin grants a board",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Alice),
			Headers:         testapp.Auth(testapp.Adam),
			Body:            strings.NewReader(`{"boards+":"` + granted + `"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"boards":["` + granted + `"]`},
			ExpectedEvents:  loggedUpdate(),
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Alice, "boards", []string{granted}),
		},
		tests.ApiScenario{
			Name:            "an admin revokes a board",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Gina),
			Headers:         testapp.Auth(testapp.Adam),
			Body:            strings.NewReader(`{"boards-":"` + granted + `"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"boards":["` + testapp.ID(testapp.BoardGrantW) + `"]`},
			ExpectedEvents:  loggedUpdate(),
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Gina, "boards", []string{testapp.ID(testapp.BoardGrantW)}),
		},
		tests.ApiScenario{
			Name:            "an admin bans a member",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Alice),
			Headers:         testapp.Auth(testapp.Adam),
			Body:            strings.NewReader(`{"banned":true,"ban_reason":"spam","banned_until":"2099-01-01 00:00:00Z"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"banned":true`},
			ExpectedEvents:  loggedUpdate(),
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Alice, "banned", true),
		},
		tests.ApiScenario{
			Name:            "an admin cannot change roles",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Alice),
			Headers:         testapp.Auth(testapp.Adam),
			Body:            strings.NewReader(`{"role":"admin"}`),
			ExpectedStatus:  403,
			ExpectedContent: []string{"Only superusers and the command line can change roles."},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Alice, "role", "member"),
		},
		tests.ApiScenario{
			Name:            "an admin cannot demote another admin",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Ada),
			Headers:         testapp.Auth(testapp.Adam),
			Body:            strings.NewReader(`{"role":"member"}`),
			ExpectedStatus:  403,
			ExpectedContent: []string{`"role":{"code":"privileged_field"`},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Ada, "role", "admin"),
		},
		tests.ApiScenario{
			Name:            "an admin cannot ban another admin",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Ada),
			Headers:         testapp.Auth(testapp.Adam),
			Body:            strings.NewReader(`{"banned":true}`),
			ExpectedStatus:  403,
			ExpectedContent: []string{"Admins cannot ban or unban other admins"},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Ada, "banned", false),
		},
		tests.ApiScenario{
			Name:            "an admin cannot ban themselves, and is told so",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Adam),
			Headers:         testapp.Auth(testapp.Adam),
			Body:            strings.NewReader(`{"banned":true}`),
			ExpectedStatus:  403,
			ExpectedContent: []string{"Admins cannot ban or unban themselves"},
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Adam, "banned", false),
		},
		tests.ApiScenario{
			Name:            "a superuser makes an admin",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Alice),
			Headers:         testapp.Auth("root"),
			Body:            strings.NewReader(`{"role":"admin"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"role":"admin"`},
			ExpectedEvents:  loggedUpdate(), // role_change
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Alice, "role", "admin"),
		},
		tests.ApiScenario{
			Name:            "a superuser bans an admin",
			Method:          http.MethodPatch,
			URL:             userURL(testapp.Ada),
			Headers:         testapp.Auth("root"),
			Body:            strings.NewReader(`{"banned":true}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"banned":true`},
			ExpectedEvents:  loggedUpdate(),
			TestAppFactory:  testapp.Factory,
			AfterTestFunc:   fieldUnchanged(testapp.Ada, "banned", true),
		},
	)
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestBanEndsEverySession(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice := testapp.Token(testapp.Alice)

	if r := testapp.Call(t, "GET", base+userURL(testapp.Alice), alice, nil); r.Status != 200 {
		t.Fatalf("before the ban: %d %s", r.Status, r.Raw)
	}
	r := testapp.Call(t, "PATCH", base+userURL(testapp.Alice), testapp.Token(testapp.Adam),
		map[string]any{"banned": true, "ban_reason": "spam"})
	if r.Status != 200 {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	if r := testapp.Call(t, "GET", base+userURL(testapp.Alice), alice, nil); r.Status != 401 {
		t.Fatalf("old token on a request: got %d, want 401 (%s)", r.Status, r.Raw)
	}
	if r := testapp.Call(t, "POST", base+"/api/collections/users/auth-refresh", alice, nil); r.Status != 401 {
		t.Fatalf("old token on auth-refresh: got %d, want 401 (%s)", r.Status, r.Raw)
	}
	r = testapp.Call(t, "POST", base+"/api/collections/users/auth-with-password", alice,
		map[string]any{"identity": "alice", "password": testapp.Password})
	if r.Status != 403 || !strings.Contains(r.Raw, "Reason: spam") ||
		!strings.Contains(r.Raw, `"banned":{"code":"account_banned"`) ||
		!strings.Contains(r.Raw, `"params":{"reason":"spam","until":""}`) {
		t.Fatalf("sign-in while banned: %d %s", r.Status, r.Raw)
	}

	// Unbanned, the user signs in again (even with the dead token still sent).
	r = testapp.Call(t, "PATCH", base+userURL(testapp.Alice), testapp.Token(testapp.Adam), map[string]any{"banned": false})
	if r.Status != 200 {
		t.Fatalf("unban: %d %s", r.Status, r.Raw)
	}
	r = testapp.Call(t, "POST", base+"/api/collections/users/auth-with-password", alice,
		map[string]any{"identity": "alice", "password": testapp.Password})
	if r.Status != 200 {
		t.Fatalf("sign-in after unban: %d %s", r.Status, r.Raw)
	}
}

func TestLiftExpiredBans(t *testing.T) {
	app := testapp.New(t)
	ban(t, app, testapp.Alice, time.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04:05.000Z"))
	ban(t, app, testapp.Bob, time.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04:05.000Z"))
	if _, err := app.DB().NewQuery("UPDATE users SET banned_until = '2020-01-01 00:00:00.000Z' WHERE id = {:id}").
		Bind(map[string]any{"id": testapp.ID(testapp.Alice)}).Execute(); err != nil {
		t.Fatal(err)
	}
	n, err := hooksLiftExpiredBans(app)
	if err != nil || n != 1 {
		t.Fatalf("lifted %d (err %v), want 1", n, err)
	}
	for name, want := range map[string]bool{testapp.Alice: false, testapp.Bob: true, testapp.Ben: true} {
		u, _ := app.FindRecordById("users", testapp.ID(name))
		if u.GetBool("banned") != want {
			t.Errorf("%s banned = %v, want %v", name, u.GetBool("banned"), want)
		}
	}
}

// loggedUpdate are the events of a moderator's change to a user: the
// update and its moderation log line.
func loggedUpdate() map[string]int {
	return testapp.Events{Request: "Update", Updated: 1, Created: 1, Enriched: 1}.Map()
}

// TestBanFieldsAreStrict: banned and banned_until are read as sent. A
// value PocketBase would cast is refused, 400 naming the field, for
// admins and superusers alike, and changes nothing: until 2026-12-03
// "next friday" stored a permanent ban and "yes", 2 or "no" unbanned.
// A null banned counts as not sent, as is_visible's; a null banned_until
// is no end.
func TestBanFieldsAreStrict(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	snap := testapp.TakeSnapshot(t, app, "users", "moderation_log")
	for _, who := range []string{testapp.Adam, "root"} {
		for _, until := range []any{"next friday", "tomorrow", "2026-13-45", 20991231, true, []any{}} {
			r := testapp.Call(t, http.MethodPatch, base+userURL(testapp.Alice), testapp.Token(who),
				map[string]any{"banned": true, "ban_reason": "spam", "banned_until": until})
			if code, _ := digJSON(r.Body, "data", "banned_until", "code"); r.Status != 400 || code != "validation_invalid_date" {
				t.Errorf("%s bans with banned_until %#v: %d %s, want 400 naming banned_until", who, until, r.Status, r.Raw)
			}
		}
		for _, banned := range []any{"yes", "no", 2, 0.5, "", map[string]any{}} { // 1 and 0 are booleans, as for is_visible
			r := testapp.Call(t, http.MethodPatch, base+userURL(testapp.Ben), testapp.Token(who), map[string]any{"banned": banned})
			if code, _ := digJSON(r.Body, "data", "banned", "code"); r.Status != 400 || code != "validation_invalid_bool" {
				t.Errorf("%s sends banned %#v: %d %s, want 400 naming banned", who, banned, r.Status, r.Raw)
			}
		}
	}
	snap.AssertUnchanged(t, app)

	r := testapp.Call(t, http.MethodPatch, base+userURL(testapp.Ben), testapp.Token(testapp.Adam),
		map[string]any{"banned": nil, "ban_reason": "still spam"})
	if r.Status != 200 || r.Body["banned"] != true || r.Body["ban_reason"] != "still spam" {
		t.Errorf("banned null: %d %s, want the ban kept", r.Status, r.Raw)
	}
	for _, until := range []string{"2099-01-02", "2099-01-02 03:04:05Z", "2099-01-02T13:04:05+09:00"} {
		r := testapp.Call(t, http.MethodPatch, base+userURL(testapp.Alice), testapp.Token(testapp.Adam),
			map[string]any{"banned": "true", "banned_until": until})
		if u, _ := app.FindRecordById("users", testapp.ID(testapp.Alice)); r.Status != 200 || !u.GetBool("banned") ||
			u.GetDateTime("banned_until").Time().Format("2006-01-02") != "2099-01-02" {
			t.Errorf("a ban until %q: %d %s", until, r.Status, r.Raw)
		}
	}
	r = testapp.Call(t, http.MethodPatch, base+userURL(testapp.Alice), testapp.Token(testapp.Adam),
		map[string]any{"banned": true, "banned_until": nil})
	if u, _ := app.FindRecordById("users", testapp.ID(testapp.Alice)); r.Status != 200 || !u.GetDateTime("banned_until").IsZero() {
		t.Errorf("banned_until null: %d %s, want a permanent ban", r.Status, r.Raw)
	}
}

// TestUnbanClearsTheBan: lifting a ban clears its end and reason, whoever
// lifts it (an admin, a superuser, a save of the model as the dashboard and
// the CLI make), so a later permanent ban stays permanent; a ban whose end
// is already past is refused, 400 naming banned_until, and changes nothing.
// Until 2026-12-03 an API unban left both, and the minute job lifted the
// next "permanent" ban.
func TestUnbanClearsTheBan(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	user := func(name string) *core.Record {
		u, err := app.FindRecordById("users", testapp.ID(name))
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	patch := func(who, name string, body map[string]any) testapp.Response {
		return testapp.Call(t, http.MethodPatch, base+userURL(name), testapp.Token(who), body)
	}
	cleared := func(how, name string) {
		t.Helper()
		if u := user(name); u.GetBool("banned") || u.GetString("ban_reason") != "" || !u.GetDateTime("banned_until").IsZero() {
			t.Errorf("%s: banned %v, reason %q, until %v; want all cleared", how, u.GetBool("banned"), u.GetString("ban_reason"), u.GetDateTime("banned_until"))
		}
	}

	for _, who := range []string{testapp.Adam, "root"} {
		if r := patch(who, testapp.Alice, map[string]any{"banned": true, "ban_reason": "spam", "banned_until": "2099-01-01"}); r.Status != 200 {
			t.Fatalf("%s bans until 2099: %d %s", who, r.Status, r.Raw)
		}
		if r := patch(who, testapp.Alice, map[string]any{"banned": false}); r.Status != 200 || r.Body["ban_reason"] != "" || r.Body["banned_until"] != "" {
			t.Errorf("%s unbans: %d %s, want the end and reason cleared", who, r.Status, r.Raw)
		}
		cleared(who+"'s unban", testapp.Alice)
	}
	// the "permanent" ban after it is permanent: the minute job leaves it
	if r := patch(testapp.Adam, testapp.Alice, map[string]any{"banned": true, "ban_reason": "permanent"}); r.Status != 200 {
		t.Fatalf("permanent ban: %d %s", r.Status, r.Raw)
	}
	if n, err := hooksLiftExpiredBans(app); err != nil || n != 0 || !user(testapp.Alice).GetBool("banned") ||
		!user(testapp.Alice).GetDateTime("banned_until").IsZero() {
		t.Errorf("after the minute job: lifted %d (%v), banned %v until %v; want a permanent ban", n, err,
			user(testapp.Alice).GetBool("banned"), user(testapp.Alice).GetDateTime("banned_until"))
	}

	// a ban that ends in the past is refused, by admins, superusers and model saves alike
	snap := testapp.TakeSnapshot(t, app, "users", "moderation_log")
	for _, who := range []string{testapp.Adam, "root"} {
		for _, name := range []string{testapp.Bob, testapp.Ben} { // newly banned; banned already, a new end
			r := patch(who, name, map[string]any{"banned": true, "banned_until": "2020-01-01 00:00:00Z"})
			if code, _ := digJSON(r.Body, "data", "banned_until", "code"); r.Status != 400 || code != "validation_ban_in_past" {
				t.Errorf("%s bans %s until 2020: %d %s, want 400 naming banned_until", who, name, r.Status, r.Raw)
			}
		}
	}
	bob := user(testapp.Bob)
	bob.Set("banned", true)
	bob.Set("banned_until", time.Now().Add(-time.Minute))
	if err := app.Save(bob); err == nil || !strings.Contains(err.Error(), "banned_until") {
		t.Errorf("a model save banning until a minute ago: %v, want refused naming banned_until", err)
	}
	snap.AssertUnchanged(t, app)

	// a reason or an end for a user who is not banned, or one sent with
	// the unban, is refused naming it (until 2026-12-07: 200 and dropped)
	for _, who := range []string{testapp.Adam, "root"} {
		for _, c := range []struct {
			name string
			body map[string]any
		}{
			{testapp.Bob, map[string]any{"ban_reason": "plain reason"}},
			{testapp.Bob, map[string]any{"banned_until": "2099-01-01 00:00:00Z"}},
			{testapp.Alice, map[string]any{"banned": false, "ban_reason": "plain reason", "banned_until": "2099-01-01 00:00:00Z"}},
		} {
			body := c.body
			r := patch(who, c.name, body)
			for field := range body {
				if field == "banned" {
					continue
				}
				if code, _ := digJSON(r.Body, "data", field, "code"); r.Status != 400 || code != "validation_ban_detail_without_ban" {
					t.Errorf("%s sends %v for %s: %d %s, want 400 naming %s", who, body, c.name, r.Status, r.Raw, field)
				}
			}
		}
	}
	bob.Set("banned", false)
	bob.Set("ban_reason", "in a model save")
	if err := app.Save(bob); err == nil || !strings.Contains(err.Error(), "ban_reason") {
		t.Errorf("a model save of a reason without a ban: %v, want refused naming ban_reason", err)
	}
	snap.AssertUnchanged(t, app)
	// the web client's unban sends both empty: fine
	if r := patch(testapp.Adam, testapp.Alice, map[string]any{"banned": false, "ban_reason": "", "banned_until": ""}); r.Status != 200 {
		t.Errorf("an unban with empty details: %d %s", r.Status, r.Raw)
	}

	// a model save (dashboard, CLI) that unbans clears the end and reason too
	ben := user(testapp.Ben)
	ben.Set("banned_until", time.Now().Add(time.Hour))
	if err := app.Save(ben); err != nil {
		t.Fatal(err)
	}
	ben = user(testapp.Ben)
	ben.Set("banned", false)
	if err := app.Save(ben); err != nil {
		t.Fatal(err)
	}
	cleared("a model save's unban", testapp.Ben)
}

// TestBanReasonIsShownAsWritten: a ban's reason is an admin's free text,
// shown to the banned member as written in both the message and
// data.banned — also when it looks like a template. Until 2026-12-04 a
// reason with "{{" made the sign-in a 500 (the error's message was parsed
// as a Go template) and "{{.until}}" printed the ban's end.
func TestBanReasonIsShownAsWritten(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice := testapp.Token(testapp.Alice)
	const reason = `욕설 {{ 도배 {{.until}} {{.reason}} }}`
	r := testapp.Call(t, "PATCH", base+userURL(testapp.Alice), testapp.Token(testapp.Adam),
		map[string]any{"banned": true, "ban_reason": reason})
	if r.Status != 200 {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	type answer struct {
		Message string `json:"message"`
		Data    struct {
			Banned struct {
				Code, Message string
				Params        map[string]string
			} `json:"banned"`
		} `json:"data"`
	}
	// a ban written straight to the database (a second process, before the
	// users-saved-elsewhere look) leaves bob's token alive: it is refused
	// with the ban
	if _, err := app.DB().NewQuery("UPDATE users SET banned = TRUE, ban_reason = {:reason} WHERE id = {:id}").
		Bind(map[string]any{"reason": reason, "id": testapp.ID(testapp.Bob)}).Execute(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, token, method, path string
		body                      any
		status                    int
	}{
		{"sign-in", alice, "POST", "/api/collections/users/auth-with-password", map[string]any{"identity": "alice", "password": testapp.Password}, 403},
		{"a live token", testapp.Token(testapp.Bob), "GET", userURL(testapp.Bob), nil, 401},
	} {
		r := testapp.Call(t, c.method, base+c.path, c.token, c.body)
		var a answer
		if err := json.Unmarshal([]byte(r.Raw), &a); err != nil || r.Status != c.status {
			t.Fatalf("%s: %d %s (%v)", c.name, r.Status, r.Raw, err)
		}
		want := "This account is banned permanently. Reason: " + reason + "."
		if a.Message != want || a.Data.Banned.Message != want || a.Data.Banned.Code != "account_banned" ||
			a.Data.Banned.Params["reason"] != reason {
			t.Fatalf("%s: the reason is not shown as written: %s", c.name, r.Raw)
		}
	}
}
