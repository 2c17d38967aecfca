package cli_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

// TestDemoPosts: `madang demo` fills the boards with posts, comments (with a
// reply) and likes, written through the model hooks so that every counter
// equals a recount of its rows.
func TestDemoPosts(t *testing.T) {
	app := testapp.NewEmpty(t)
	if _, err := testapp.RunCLI(t, app, "demo"); err != nil {
		t.Fatal(err)
	}

	for _, table := range []string{"posts", "comments", "post_likes"} {
		if n, err := app.CountRecords(table); err != nil || n == 0 {
			t.Errorf("the demo wrote %d %s (%v)", n, table, err)
		}
	}
	if testapp.AssertCounts(t, app) == 0 {
		t.Fatal("no counters to check")
	}

	boards, err := app.FindAllRecords("boards")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boards {
		if b.GetInt("posts_count") == 0 {
			t.Errorf("demo board %s has no post", b.GetString("name"))
		}
	}

	posts, err := app.FindAllRecords("posts")
	if err != nil {
		t.Fatal(err)
	}
	pinned, hidden := 0, 0
	for _, p := range posts {
		// a post on the anonymous board keeps its writer in anonymous_author
		writer := p.GetString("author") + p.GetString("anonymous_author")
		if writer == "" || p.GetBool("is_file_attached") {
			t.Errorf("demo post %q: writer %q, files %v", p.GetString("title"), writer, p.GetBool("is_file_attached"))
		}
		if !p.GetBool("is_visible") {
			hidden++ // the ad a moderator hid
		}
		if p.GetBool("is_pinned") {
			pinned++
		}
	}
	if pinned == 0 || hidden != 1 {
		t.Errorf("%d pinned demo posts, %d hidden; want some and 1", pinned, hidden)
	}

	comments, err := app.FindAllRecords("comments")
	if err != nil {
		t.Fatal(err)
	}
	replies := 0
	for _, c := range comments {
		if c.GetString("author")+c.GetString("anonymous_author") == "" || !c.GetBool("is_visible") {
			t.Errorf("demo comment %s: no writer, or hidden", c.Id)
		}
		parentID := c.GetString("parent")
		if parentID == "" {
			continue
		}
		replies++
		parent, err := app.FindRecordById("comments", parentID)
		if err != nil || parent.GetString("post") != c.GetString("post") || parent.GetString("parent") != "" {
			t.Errorf("demo reply %s answers %s, not a top-level comment of its post (%v)", c.Id, parentID, err)
		}
	}
	if replies == 0 {
		t.Error("no demo reply")
	}
}

// TestDemoRefusesNonEmpty: on a data dir that already has users or boards,
// the demo answers an error and writes nothing at all.
func TestDemoRefusesNonEmpty(t *testing.T) {
	demoed := testapp.NewEmpty(t)
	if _, err := testapp.RunCLI(t, demoed, "demo"); err != nil {
		t.Fatal(err)
	}
	// a dir with only admins is welcome (TestQuickStartOrder); one member is not
	memberOnly := testapp.NewEmpty(t)
	testapp.SaveRecord(t, memberOnly, "users", map[string]any{
		"email": "first@example.com", "password": "secret-pass-1", "name": "첫회원", "role": "member"})

	for _, c := range []struct {
		what string
		app  core.App
	}{
		{"a dir the demo already filled", demoed},
		{"a dir with users, boards and content", testapp.NewWithContent(t)},
		{"a dir with only a member", memberOnly},
	} {
		t.Run(c.what, func(t *testing.T) {
			before := testapp.TakeSnapshot(t, c.app)
			out, err := testapp.RunCLI(t, c.app, "demo")
			if err == nil || !strings.Contains(err.Error(), "only fills an empty one") {
				t.Errorf("demo: %v, want a refusal", err)
			}
			if strings.Contains(out, "Loaded") {
				t.Errorf("demo output %q", out)
			}
			before.AssertUnchanged(t, c.app)
		})
	}
}
