package metrics_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/metrics"
	"madang/internal/testapp"
)

// serveErr runs app's OnServe as serve does and returns its error.
func serveErr(t *testing.T) error {
	t.Helper()
	app := testapp.New(t)
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	return app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router}, func(e *core.ServeEvent) error {
		_, err := e.Router.BuildMux()
		return err
	})
}

// TestShortTokenStopsServe: a MADANG_METRICS_TOKEN under 16 characters
// stops serve with a sentence naming the variable, never the token; it
// used to be accepted without a word. Spaces around it do not count, and
// one of spaces only is short too (until 2026-12-04 it was read as unset).
func TestShortTokenStopsServe(t *testing.T) {
	for _, short := range []string{"abc", "ß0123456789abcd", strings.Repeat(" ", 20), " \t\n ", "   abc" + strings.Repeat(" ", 14)} {
		t.Setenv(metrics.TokenEnv, short)
		err := serveErr(t)
		if err == nil || !strings.Contains(err.Error(), "MADANG_METRICS_TOKEN is shorter than 16 characters") ||
			strings.Contains(err.Error(), short) {
			t.Fatalf("token %q: %v", short, err)
		}
	}
	for _, ok := range []string{"", "0123456789abcdef", scrapeToken} {
		t.Setenv(metrics.TokenEnv, ok)
		if err := serveErr(t); err != nil {
			t.Fatalf("token %q: %v", ok, err)
		}
	}
}

// TestWrongTokenNamesTheMetricsToken: a wrong or missing bearer is
// answered 401 with a sentence naming MADANG_METRICS_TOKEN, not "Your
// session has ended"; a banned member's valid token still gets the ban.
func TestWrongTokenNamesTheMetricsToken(t *testing.T) {
	t.Setenv(metrics.TokenEnv, scrapeToken)
	base := testapp.Serve(t, testapp.New(t))
	for _, auth := range []string{"", "Bearer x1", "Bearer scrape-0000000000000000", scrapeToken, "Basic " + scrapeToken} {
		status, body := get(t, base+metrics.Route, auth)
		if status != http.StatusUnauthorized || !strings.Contains(body, metrics.TokenEnv) || strings.Contains(body, "session") {
			t.Errorf("%q: %d %s", auth, status, body)
		}
	}
	if status, body := get(t, base+metrics.Route, testapp.Token(testapp.Ben)); status != http.StatusUnauthorized || !strings.Contains(body, "banned") {
		t.Errorf("banned member: %d %s", status, body)
	}
}

// TestWrongTokensMeetARateLimitRule: wrong tokens are read as a guest's
// requests, so a rate-limit rule labelled /api/metrics (audience @guest)
// refuses a guesser with 429 once it is used up.
func TestWrongTokensMeetARateLimitRule(t *testing.T) {
	t.Setenv(metrics.TokenEnv, scrapeToken)
	app := testapp.New(t)
	app.Settings().RateLimits.Enabled = true
	app.Settings().RateLimits.Rules = append(app.Settings().RateLimits.Rules,
		core.RateLimitRule{Label: metrics.Route, MaxRequests: 3, Duration: 600, Audience: core.RateLimitRuleAudienceGuest})
	base := testapp.Serve(t, app)
	for i := range 3 {
		if status, body := get(t, base+metrics.Route, "Bearer wrong"); status != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d %s", i, status, body)
		}
	}
	if status, body := get(t, base+metrics.Route, "Bearer wrong"); status != http.StatusTooManyRequests {
		t.Fatalf("the fourth wrong token: %d %s", status, body)
	}
	if status, body := get(t, base+metrics.Route, testapp.Token("root")); status != http.StatusOK {
		t.Fatalf("a superuser after the limit: %d %.200s", status, body)
	}
}
