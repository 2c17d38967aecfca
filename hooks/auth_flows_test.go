package hooks_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/mailer"

	"madang/hooks"
	"madang/internal/testapp"
)

func TestPasswordResetByMail(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	oldToken := testapp.Token(testapp.Bob)

	r := testapp.Call(t, "POST", base+"/api/collections/users/request-password-reset", "", map[string]any{"email": "bob@example.com"})
	if r.Status != 204 {
		t.Fatalf("request reset: %d %s", r.Status, r.Raw)
	}
	mail := waitForMail(t, app, 1)
	if mail.To[0].Address != "bob@example.com" || !strings.Contains(mail.Subject, "Reset your password") ||
		!strings.Contains(mail.HTML, "비밀번호 재설정") {
		t.Fatalf("mail: to %v subject %q", mail.To, mail.Subject)
	}
	m := regexp.MustCompile(`#/reset-password/([\w.\-]+)`).FindStringSubmatch(mail.HTML)
	if m == nil {
		t.Fatalf("no reset link in %s", mail.HTML)
	}

	r = testapp.Call(t, "POST", base+"/api/collections/users/confirm-password-reset", "", map[string]any{
		"token": m[1], "password": "brand-new-pass", "passwordConfirm": "brand-new-pass"})
	if r.Status != 204 {
		t.Fatalf("confirm reset: %d %s", r.Status, r.Raw)
	}

	signIn := func(password string) int {
		return testapp.Call(t, "POST", base+"/api/collections/users/auth-with-password", "",
			map[string]any{"identity": "bob@example.com", "password": password}).Status
	}
	if s := signIn(testapp.Password); s != 400 {
		t.Fatalf("old password: %d, want 400", s)
	}
	if s := signIn("brand-new-pass"); s != 200 {
		t.Fatalf("new password: %d, want 200", s)
	}
	if r := testapp.Call(t, "GET", base+userURL(testapp.Bob), oldToken, nil); r.Status != 401 {
		t.Fatalf("token from before the reset: %d, want 401", r.Status)
	}
}

// TestEmailLookAlikesAndLengths: an address with a dot ending its domain is
// stored without it, so it is the same account's (400 not unique beside
// it); an address past RFC 5321's lengths is refused naming the field.
// Until 2026-12-07 bob@example.com. was a second account and a 300-letter
// name before the @ was taken.
func TestEmailLookAlikesAndLengths(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	signUp := func(name, email string) testapp.Response {
		return testapp.Call(t, "POST", base+"/api/collections/users/records", "", map[string]any{
			"name": name, "email": email, "password": "a long passphrase 7", "passwordConfirm": "a long passphrase 7"})
	}
	snap := testapp.TakeSnapshot(t, app, "users")
	if r := signUp("twin", "bob@example.com."); r.Status != 400 || !strings.Contains(r.Raw, `"email":{"code":"validation_not_unique"`) {
		t.Errorf("bob's address with a trailing dot: %d %s", r.Status, r.Raw)
	}
	for _, email := range []string{strings.Repeat("a", 65) + "@example.com", "a@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + "." + strings.Repeat("e", 60) + ".com"} {
		if r := signUp("longmail", email); r.Status != 400 || !strings.Contains(r.Raw, `"email":{"code":"validation_email_too_long"`) {
			t.Errorf("a sign-up with %d characters of address: %d %s", len(email), r.Status, r.Raw)
		}
	}
	snap.AssertUnchanged(t, app)
	if r := signUp("dotted", "Dotted@Example.org."); r.Status != 200 || r.Body["email"] != nil && r.Body["email"] != "dotted@example.org" {
		t.Errorf("a new address with a trailing dot: %d %s", r.Status, r.Raw)
	}
	if u, err := app.FindFirstRecordByData("users", "name", "dotted"); err != nil || u.Email() != "dotted@example.org" {
		t.Errorf("stored: %v %v, want dotted@example.org", u, err)
	}
	if r := signUp("sixtyfour", strings.Repeat("a", 64)+"@example.com"); r.Status != 200 {
		t.Errorf("64 characters before the @: %d %s", r.Status, r.Raw)
	}
}

