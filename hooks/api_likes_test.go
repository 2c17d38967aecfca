package hooks_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

func TestLikesListAndView(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		for _, b := range testapp.Boards {
			like := testapp.LikeOf(b)
			var want []string
			if canReadPost(role, b, false) {
				want = []string{like}
			}
			list := call{
				name: "list likes of the post on " + b + " as " + roleName(role), role: role, method: http.MethodGet,
				url:    likesURL + "?filter=" + urlq(`post="`+testapp.VisiblePost(b)+`"`),
				status: 200, content: []string{`"items":`}, check: expectItems(want),
			}
			view := call{
				name: "view gina's like on " + b + " as " + roleName(role), role: role, method: http.MethodGet,
				url: likesURL + "/" + like, status: refusal(role, 404),
			}
			if role == testapp.Ben {
				list = call{name: list.name, role: role, method: list.method, url: list.url, status: 401}
			}
			if len(want) > 0 {
				view.status, view.content = 200, []string{`"id":"` + like + `"`}
			}
			calls = append(calls, list, view)
		}
	}
	runCalls(t, calls)
}

func TestLikesCreateMatrix(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		if role == testapp.Gina {
			continue // she likes every fixture post already; see TestLikesRefusals
		}
		for _, b := range testapp.Boards {
			for _, hidden := range []bool{false, true} {
				post, kind := testapp.VisiblePost(b), "visible"
				if hidden {
					post, kind = testapp.HiddenPost(b), "hidden"
				}
				user := testapp.ID(role)
				if role == "root" {
					user = testapp.ID(testapp.Alice) // a superuser may like on behalf of a user
				}
				c := call{
					name: "like the " + kind + " post on " + b + " as " + roleName(role), role: role,
					method: http.MethodPost, url: likesURL, body: `{"post":"` + post + `","user":"` + user + `"}`,
					status: refusal(role, 400),
				}
				if role != "" && canReadPost(role, b, hidden) {
					c.status, c.content = 200, []string{`"user":"` + user + `"`}
					c.check = expectLikes(post, map[bool]int{false: 2, true: 1}[hidden])
				}
				calls = append(calls, c)
			}
		}
	}
	runCalls(t, calls)
}

func TestLikesDeleteMatrix(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		for _, b := range testapp.Boards {
			c := call{
				name: "unlike gina's like on " + b + " as " + roleName(role), role: role, method: http.MethodDelete,
				url: likesURL + "/" + testapp.LikeOf(b), status: refusal(role, 404),
			}
			// own likes only, even where the post can no longer be read
			if role == testapp.Gina || role == "root" {
				c.status, c.check = 204, expectLikes(testapp.VisiblePost(b), 0)
			}
			calls = append(calls, c)
		}
	}
	for _, role := range []string{testapp.Gina, testapp.Adam} {
		calls = append(calls, call{
			name: "a like cannot be edited, even by " + role, role: role, method: http.MethodPatch,
			url: likesURL + "/" + testapp.LikeOf(testapp.BoardPublic), body: `{"user":"` + testapp.ID(role) + `"}`, status: 403,
		})
	}
	runCalls(t, calls)
}

func TestLikesRefusals(t *testing.T) {
	pub := testapp.VisiblePost(testapp.BoardPublic)
	runCalls(t, []call{
		{
			name: "liking twice is refused by the unique index", role: testapp.Gina, method: http.MethodPost, url: likesURL,
			body:   `{"post":"` + pub + `","user":"` + testapp.ID(testapp.Gina) + `"}`,
			status: 400, content: []string{`"post":{"code":"validation_not_unique"`, `"user":{"code":"validation_not_unique"`},
		},
		{
			name: "liking for someone else is refused", role: testapp.Alice, method: http.MethodPost, url: likesURL,
			body: `{"post":"` + pub + `","user":"` + testapp.ID(testapp.Bob) + `"}`, status: 400,
		},
		{
			name: "liking without saying who is refused", role: testapp.Alice, method: http.MethodPost, url: likesURL,
			body: `{"post":"` + pub + `"}`, status: 400,
		},
		{
			name: "liking a post one cannot read is refused", role: testapp.Alice, method: http.MethodPost, url: likesURL,
			body:   `{"post":"` + testapp.VisiblePost(testapp.BoardGranted) + `","user":"` + testapp.ID(testapp.Alice) + `"}`,
			status: 400,
		},
		{
			name: "liking a missing post is refused", role: testapp.Adam, method: http.MethodPost, url: likesURL,
			body:   `{"post":"nosuchpost00000","user":"` + testapp.ID(testapp.Adam) + `"}`,
			status: 400, content: []string{`"post":{"code":`},
		},
		{
			name: "a new like counts at once", role: testapp.Alice, method: http.MethodPost, url: likesURL,
			body:   `{"post":"` + pub + `","user":"` + testapp.ID(testapp.Alice) + `","created":"2000-01-01 00:00:00.000Z"}`,
			status: 200, check: expectLikes(pub, 2),
		},
	})
}

// expectLikes checks a post's likes_count and its like rows.
func expectLikes(post string, want int) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, app *tests.TestApp, _ []byte) {
		t.Helper()
		r, err := app.FindRecordById("posts", post)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := app.CountRecords("post_likes", dbx.HashExp{"post": post})
		if got := r.GetInt("likes_count"); got != want || int(rows) != want {
			t.Errorf("post %s: likes_count %d, %d rows; want %d", post, got, rows, want)
		}
	}
}
