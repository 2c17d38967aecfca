package access_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/testapp"
)

// TestFilterAnswersDependOnWhoAsks: a subscription filter that follows a
// relation is answered for each requester, as the list API answers it
// (members may not list users, so author.name matches nothing for them;
// admins may), whatever order the subscribers come in; a filter on the
// record's own fields is answered once for all.
func TestFilterAnswersDependOnWhoAsks(t *testing.T) {
	app := community(t)
	post, err := app.FindRecordById("posts", testapp.VisiblePost(testapp.BoardPublic))
	if err != nil {
		t.Fatal(err)
	}
	info := func(who, filter string) *core.RequestInfo {
		var auth *core.Record
		if who != "" {
			auth, _ = app.FindRecordById("users", testapp.ID(who))
		}
		return &core.RequestInfo{Method: http.MethodGet, Auth: auth, Query: map[string]string{"filter": filter}}
	}
	for _, order := range [][]string{{testapp.Adam, testapp.Alice}, {testapp.Alice, testapp.Adam}} {
		m := access.NewMatcher(app, post)
		for _, who := range order {
			want := who == testapp.Adam
			if got := m.Match(info(who, `author.name = "gina"`)); got != want {
				t.Errorf("order %v: %s matched %v, want %v", order, who, got, want)
			}
			if !m.Match(info(who, `title ~ "visible"`)) {
				t.Errorf("order %v: %s: an own-field filter did not match", order, who)
			}
		}
	}
	// the same answers as the list API
	h := handler(t, app)
	for _, who := range []string{testapp.Alice, testapp.Adam} {
		r := get(h, who, "/api/collections/posts/records", map[string][]string{"filter": {`id = "` + post.Id + `" && author.name = "gina"`}})
		if got := len(r.ids()) == 1; got != (who == testapp.Adam) {
			t.Errorf("list API as %s: %v", who, r.ids())
		}
	}
}