// TestEmailsIgnoreCase: an address typed in another case reaches its
// account in a reset, is refused as a new email when another account holds
// it, is stored lowercased when an email change is confirmed, and signs a
// superuser in.
func TestEmailsIgnoreCase(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	collection := base + "/api/collections/users"

	r := testapp.Call(t, "POST", collection+"/request-password-reset", "", map[string]any{"email": "BOB@Example.com"})
	if r.Status != 204 {
		t.Fatalf("request reset: %d %s", r.Status, r.Raw)
	}
	mail := waitForMail(t, app, 1)
	if mail.To[0].Address != "bob@example.com" || !strings.Contains(mail.Subject, "Reset your password") {
		t.Fatalf("reset mail: to %v subject %q", mail.To, mail.Subject)
	}

	alice := testapp.Token(testapp.Alice)
	r = testapp.Call(t, "POST", collection+"/request-email-change", alice, map[string]any{"newEmail": "BOB@example.com"})
	if r.Status != 400 || !strings.Contains(r.Raw, `"newEmail":{"code":"validation_invalid_new_email"`) {
		t.Fatalf("email change to bob's address in capitals: %d %s, want 400 naming newEmail", r.Status, r.Raw)
	}
	r = testapp.Call(t, "POST", collection+"/request-email-change", alice, map[string]any{"newEmail": "Alice.New@Example.com"})
	if r.Status != 204 {
		t.Fatalf("request email change: %d %s", r.Status, r.Raw)
	}
	mail = waitForMail(t, app, 2)
	m := regexp.MustCompile(`confirm-email-change/([\w.\-]+)`).FindStringSubmatch(mail.HTML)
	if m == nil {
		t.Fatalf("no confirmation link in %s", mail.HTML)
	}
	r = testapp.Call(t, "POST", collection+"/confirm-email-change", "", map[string]any{"token": m[1], "password": testapp.Password})
	if r.Status != 204 {
		t.Fatalf("confirm email change: %d %s", r.Status, r.Raw)
	}
	if u, err := app.FindRecordById("users", testapp.ID(testapp.Alice)); err != nil || u.Email() != "alice.new@example.com" {
		t.Fatalf("alice's email after the change: %v %v, want alice.new@example.com", u.Email(), err)
	}

	r = testapp.Call(t, "POST", base+"/api/collections/_superusers/auth-with-password", "",
		map[string]any{"identity": strings.ToUpper(testapp.SuperuserEmail), "password": testapp.Password})
	if r.Status != 200 {
		t.Fatalf("superuser sign-in with the email in capitals: %d %s", r.Status, r.Raw)
	}
}

// waitForMail waits until app has sent n mails (PocketBase sends from a
// goroutine after answering) and returns the last one.
func waitForMail(t *testing.T, app *tests.TestApp, n int) mailer.Message {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); app.TestMailer.TotalSend() < n && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if app.TestMailer.TotalSend() != n {
		t.Fatalf("mails sent: %d, want %d", app.TestMailer.TotalSend(), n)
	}
	return app.TestMailer.LastMessage()
}

// TestDeadTokenOnSignUp: sign-up (through the collection's name or id)
// and the health check answer a request that still carries a dead or
// malformed token as a guest's; reading with it still answers 401.
func TestDeadTokenOnSignUp(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	dead := testapp.Token(testapp.Alice)
	if r := testapp.Call(t, "POST", base+"/api/users/sign-out-everywhere", dead, nil); r.Status != 204 {
		t.Fatalf("sign-out-everywhere: %d %s", r.Status, r.Raw)
	}
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	for i, token := range []string{dead, "garbage"} {
		for j, collection := range []string{"users", users.Id} {
			email := fmt.Sprintf("new%d%d@example.com", i, j)
			r := testapp.Call(t, "POST", base+"/api/collections/"+collection+"/records", token, map[string]any{
				"name": fmt.Sprintf("new%d%d", i, j), "email": email, "password": testapp.Password, "passwordConfirm": testapp.Password})
			if r.Status != 200 {
				t.Fatalf("sign-up at %s with token %.10s…: %d %s, want 200", collection, token, r.Status, r.Raw)
			}
			if u, err := app.FindAuthRecordByEmail("users", email); err != nil || u.GetString("role") != "member" {
				t.Fatalf("the new member %s: %v %v", email, u, err)
			}
		}
		if r := testapp.Call(t, "GET", base+"/api/health", token, nil); r.Status != 200 {
			t.Fatalf("health with token %.10s…: %d %s, want 200", token, r.Status, r.Raw)
		}
		r := testapp.Call(t, "GET", base+"/api/collections/users/records", token, nil)
		if r.Status != 401 || !strings.Contains(r.Raw, "Your session has ended") {
			t.Fatalf("users list with token %.10s…: %d %s, want 401", token, r.Status, r.Raw)
		}
	}
}

