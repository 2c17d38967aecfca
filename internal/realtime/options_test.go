package realtime_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madang/internal/testapp"
)

// TestSubscriptionOptionsMustBeReadable: a subscription whose options
// PocketBase cannot read — JSON cut short, no JSON, a query or headers that
// are no object, a query string that is no query string — is a 400 naming
// the topic, a superuser's too, and the connection keeps following what it
// followed; options as the SDK sends them are taken. Until 2026-12-07
// PocketBase dropped such options without a word and answered 204.
func TestSubscriptionOptionsMustBeReadable(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	options := func(raw string) string { return "posts/*?options=" + url.QueryEscape(raw) }
	for _, who := range []string{testapp.Alice, "root"} {
		sse := testapp.OpenSSE(t, base, testapp.Token(who), testapp.SentinelTopic)
		for _, bad := range []string{
			options(`{"query":{"filter":"title = 'x'"}`), // cut short
			options(`{bad`),
			options(`[1]`),
			options(`{"query":"filter=title"}`),
			options(`{"headers":["x"]}`),
			"posts/*?options=%zz",
		} {
			r := sse.TrySubscribe(t, testapp.SentinelTopic, bad)
			msg, _ := r.Body["message"].(string)
			if r.Status != http.StatusBadRequest || !strings.HasPrefix(msg, "Subscription posts/*: its ") {
				t.Errorf("%s subscribing to %q: %d %s, want 400 naming the topic", who, bad, r.Status, r.Raw)
			}
		}
		// what it followed stands: the sentinel still arrives
		sse.ExpectOnly(t, testapp.Sentinel(t, app))
		for _, good := range []string{
			options(`{"query":{"filter":"title != 'x'","expand":"board"},"headers":{"x-token":"t"}}`),
			options(`{}`),
			"posts/*",
		} {
			if r := sse.TrySubscribe(t, testapp.SentinelTopic, good); r.Status != http.StatusNoContent {
				t.Errorf("%s subscribing to %q: %d %s, want 204", who, good, r.Status, r.Raw)
			}
		}
	}
}
