package hooks_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

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
	// PocketBase sends the mail from a goroutine after answering.
	for deadline := time.Now().Add(10 * time.Second); app.TestMailer.TotalSend() == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if app.TestMailer.TotalSend() != 1 {
		t.Fatalf("mails sent: %d", app.TestMailer.TotalSend())
	}
	mail := app.TestMailer.LastMessage()
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

func TestSignInRateLimit(t *testing.T) {
	app := testapp.New(t)
	rule, ok := app.Settings().RateLimits.FindRateLimitRule([]string{"users:auth"})
	if !app.Settings().RateLimits.Enabled || !ok || rule.MaxRequests != 10 || rule.Duration != 10 {
		t.Fatalf("sign-in rate limit from the migration: enabled %v, %+v", app.Settings().RateLimits.Enabled, rule)
	}
	// A longer window than the migration's keeps the check independent of
	// how fast bcrypt runs on a loaded machine under -race.
	for i := range app.Settings().RateLimits.Rules {
		if app.Settings().RateLimits.Rules[i].Label == "users:auth" {
			app.Settings().RateLimits.Rules[i].Duration = 600
		}
	}
	base := testapp.Serve(t, app)
	statuses := map[int]int{}
	for range 12 {
		r := testapp.Call(t, "POST", base+"/api/collections/users/auth-with-password", "",
			map[string]any{"identity": "alice", "password": "wrong-password"})
		statuses[r.Status]++
	}
	if statuses[400] != 10 || statuses[429] != 2 {
		t.Fatalf("12 sign-ins in a row: %v, want 10×400 then 2×429", statuses)
	}
}