// TestBanClosesRealtime opens a real SSE connection as a user, bans the user
// and expects the server to end the stream.
func TestBanClosesRealtime(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)

	sse := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "boards")

	r := testapp.Call(t, "PATCH", base+userURL(testapp.Alice), testapp.Token(testapp.Adam), map[string]any{"banned": true})
	if r.Status != 200 {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	sse.ExpectEnd(t)
	if n := len(app.SubscriptionsBroker().Clients()); n != 0 {
		t.Fatalf("%d realtime clients left after the ban", n)
	}
}

// TestAccountRateLimits: a signed-in client meets the limits of sign-up
// and of the mails an account asks for, per address; a superuser does not;
// profile edits have none (an admin's grants are edits too). Until
// 2026-12-07 a member's token made accounts without end and sent 20
// email-change mails to one stranger's address in a second.
func TestAccountRateLimits(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice, root := testapp.Token(testapp.Alice), testapp.Token("root")
	statuses := func(n int, call func(i int) testapp.Response) map[int]int {
		seen := map[int]int{}
		for i := range n {
			seen[call(i).Status]++
		}
		return seen
	}
	users, err := app.CountRecords("users")
	if err != nil {
		t.Fatal(err)
	}
	signUp := func(token string) func(int) testapp.Response {
		return func(i int) testapp.Response {
			name := fmt.Sprintf("newbie%s%d", token[len(token)-4:], i)
			return testapp.Call(t, "POST", base+"/api/collections/users/records", token, map[string]any{
				"name": name, "email": name + "@example.com", "password": "a long passphrase 7", "passwordConfirm": "a long passphrase 7"})
		}
	}
	if got := statuses(12, signUp(alice)); got[200] != 10 || got[429] != 2 {
		t.Errorf("12 sign-ups with a member's token: %v, want 10×200 then 2×429", got)
	}
	if got := statuses(2, signUp(root)); got[200] != 2 {
		t.Errorf("2 sign-ups by a superuser after the limit: %v, want 2×200", got)
	}
	if n, _ := app.CountRecords("users"); n != users+12 {
		t.Errorf("%d users after 12 accepted sign-ups, want %d", n, users+12)
	}

	mails := func(i int) testapp.Response {
		return testapp.Call(t, "POST", base+"/api/collections/users/request-email-change", alice,
			map[string]any{"newEmail": fmt.Sprintf("someone%d@victim.example", i)})
	}
	if got := statuses(5, mails); got[204] != 3 || got[429] != 2 {
		t.Errorf("5 email-change requests: %v, want 3×204 then 2×429", got)
	}
	if sent := app.TestMailer.TotalSend(); sent != 3 {
		t.Errorf("%d mails sent, want 3", sent)
	}

	// 40 edits in a row, an admin's grants and revokes: none refused
	for i := range 40 {
		op := map[bool]string{true: "boards+", false: "boards-"}[i%2 == 0]
		if r := testapp.Call(t, "PATCH", base+userURL(testapp.Bob), testapp.Token(testapp.Adam), map[string]any{op: testapp.ID(testapp.BoardGranted)}); r.Status != 200 {
			t.Fatalf("an admin's edit %d: %d %s", i+1, r.Status, r.Raw)
		}
	}
}

