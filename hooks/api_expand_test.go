package hooks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

// PocketBase runs an expanded relation through the related collection's
// view rule (and its enrich hooks) for the requester, dropping what the
// requester may not read. These matrices check that the content rules hold
// through expand: from comments and likes to their post and board, from a
// post back to its comments and likes, and to the author's profile.

// privateUserKeys are what a profile shows only to its owner, admins and
// superusers (email also to everyone when emailVisibility is set).
var privateUserKeys = []string{"banned", "ban_reason", "banned_until", "boards", "email", "emailVisibility", "verified"}

// publicUserKeys are every key anyone else may get of a profile.
var publicUserKeys = []string{"id", "collectionId", "collectionName", "name", "avatar", "role", "created", "email"}

// fixtureComment is where a content fixture comment hangs.
type fixtureComment struct {
	id, post, board string
	hiddenPost      bool
	hidden          bool
}

func fixtureComments(b string) []fixtureComment {
	return []fixtureComment{
		{testapp.VisibleComment(b), testapp.VisiblePost(b), b, false, false},
		{testapp.Reply(b), testapp.VisiblePost(b), b, false, false},
		{testapp.HiddenComment(b), testapp.VisiblePost(b), b, false, true},
		{testapp.CommentOnHidden(b), testapp.HiddenPost(b), b, true, false},
	}
}

// canReadComment: the contract's rule for the fixture comments (all gina's).
func canReadComment(role string, c fixtureComment) bool {
	return canReadPost(role, c.board, c.hiddenPost) && (!c.hidden || seesHidden(role))
}

func TestExpandAcrossRoles(t *testing.T) {
	var calls []call
	for _, role := range contentRoles {
		for _, b := range testapp.Boards {
			board := testapp.ID(b)
			byBoard := urlq(`post.board="` + board + `"`)

			// comments → post → board, and author
			var comments []string
			for _, c := range fixtureComments(b) {
				if canReadComment(role, c) {
					comments = append(comments, c.id)
				}
			}
			calls = append(calls, readCall(role, call{
				name:  "list comments of " + b + " with expand=post,post.board,author as " + roleName(role),
				url:   commentsURL + "?perPage=100&expand=" + urlq("post,post.board,author") + "&filter=" + byBoard,
				check: all(expectItems(comments), expectCommentsExpand(role, b)),
			}))

			// likes → post, and user
			var likes []string
			if canReadPost(role, b, false) {
				likes = []string{testapp.LikeOf(b)}
			}
			calls = append(calls, readCall(role, call{
				name:  "list likes of " + b + " with expand=post,user as " + roleName(role),
				url:   likesURL + "?perPage=100&expand=" + urlq("post,user") + "&filter=" + byBoard,
				check: all(expectItems(likes), expectLikesExpand(role, b)),
			}))

			// a visible comment on a hidden post, viewed with its post
			view := call{
				name: "view the comment on the hidden post of " + b + " with expand=post as " + roleName(role),
				role: role, method: http.MethodGet,
				url:    commentsURL + "/" + testapp.CommentOnHidden(b) + "?expand=post",
				status: refusal(role, 404),
			}
			if canReadPost(role, b, true) {
				view.status = 200
				view.content = []string{`"id":"` + testapp.CommentOnHidden(b) + `"`}
				view.check = expectViewedCommentOnHidden(b)
			} else if role != testapp.Ben {
				// the refusal must not leak the post it would have expanded
				view.check = expectNoneOf(testapp.HiddenPost(b), "hidden on "+b)
			}
			calls = append(calls, view)

			// posts ← comments and likes (back relations): the expand
			// filters the comments by their own rule, hidden ones included
			var posts []string
			for _, hidden := range []bool{false, true} {
				if canReadPost(role, b, hidden) {
					posts = append(posts, map[bool]string{false: testapp.VisiblePost(b), true: testapp.HiddenPost(b)}[hidden])
				}
			}
			calls = append(calls, readCall(role, call{
				name: "list posts of " + b + " with expand=comments_via_post,post_likes_via_post as " + roleName(role),
				url: postsURL + "?perPage=100&expand=" + urlq("comments_via_post,post_likes_via_post,board") +
					"&filter=" + urlq(`board="`+board+`"`),
				check: all(expectItems(posts), expectPostsBackExpand(role, b)),
			}))
		}
	}
	runCalls(t, calls)
}

// readCall completes a GET list call: 200 with items, or 401 for the
// banned user's live token (with nothing to check).
func readCall(role string, c call) call {
	c.role, c.method = role, http.MethodGet
	if role == testapp.Ben {
		c.status, c.check = 401, nil
		return c
	}
	c.status, c.content = 200, []string{`"items":`}
	return c
}

