package access_test

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// clientParams are the client-controlled parameters the differential
// tables try: sorts on own, related, hidden and private fields, through
// back-relations into users, chats, chat_reads and ai_logs, and @request;
// expands one and two levels deep, into private fields and back-relations;
// fields.
var (
	diffSorts = []string{
		"-created,id", "title,id", "-likes_count,id", "board.name,id", "author.name,id", "author,id",
		"author.tokenKey", "author.email", "author.boards.name", "author.ban_reason", "author.banned",
		"author.chats_via_author.content", "author.chat_reads_via_user.last_read_at",
		"author.ai_logs_via_user.description", "board.users_via_boards.name", "board.posts_via_board.title",
		"@request.auth.id", "comments_via_post.content",
	}
	diffExpands = []string{"", "author", "author.boards", "board", "board.users_via_boards", "author,board"}
	diffFields  = []string{"", "id,title,expand.author.name,expand.author.boards,expand.board.users_via_boards"}
)

// comment sorts, expands and fields for the comments search's table: own,
// hidden (anonymous_author) and related fields, through the post, the
// parent and back-relations
var (
	diffCommentSorts = []string{
		"-created,id", "content,id", "post.title,id", "post.board.name,id", "author.name,id", "author,id",
		"anonymous_author,id", "author.email", "post.author.name", "parent.content,id",
		"comments_via_parent.content", "post.anonymous_author", "@request.auth.id",
	}
	diffCommentExpands = []string{"", "author", "post", "post.board", "post.author", "parent", "author,post.board"}
	diffCommentFields  = []string{"", "id,content,expand.post.title,expand.author.name,expand.post.board.users_via_boards"}
)

// TestSearchAnswersAsTheListAPI: for every role and every combination of
// sort, expand and fields, GET /api/posts/search?q=W answers exactly what
// PocketBase's GET /api/collections/posts/records answers for the filter
// (title ~ W || content ~ W) on the same data, and GET
// /api/comments/search?q=W what the comments list answers for content ~ W:
// the same status and message for refusals, the same records in the same
// order, showing the same fields and expansions.
func TestSearchAnswersAsTheListAPI(t *testing.T) {
	app := community(t)
	h := handler(t, app)
	compared, refused, commentsFound := 0, 0, 0
	for _, c := range []struct {
		list, search, filter   string
		sorts, expands, fields []string
	}{
		{"/api/collections/posts/records", "/api/posts/search", `(title ~ "fixture" || content ~ "fixture")`, diffSorts, diffExpands, diffFields},
		{"/api/collections/comments/records", "/api/comments/search", `content ~ "fixture"`, diffCommentSorts, diffCommentExpands, diffCommentFields},
	} {
		for _, who := range roles {
			for _, sort := range c.sorts {
				for _, expand := range c.expands {
					for _, fields := range c.fields {
						params := url.Values{"sort": {sort}, "perPage": {"50"}}
						if expand != "" {
							params.Set("expand", expand)
						}
						if fields != "" {
							params.Set("fields", fields)
						}
						list := url.Values{"filter": {c.filter}}
						search := url.Values{"q": {"fixture"}}
						for k, v := range params {
							list[k], search[k] = v, v
						}
						want := get(h, who, c.list, list)
						got := get(h, who, c.search, search)
						what := c.search + " " + cmpName(who) + " " + params.Encode()
						if got.Status != want.Status {
							t.Errorf("%s: search %d %s, list %d %s", what, got.Status, got.Raw, want.Status, want.Raw)
							continue
						}
						if want.Status != http.StatusOK {
							refused++
							if got.Body["message"] != want.Body["message"] {
								t.Errorf("%s: search says %q, list %q", what, got.Body["message"], want.Body["message"])
							}
							continue
						}
						compared++
						if !reflect.DeepEqual(got.Body["items"], want.Body["items"]) || got.Body["totalItems"] != want.Body["totalItems"] {
							t.Errorf("%s:\nsearch %s\nlist   %s", what, got.Raw, want.Raw)
						}
						if c.search == "/api/comments/search" && len(want.ids()) > 0 {
							commentsFound++
						}
					}
				}
			}
		}
	}
	t.Logf("%d answers compared, %d refusals compared", compared, refused)
	if compared == 0 || refused == 0 || commentsFound == 0 {
		t.Fatal("the table compares nothing of one kind")
	}
}
