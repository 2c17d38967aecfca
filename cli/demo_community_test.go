package cli_test

import (
	"testing"

	"github.com/pocketbase/dbx"

	"madang/internal/testapp"
)

// TestDemoCommunity: `madang demo` shows the community features, written
// through the production hooks: notifications (a mention, a comment, a
// moderator's hide), a report open in the queue, a hide in the moderation
// log by the demo admin, a board with required categories, and an
// anonymous board whose post keeps its writer hidden.
func TestDemoCommunity(t *testing.T) {
	app := testapp.NewEmpty(t)
	if _, err := testapp.RunCLI(t, app, "demo"); err != nil {
		t.Fatal(err)
	}
	minsu := user(t, app, "minsu@madang.example")
	jane := user(t, app, "jane@madang.example")
	admin := user(t, app, "admin@madang.example")

	kinds := func(u string) map[string]int {
		var rows []struct {
			Kind string `db:"kind"`
			N    int    `db:"n"`
		}
		if err := app.DB().Select("kind", "COUNT(*) AS n").From("notifications").Where(dbx.HashExp{"user": u}).GroupBy("kind").All(&rows); err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, r := range rows {
			m[r.Kind] = r.N
		}
		return m
	}
	if k := kinds(minsu.Id); k["mention"] != 1 || k["comment"] == 0 {
		t.Errorf("minsu's notifications: %v", k)
	}
	if k := kinds(jane.Id); k["moderation"] != 1 {
		t.Errorf("jane's notifications: %v", k)
	}
	if n, _ := app.CountRecords("reports", dbx.HashExp{"status": "open", "reporter": minsu.Id}); n != 1 {
		t.Errorf("%d open reports by minsu", n)
	}
	lines, err := app.FindAllRecords("moderation_log", dbx.HashExp{"action": "hide"})
	if err != nil || len(lines) != 1 || lines[0].GetString("actor") != admin.Id || lines[0].GetString("reason") == "" {
		t.Errorf("moderation log: %v %v", lines, err)
	}
	questions, err := app.FindFirstRecordByFilter("boards", "name = '질문게시판'")
	if err != nil || !questions.GetBool("category_required") {
		t.Fatalf("question board: %v", err)
	}
	if n, _ := app.CountRecords("board_categories", dbx.HashExp{"board": questions.Id}); n != 3 {
		t.Errorf("%d categories", n)
	}
	anonymous, err := app.FindFirstRecordByFilter("boards", "name = '익명게시판'")
	if err != nil || !anonymous.GetBool("anonymous") {
		t.Fatalf("anonymous board: %v", err)
	}
	posts, err := app.FindAllRecords("posts", dbx.HashExp{"board": anonymous.Id})
	if err != nil || len(posts) != 1 || posts[0].GetString("author") != "" || posts[0].GetString("anonymous_author") != minsu.Id {
		t.Errorf("anonymous post: %v %v", posts, err)
	}
	testapp.AssertCounts(t, app)
}