func all(checks ...func(testing.TB, *tests.TestApp, []byte)) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, app *tests.TestApp, raw []byte) {
		for _, c := range checks {
			c(t, app, raw)
		}
	}
}

func expectNoneOf(leaks ...string) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, _ *tests.TestApp, raw []byte) {
		for _, leak := range leaks {
			if strings.Contains(string(raw), leak) {
				t.Errorf("the refusal shows %q: %s", leak, raw)
			}
		}
	}
}

func listItems(t testing.TB, raw []byte) []map[string]any {
	t.Helper()
	var body struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	return body.Items
}

// expanded returns rec.expand[key] as one record, or nil when absent.
func expanded(rec map[string]any, key string) map[string]any {
	exp, _ := rec["expand"].(map[string]any)
	one, _ := exp[key].(map[string]any)
	return one
}

// expandedIDs returns the ids of rec.expand[key] as a (sorted) list.
func expandedIDs(rec map[string]any, key string) []string {
	exp, _ := rec["expand"].(map[string]any)
	many, _ := exp[key].([]any)
	var ids []string
	for _, r := range many {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	slices.Sort(ids)
	return ids
}

// expectBoardExpand checks a post's expand.board: there exactly when role
// can read board b, with can_write computed for role.
func expectBoardExpand(t testing.TB, role, b string, post map[string]any, where string) {
	t.Helper()
	got := expanded(post, "board")
	if !canReadBoard(role, b) {
		if got != nil {
			t.Errorf("%s: expand.board shows %s to %s, who cannot read it", where, b, roleName(role))
		}
		return
	}
	if got == nil || got["id"] != testapp.ID(b) {
		t.Errorf("%s: expand.board = %v, want board %s", where, got, b)
		return
	}
	if got["can_write"] != canWriteBoard(role, b) {
		t.Errorf("%s: expanded board %s can_write = %v for %s", where, b, got["can_write"], roleName(role))
	}
}

// expectUser checks what role gets of a user's profile: the private keys
// only for the user, admins and superusers (email also when the user
// chose emailVisibility); nothing outside the public keys for anyone else.
func expectUser(t testing.TB, role string, user map[string]any, wantID string, emailVisible bool, where string) {
	t.Helper()
	if user == nil || user["id"] != wantID {
		t.Errorf("%s: expanded user = %v, want %s", where, user, wantID)
		return
	}
	privileged := role == testapp.Adam || role == "root" || (role != "" && testapp.ID(role) == wantID)
	for _, k := range privateUserKeys {
		_, has := user[k]
		want := privileged || (k == "email" && emailVisible)
		if has != want {
			t.Errorf("%s: %s of %s shown to %s: %v, want %v", where, k, wantID, roleName(role), has, want)
		}
	}
	if !privileged {
		for k := range user {
			if !slices.Contains(publicUserKeys, k) {
				t.Errorf("%s: %s sees %s's private %s", where, roleName(role), wantID, k)
			}
		}
	}
}

func expectCommentsExpand(role, b string) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, _ *tests.TestApp, raw []byte) {
		fixtures := map[string]fixtureComment{}
		for _, c := range fixtureComments(b) {
			fixtures[c.id] = c
		}
		for _, item := range listItems(t, raw) {
			c, ok := fixtures[item["id"].(string)]
			if !ok {
				t.Errorf("unexpected comment %v", item["id"])
				continue
			}
			where := "comment " + c.id
			post := expanded(item, "post")
			if !canReadPost(role, b, c.hiddenPost) {
				if post != nil {
					t.Errorf("%s: expand.post shows %s to %s", where, c.post, roleName(role))
				}
			} else if post == nil || post["id"] != c.post {
				t.Errorf("%s: expand.post = %v, want %s", where, post, c.post)
			} else {
				expectBoardExpand(t, role, b, post, where+" → post")
			}
			expectUser(t, role, expanded(item, "author"), testapp.ID(testapp.Gina), false, where+" → author")
		}
	}
}

func expectLikesExpand(role, b string) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, _ *tests.TestApp, raw []byte) {
		for _, item := range listItems(t, raw) {
			where := "like " + item["id"].(string)
			if post := expanded(item, "post"); post == nil || post["id"] != testapp.VisiblePost(b) {
				t.Errorf("%s: expand.post = %v, want %s", where, post, testapp.VisiblePost(b))
			}
			expectUser(t, role, expanded(item, "user"), testapp.ID(testapp.Gina), false, where+" → user")
		}
	}
}

func expectViewedCommentOnHidden(b string) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, _ *tests.TestApp, raw []byte) {
		var comment map[string]any
		if err := json.Unmarshal(raw, &comment); err != nil {
			t.Fatal(err)
		}
		post := expanded(comment, "post")
		if post == nil || post["id"] != testapp.HiddenPost(b) || post["is_visible"] != false {
			t.Errorf("expand.post = %v, want the hidden post %s", post, testapp.HiddenPost(b))
		}
	}
}

