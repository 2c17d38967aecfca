package community_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"madang/internal/testapp"
)

// TestSuggestNames: @mention autocomplete finds members by the start of
// their name (any script, Latin case-insensitively), shows public profiles
// only, never the requester, and is for signed-in users.
func TestSuggestNames(t *testing.T) {
	app, base := server(t)
	for i, name := range []string{"김민수", "김민지", "Kimchi_lover", "a_bc"} {
		testapp.SaveRecord(t, app, "users", map[string]any{"name": name, "email": fmt.Sprintf("suggest%d@example.com", i), "password": "a-long-password-1", "role": "member"})
	}
	suggest := func(who, q string) []map[string]any {
		t.Helper()
		r := mustCall(t, base, http.MethodGet, "/api/users/suggest?q="+url.QueryEscape(q), who, nil, 200)
		out := []map[string]any{}
		for _, it := range items(r) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	names := func(users []map[string]any) []string {
		out := []string{}
		for _, u := range users {
			out = append(out, u["name"].(string))
		}
		return out
	}
	if got := names(suggest(testapp.Alice, "김민")); !slices.Equal(got, []string{"김민수", "김민지"}) {
		t.Fatalf("김민: %v", got)
	}
	if got := names(suggest(testapp.Alice, "KIM")); !slices.Equal(got, []string{"Kimchi_lover"}) {
		t.Fatalf("KIM: %v", got)
	}
	// % and _ are literal: "a_" must not match "ada" or "adam"
	if got := names(suggest(testapp.Alice, "a_")); !slices.Equal(got, []string{"a_bc"}) {
		t.Fatalf("a_: %v", got)
	}
	// never the requester; public fields only
	got := suggest(testapp.Alice, "a")
	for _, u := range got {
		if u["id"] == alice {
			t.Fatalf("alice is suggested to herself: %v", names(got))
		}
		for _, private := range []string{"banned", "boards", "notify_mute", "blocking", "emailVisibility"} {
			if _, ok := u[private]; ok {
				t.Fatalf("a suggestion shows %s: %v", private, u)
			}
		}
	}
	if !slices.Contains(names(got), "adam") {
		t.Fatalf("a: %v", names(got))
	}
	mustCall(t, base, http.MethodGet, "/api/users/suggest?q=a", "", nil, 401)
	mustCall(t, base, http.MethodGet, "/api/users/suggest?q=", testapp.Alice, nil, 400)
}