// TestSignInRateLimit: 10 sign-ins per 10 s per address, for members and
// superusers (the dashboard) alike, each collection counted on its own.
// The limits the migrations set are checked too: the reset ones cover
// every auth collection and batches keep PocketBase's.
func TestSignInRateLimit(t *testing.T) {
	app := testapp.New(t)
	limits := app.Settings().RateLimits
	for _, want := range []core.RateLimitRule{
		{Label: "*:auth", MaxRequests: 10, Duration: 10},
		{Label: "users:create", MaxRequests: 10, Duration: 60},
		{Label: "*:requestPasswordReset", MaxRequests: 3, Duration: 60},
		{Label: "*:confirmPasswordReset", MaxRequests: 10, Duration: 60},
		{Label: "/api/batch", MaxRequests: 3, Duration: 1},
		{Label: "*:requestEmailChange", MaxRequests: 3, Duration: 60},
		{Label: "*:requestVerification", MaxRequests: 3, Duration: 60},
	} {
		if !slices.Contains(limits.Rules, want) {
			t.Errorf("rate limit %+v missing from %+v", want, limits.Rules)
		}
	}
	if !limits.Enabled || len(limits.Rules) != 7 {
		t.Fatalf("rate limits: enabled %v, %d rules", limits.Enabled, len(limits.Rules))
	}
	// A longer window than the migration's keeps the check independent of
	// how fast bcrypt runs on a loaded machine under -race.
	for i := range app.Settings().RateLimits.Rules {
		if app.Settings().RateLimits.Rules[i].Label == "*:auth" {
			app.Settings().RateLimits.Rules[i].Duration = 600
		}
	}
	base := testapp.Serve(t, app)
	for _, c := range []struct{ collection, identity string }{
		{"users", "alice"},
		{core.CollectionNameSuperusers, testapp.SuperuserEmail},
	} {
		statuses := map[int]int{}
		for range 12 {
			r := testapp.Call(t, "POST", base+"/api/collections/"+c.collection+"/auth-with-password", "",
				map[string]any{"identity": c.identity, "password": "wrong-password"})
			statuses[r.Status]++
		}
		if statuses[400] != 10 || statuses[429] != 2 {
			t.Errorf("%s: 12 sign-ins in a row: %v, want 10×400 then 2×429", c.collection, statuses)
		}
	}
	// the right password is refused too while the limit holds
	r := testapp.Call(t, "POST", base+"/api/collections/_superusers/auth-with-password", "",
		map[string]any{"identity": testapp.SuperuserEmail, "password": testapp.Password})
	if r.Status != 429 {
		t.Fatalf("superuser sign-in with the right password after 12 wrong ones: %d %s, want 429", r.Status, r.Raw)
	}
}