func expectPostsBackExpand(role, b string) func(testing.TB, *tests.TestApp, []byte) {
	return func(t testing.TB, _ *tests.TestApp, raw []byte) {
		for _, item := range listItems(t, raw) {
			id := item["id"].(string)
			var comments []string
			for _, c := range fixtureComments(b) {
				if c.post == id && canReadComment(role, c) {
					comments = append(comments, c.id)
				}
			}
			slices.Sort(comments)
			if got := expandedIDs(item, "comments_via_post"); !slices.Equal(got, comments) {
				t.Errorf("post %s: expand.comments_via_post = %v for %s, want %v", id, got, roleName(role), comments)
			}
			var likes []string
			if id == testapp.VisiblePost(b) {
				likes = []string{testapp.LikeOf(b)}
			}
			if got := expandedIDs(item, "post_likes_via_post"); !slices.Equal(got, likes) {
				t.Errorf("post %s: expand.post_likes_via_post = %v for %s, want %v", id, got, roleName(role), likes)
			}
			expectBoardExpand(t, role, b, item, "post "+id)
		}
	}
}

// TestExpandAuthorPrivateFields reads comments by authors other than the
// fixtures' gina: bob, who shows his email (emailVisibility), and ben, who
// is banned for spam. Each requester must get of each author exactly what
// the profile rules allow, through expand as through a direct view.
func TestExpandAuthorPrivateFields(t *testing.T) {
	app, base := served(t)
	app.Settings().TrustedProxy.Headers = []string{"X-Forwarded-For"}
	if _, err := app.DB().Update("users", dbx.Params{"emailVisibility": true},
		dbx.HashExp{"id": testapp.ID(testapp.Bob)}).Execute(); err != nil {
		t.Fatal(err)
	}
	post := testapp.VisiblePost(testapp.BoardPublic)
	authors := map[string]bool{ // author id → emailVisibility
		testapp.ID(testapp.Gina): false,
		testapp.ID(testapp.Bob):  true,
		testapp.ID(testapp.Ben):  false,
	}
	commentBy := map[string]string{} // comment id → author id
	for author := range authors {
		if author != testapp.ID(testapp.Gina) { // gina's are the fixtures
			commentBy[testapp.CreateComment(t, app, post, author, "").Id] = author
		}
	}
	commentBy[testapp.VisibleComment(testapp.BoardPublic)] = testapp.ID(testapp.Gina)
	commentBy[testapp.Reply(testapp.BoardPublic)] = testapp.ID(testapp.Gina)

	roles := []string{"", testapp.Alice, testapp.Bob, testapp.Gina, testapp.Adam, "root"}
	for i, role := range roles {
		t.Run("comments of "+post+" with expand=author as "+roleName(role), func(t *testing.T) {
			res := send(t, http.MethodGet, base+commentsURL+"?perPage=100&expand=author&filter="+urlq(`post="`+post+`"`),
				testapp.Token(role), "", map[string]string{"X-Forwarded-For": fmt.Sprintf("10.1.0.%d", i)})
			if res.Status != 200 {
				t.Fatalf("status %d: %s", res.Status, res.Raw)
			}
			seen := 0
			for _, item := range listItems(t, []byte(res.Raw)) {
				author, ok := commentBy[item["id"].(string)]
				if !ok {
					continue // gina's hidden comment, for those who see it
				}
				seen++
				expectUser(t, role, expanded(item, "author"), author, authors[author], "comment "+item["id"].(string)+" → author")
			}
			if seen != len(commentBy) {
				t.Errorf("listed %d of the %d visible comments", seen, len(commentBy))
			}
		})
		for author, emailVisible := range authors {
			t.Run("view "+author+" as "+roleName(role), func(t *testing.T) {
				res := send(t, http.MethodGet, base+"/api/collections/users/records/"+author, testapp.Token(role), "", nil)
				if res.Status != 200 {
					t.Fatalf("status %d: %s", res.Status, res.Raw)
				}
				expectUser(t, role, res.Body, author, emailVisible, "profile")
			})
		}
	}

	// the values themselves, where they are shown
	res := send(t, http.MethodGet, base+commentsURL+"?perPage=100&expand=author&filter="+urlq(`author="`+testapp.ID(testapp.Ben)+`"`),
		testapp.Token(testapp.Adam), "", nil)
	items := listItems(t, []byte(res.Raw))
	if len(items) != 1 {
		t.Fatalf("ben's comments as adam: %s", res.Raw)
	}
	ben := expanded(items[0], "author")
	if ben["banned"] != true || ben["ban_reason"] != "spam" || ben["email"] != testapp.Email(testapp.Ben) {
		t.Errorf("adam sees ben as %v", ben)
	}
}
