package access_test

import (
	"net/http"
	"net/url"
	"testing"

	"madang/internal/testapp"
)

// dig follows keys through nested maps (and the first item of lists).
func dig(v any, keys ...string) (any, bool) {
	for _, k := range keys {
		if list, ok := v.([]any); ok {
			if len(list) == 0 {
				return nil, false
			}
			v = list[0]
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// TestPrivateFieldsStayPrivateThroughExpand: a user's granted boards are
// seen only by the user, admins and superusers — not through expand of the
// field, a back-relation through it, or a nested expand, on the record API,
// the list API and search alike.
func TestPrivateFieldsStayPrivateThroughExpand(t *testing.T) {
	app := community(t)
	h := handler(t, app)
	granted := testapp.ID(testapp.BoardGranted)
	cases := []struct {
		name  string
		path  string
		query url.Values
		keys  []string // where the private data would show
		sees  map[string]bool
	}{
		{"a user's grants", "/api/collections/users/records/" + gina, url.Values{"expand": {"boards"}},
			[]string{"expand", "boards"}, map[string]bool{testapp.Gina: true, testapp.Adam: true, "root": true}},
		{"who is granted a board", "/api/collections/boards/records/" + granted, url.Values{"expand": {"users_via_boards"}},
			[]string{"expand", "users_via_boards"}, map[string]bool{testapp.Adam: true, "root": true}},
		{"an author's grants, nested, in a list", "/api/collections/posts/records",
			url.Values{"filter": {`id = "` + testapp.VisiblePost(testapp.BoardPublic) + `"`}, "expand": {"author.boards"}},
			[]string{"items", "expand", "author", "expand", "boards"}, map[string]bool{testapp.Gina: true, testapp.Adam: true, "root": true}},
		{"an author's grants, nested, in search", "/api/posts/search",
			url.Values{"q": {"fixture"}, "sort": {"created,id"}, "board": {testapp.ID(testapp.BoardPublic)}, "expand": {"author.boards"}, "perPage": {"1"}},
			[]string{"items", "expand", "author", "expand", "boards"}, map[string]bool{testapp.Gina: true, testapp.Adam: true, "root": true}},
		{"grantees through a post's board", "/api/collections/posts/records/" + testapp.VisiblePost(testapp.BoardGranted),
			url.Values{"expand": {"board.users_via_boards"}},
			[]string{"expand", "board", "expand", "users_via_boards"}, map[string]bool{testapp.Adam: true, "root": true}},
	}
	for _, c := range cases {
		for _, who := range roles {
			r := get(h, who, c.path, c.query)
			if r.Status == http.StatusNotFound {
				continue // who cannot read the record at all
			}
			if r.Status != http.StatusOK {
				t.Fatalf("%s as %s: %d %s", c.name, cmpName(who), r.Status, r.Raw)
			}
			_, shown := dig(r.Body, c.keys...)
			if shown != c.sees[who] {
				t.Errorf("%s as %s: shown %v, want %v: %s", c.name, cmpName(who), shown, c.sees[who], r.Raw)
			}
		}
	}
	// and the grants themselves, on the profile
	for _, who := range roles {
		r := get(h, who, "/api/collections/users/records/"+gina, nil)
		_, shown := r.Body["boards"]
		want := who == testapp.Gina || who == testapp.Adam || who == "root"
		if shown != want {
			t.Errorf("gina's boards field as %s: shown %v, want %v", cmpName(who), shown, want)
		}
	}
}