// TestOldPasswordGuesses: a password change's wrong old password counts
// against the account (OldPasswordGuesses in a row, then 429 naming the
// wait, even for the right one, and nothing changes); a right one, a
// profile edit without a password and a superuser's change cost nothing;
// another account keeps its own allowance; parallel guesses take exactly
// the allowance.
func TestOldPasswordGuesses(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	change := func(who, token, old, pw string) testapp.Response {
		return testapp.Call(t, http.MethodPatch, base+userURL(who), token, map[string]any{
			"oldPassword": old, "password": pw, "passwordConfirm": pw})
	}
	wrong := func(what string, r testapp.Response) {
		t.Helper()
		if code, _ := digJSON(r.Body, "data", "oldPassword", "code"); r.Status != 400 || code != "validation_invalid_old_password" {
			t.Fatalf("%s: %d %s, want 400 validation_invalid_old_password", what, r.Status, r.Raw)
		}
	}
	limited := func(what string, r testapp.Response) {
		t.Helper()
		msg, _ := digJSON(r.Body, "message")
		if text, _ := msg.(string); r.Status != 429 || !strings.Contains(text, "Too many wrong old passwords for this account; try again in 2 minute(s)") {
			t.Fatalf("%s: %d %s, want 429 naming the wait", what, r.Status, r.Raw)
		}
	}
	const next = "새 비밀번호-마당-2026"

	alice := testapp.Token(testapp.Alice)
	snap := testapp.TakeSnapshot(t, app, "users")

	// nobody else can spend alice's allowance: the users update rule
	// refuses another member (404, as for an unseen record) and an admin
	// (403: admins edit others' grants and bans, never their passwords)
	// before the old password is checked, however often they try
	others := []struct {
		who    string
		status int
	}{{testapp.Bob, 404}, {testapp.Adam, 403}}
	for _, o := range others {
		for i := range 2 * hooks.OldPasswordGuesses {
			r := change(testapp.Alice, testapp.Token(o.who), fmt.Sprintf("%s-guess-%d-password", o.who, i), next)
			if r.Status != o.status {
				t.Fatalf("%s's guess %d of alice's old password: %d %s, want %d", o.who, i+1, r.Status, r.Raw, o.status)
			}
		}
	}
	snap.AssertUnchanged(t, app)

	for i := range hooks.OldPasswordGuesses {
		wrong(fmt.Sprintf("alice's guess %d", i+1), change(testapp.Alice, alice, fmt.Sprintf("guess-%d-password", i), next))
	}
	limited("alice's guess past the allowance", change(testapp.Alice, alice, "guess-x-password", next))
	limited("alice's right old password while her allowance is spent", change(testapp.Alice, alice, testapp.Password, next))
	snap.AssertUnchanged(t, app)

	// what is not a guess goes through while the allowance is spent
	if r := testapp.Call(t, http.MethodPatch, base+userURL(testapp.Alice), alice, map[string]any{"name": "앨리스"}); r.Status != 200 {
		t.Errorf("alice's name change while her allowance is spent: %d %s", r.Status, r.Raw)
	}
	if r := testapp.Call(t, http.MethodPatch, base+userURL(testapp.Alice), testapp.Token("root"), map[string]any{
		"password": next, "passwordConfirm": next}); r.Status != 200 {
		t.Errorf("a superuser's password change for alice: %d %s", r.Status, r.Raw)
	}
	if u, _ := app.FindRecordById("users", testapp.ID(testapp.Alice)); u == nil || !u.ValidatePassword(next) {
		t.Errorf("the superuser's change did not take")
	}

	// bob's allowance is his own, and his right old password costs nothing
	bob := testapp.Token(testapp.Bob)
	for i := range hooks.OldPasswordGuesses - 1 {
		wrong(fmt.Sprintf("bob's guess %d", i+1), change(testapp.Bob, bob, fmt.Sprintf("guess-%d-password", i), next))
	}
	if r := change(testapp.Bob, bob, testapp.Password, next); r.Status != 200 {
		t.Fatalf("bob's change with the right old password: %d %s", r.Status, r.Raw)
	}
	auth := testapp.Call(t, http.MethodPost, base+"/api/collections/users/auth-with-password", "",
		map[string]any{"identity": "bob", "password": next})
	token, _ := digJSON(auth.Body, "token")
	bob, _ = token.(string)
	if bob == "" {
		t.Fatalf("bob's sign-in with the new password: %d %s", auth.Status, auth.Raw)
	}
	wrong("bob's last guess of the allowance", change(testapp.Bob, bob, "guess-y-password", "another-pass-2026"))
	limited("bob's guess past the allowance", change(testapp.Bob, bob, "guess-z-password", "another-pass-2026"))

	// parallel guesses on a third account: exactly the allowance gets through
	adam := testapp.Token(testapp.Adam)
	statuses := make(chan int, 2*hooks.OldPasswordGuesses)
	var wg sync.WaitGroup
	for i := range 2 * hooks.OldPasswordGuesses {
		wg.Go(func() {
			statuses <- change(testapp.Adam, adam, fmt.Sprintf("parallel-%d-password", i), next).Status
		})
	}
	wg.Wait()
	close(statuses)
	seen := map[int]int{}
	for s := range statuses {
		seen[s]++
	}
	if seen[400] != hooks.OldPasswordGuesses || seen[429] != hooks.OldPasswordGuesses {
		t.Errorf("%d parallel wrong guesses: %v, want %d×400 and %d×429", 2*hooks.OldPasswordGuesses, seen,
			hooks.OldPasswordGuesses, hooks.OldPasswordGuesses)
	}
}
