package community_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"
	"golang.org/x/text/unicode/norm"

	"madang/internal/testapp"
)

// spamTexts and cleanTexts train the assist's classifier: the posts below
// resemble one side closely, so the scores are far from any threshold.
var (
	spamTexts = []string{
		"무료 코인 지금 클릭 대박 수익 보장", "지금 클릭하면 무료 코인 지급", "대박 수익 보장 코인 투자 클릭",
		"free coins click now guaranteed profit", "click now for free coins", "guaranteed profit coin click here",
		"무료 상품권 클릭 즉시 지급", "코인 대박 무료 가입 클릭",
	}
	cleanTexts = []string{
		"오늘 날씨가 좋아서 산책을 다녀왔어요", "주말에 읽은 책 이야기를 나눠요", "동네 도서관이 새로 문을 열었네요",
		"the weather was lovely for a walk today", "sharing the book I read this weekend", "our local library opened again",
		"점심으로 김치찌개를 먹었어요", "회의 일정은 다음 주 화요일입니다",
	}
)

// assistModel trains a ready text_classifier (labels spam and ok) through
// the train route, as an admin does.
func assistModel(t testing.TB, app core.App, base string) string {
	t.Helper()
	return assistModelLabeled(t, app, base, "spam-filter", "ok", map[string]any{"text_column": "text", "label_column": "label"})
}

// assistModelLabeled is assistModel with clean as the clean texts' label.
func assistModelLabeled(t testing.TB, app core.App, base, name, clean string, options map[string]any) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("text,label\n")
	for i := 0; i < 3; i++ {
		for _, s := range spamTexts {
			fmt.Fprintf(&b, "%q,spam\n", s)
		}
		for _, s := range cleanTexts {
			fmt.Fprintf(&b, "%q,%s\n", s, clean)
		}
	}
	file, err := filesystem.NewFileFromBytes([]byte(b.String()), "assist.csv")
	if err != nil {
		t.Fatal(err)
	}
	model := testapp.SaveRecord(t, app, "ais", map[string]any{"name": name, "kind": "text_classifier",
		"options": options, "dataset": file})
	mustCall(t, base, http.MethodPost, "/api/ais/"+model.Id+"/train", testapp.Adam, nil, http.StatusAccepted)
	waitUntil(t, "the model is trained", func() bool {
		m, err := app.FindRecordById("ais", model.Id)
		if err == nil && m.GetString("status") == "failed" {
			t.Fatalf("training failed: %s", m.GetString("error"))
		}
		return err == nil && m.GetString("status") == "ready"
	})
	return model.Id
}

// waitUntil polls cond (a state the app reaches by itself) for 20 s.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assistJobs returns the system's jobs scoring the post or comment id.
func assistJobs(t testing.TB, app core.App, kind, id string) []*core.Record {
	t.Helper()
	jobs, err := app.FindAllRecords("ai_logs", dbx.HashExp{kind: id})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// scored waits until every job scoring id has finished, and returns the
// open system report on id, or nil: the report is written in the
// transaction of the job's final state, so once the job finished, its
// absence is final.
func scored(t *testing.T, app core.App, kind, id string, jobs int) *core.Record {
	t.Helper()
	waitUntil(t, kind+" "+id+" is scored", func() bool {
		all := assistJobs(t, app, kind, id)
		for _, j := range all {
			if !j.GetBool("is_finished") {
				return false
			}
		}
		return len(all) == jobs
	})
	for _, j := range assistJobs(t, app, kind, id) {
		if j.GetString("status") != "succeeded" || j.GetString("user") != "" {
			t.Fatalf("job %s: status %s, user %q, error %q", j.Id, j.GetString("status"), j.GetString("user"), j.GetString("error"))
		}
	}
	reports, err := app.FindAllRecords("reports", dbx.HashExp{kind: id, "reporter": "", "status": "open"})
	if err != nil {
		t.Fatal(err)
	}
	switch len(reports) {
	case 0:
		return nil
	case 1:
		return reports[0]
	}
	t.Fatalf("%d open system reports on %s %s, want at most one", len(reports), kind, id)
	return nil
}

func TestModerationAssist(t *testing.T) {
	app, base := server(t)
	model := assistModel(t, app, base)
	board := testapp.ID(testapp.BoardPublic)
	boardURL := "/api/collections/boards/records/" + board

	// only a text classifier, and only admins
	other := testapp.SaveRecord(t, app, "ais", map[string]any{"name": "regression", "kind": "linear_regression"})
	snap := testapp.TakeSnapshot(t, app, "boards")
	r := mustCall(t, base, http.MethodPatch, boardURL, testapp.Adam, map[string]any{"moderation_ai": other.Id}, http.StatusBadRequest)
	if !strings.Contains(r.Raw, "validation_not_text_classifier") {
		t.Fatalf("a regression model as moderation_ai: %s", r.Raw)
	}
	mustCall(t, base, http.MethodPatch, boardURL, testapp.Alice, map[string]any{"moderation_ai": model}, http.StatusNotFound)
	snap.AssertUnchanged(t, app)
	mustCall(t, base, http.MethodPatch, boardURL, testapp.Adam, map[string]any{"moderation_ai": model, "moderation_threshold": 0.7}, http.StatusOK)

	// members see neither the board's assist nor its jobs
	seen := mustCall(t, base, http.MethodGet, boardURL+"?expand=moderation_ai", testapp.Alice, nil, http.StatusOK)
	for _, f := range []string{"moderation_ai", "moderation_threshold", "auto_hide_reports"} {
		if _, ok := seen.Body[f]; ok {
			t.Fatalf("a member sees the board's %s: %s", f, seen.Raw)
		}
	}
	if expand, _ := seen.Body["expand"].(map[string]any); len(expand) != 0 {
		t.Fatalf("a member expands the board's model: %s", seen.Raw)
	}
	admin := mustCall(t, base, http.MethodGet, boardURL, testapp.Adam, nil, http.StatusOK)
	if admin.Body["moderation_ai"] != model {
		t.Fatalf("an admin does not see the board's assist: %s", admin.Raw)
	}
	mustCall(t, base, http.MethodGet, "/api/collections/boards/records?filter="+url.QueryEscape("moderation_ai != ''"), testapp.Alice, nil, http.StatusBadRequest)

	// a spam post: written at once with its job, then reported by the system
	spam := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": board, "title": "=무료 코인 지금 클릭", "content": "대박 수익 보장 코인 투자 클릭"}, http.StatusOK)
	spamID := spam.Body["id"].(string)
	if len(assistJobs(t, app, "post", spamID)) != 1 {
		t.Fatalf("the post's write did not queue its scoring job in its transaction")
	}
	report := scored(t, app, "post", spamID, 1)
	if report == nil {
		t.Fatal("a spam post filed no report")
	}
	if report.GetString("ai_label") != "spam" || report.GetFloat("ai_score") <= 0.7 || report.GetString("reason") != "spam" ||
		report.GetString("target_kind") != "post" {
		t.Fatalf("the system report: %v", report.FieldsData())
	}
	post, _ := app.FindRecordById("posts", spamID)
	if !post.GetBool("is_visible") {
		t.Fatal("the assist hid a post without an auto-hide threshold")
	}
	jobs := mustCall(t, base, http.MethodGet, "/api/collections/ai_logs/records", testapp.Alice, nil, http.StatusOK)
	if n := len(items(jobs)); n != 0 {
		t.Fatalf("a member lists %d jobs, the system's among them", n)
	}
	reps := mustCall(t, base, http.MethodGet, "/api/collections/reports/records", testapp.Alice, nil, http.StatusOK)
	if n := len(items(reps)); n != 0 {
		t.Fatalf("the author lists %d reports about their post", n)
	}
	queue := mustCall(t, base, http.MethodGet, "/api/reports/queue", testapp.Adam, nil, http.StatusOK)
	if q := items(queue); len(q) != 1 || q[0].(map[string]any)["from_ai"] != true || q[0].(map[string]any)["target_id"] != spamID {
		t.Fatalf("the queue: %s", queue.Raw)
	}

	// a clean post files nothing; an edit that turns it into spam does, once
	clean := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Bob,
		map[string]any{"board": board, "title": "주말에 읽은 책", "content": "오늘 날씨가 좋아서 산책을 다녀왔어요"}, http.StatusOK)
	cleanID := clean.Body["id"].(string)
	if scored(t, app, "post", cleanID, 1) != nil {
		t.Fatal("a clean post was reported")
	}
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+cleanID, testapp.Adam, map[string]any{"is_pinned": true}, http.StatusOK)
	mustCall(t, base, http.MethodPatch, "/api/collections/posts/records/"+cleanID, testapp.Bob,
		map[string]any{"content": "지금 클릭하면 무료 코인 지급 대박 수익 보장"}, http.StatusOK)
	if scored(t, app, "post", cleanID, 2) == nil {
		t.Fatal("an edit into spam filed no report (or a pin was scored)")
	}

	// comments too
	comment := mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
		map[string]any{"post": spamID, "content": "free coins click now guaranteed profit"}, http.StatusOK)
	commentID := comment.Body["id"].(string)
	if cr := scored(t, app, "comment", commentID, 1); cr == nil || cr.GetString("target_kind") != "comment" {
		t.Fatal("a spam comment filed no comment report")
	}

	// resolutions come back as a dataset
	mustCall(t, base, http.MethodPost, "/api/reports/"+report.Id+"/resolve", testapp.Adam, map[string]any{"action": "hide", "reason": "spam"}, http.StatusOK)
	edited := scored(t, app, "post", cleanID, 2)
	mustCall(t, base, http.MethodPost, "/api/reports/"+edited.Id+"/resolve", testapp.Adam, map[string]any{"action": "dismiss"}, http.StatusOK)
	mustCall(t, base, http.MethodGet, "/api/reports/ai-export", "", nil, http.StatusUnauthorized)
	mustCall(t, base, http.MethodGet, "/api/reports/ai-export", testapp.Alice, nil, http.StatusForbidden)
	mustCall(t, base, http.MethodGet, "/api/reports/ai-export?board=nosuchboard0000", testapp.Adam, nil, http.StatusNotFound)
	export := call(t, base, http.MethodGet, "/api/reports/ai-export?board="+board, testapp.Adam, nil)
	if export.Status != http.StatusOK {
		t.Fatalf("export: %d %s", export.Status, export.Raw)
	}
	rows, err := csv.NewReader(strings.NewReader(export.Raw)).ReadAll()
	if err != nil {
		t.Fatalf("export is no CSV: %v\n%s", err, export.Raw)
	}
	want := [][]string{
		{"text", "label", "resolution", "target_id"},
		// a cell that would start a formula gets the text marker ', which
		// a spreadsheet hides and training drops (ai.TextCell)
		{"'=무료 코인 지금 클릭\n\n대박 수익 보장 코인 투자 클릭", "spam", "actioned", spamID},
		{"주말에 읽은 책\n\n지금 클릭하면 무료 코인 지급 대박 수익 보장", "ok", "dismissed", cleanID},
	}
	if len(rows) != len(want) {
		t.Fatalf("export has %d rows, want %d:\n%s", len(rows), len(want), export.Raw)
	}
	for i, w := range want {
		got := []string{rows[i][0], rows[i][1], rows[i][4], rows[i][6]}
		if i == 0 {
			got[2], got[3] = rows[0][4], rows[0][6]
		}
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Fatalf("export row %d: %q, want %q", i, got, w)
		}
	}
	// a superuser exports the same file (the queue is theirs too)
	if su := mustCall(t, base, http.MethodGet, "/api/reports/ai-export?board="+board, "root", nil, http.StatusOK); su.Raw != export.Raw {
		t.Fatalf("the superuser's export differs from the admin's:\n%s", su.Raw)
	}
	if other := call(t, base, http.MethodGet, "/api/reports/ai-export?board="+testapp.ID(testapp.BoardMembers), testapp.Adam, nil); strings.Count(other.Raw, "\n") != 1 {
		t.Fatalf("another board's export has rows:\n%s", other.Raw)
	}
	// a deleted post's report stays, but leaves the dataset: its text is gone
	mustCall(t, base, http.MethodDelete, "/api/collections/posts/records/"+cleanID, testapp.Bob, nil, http.StatusNoContent)
	if r, err := app.FindRecordById("reports", edited.Id); err != nil || r.GetString("target_id") != cleanID {
		t.Fatalf("the deleted post's report: %v %v", r, err)
	}
	export = mustCall(t, base, http.MethodGet, "/api/reports/ai-export", testapp.Adam, nil, http.StatusOK)
	if rows, _ := csv.NewReader(strings.NewReader(export.Raw)).ReadAll(); len(rows) != 2 || rows[1][6] != spamID {
		t.Fatalf("export after the delete:\n%s", export.Raw)
	}
}

// TestModerationAssistAutoHide: with auto_hide_reports = 1 the system's
// report is enough to hide, and the log says the system did it.
func TestModerationAssistAutoHide(t *testing.T) {
	app, base := server(t)
	model := assistModel(t, app, base)
	board := testapp.ID(testapp.BoardPublic)
	mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam,
		map[string]any{"moderation_ai": model, "auto_hide_reports": 1}, http.StatusOK)
	spam := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
		map[string]any{"board": board, "title": "코인 대박 무료 가입 클릭", "content": "무료 상품권 클릭 즉시 지급"}, http.StatusOK)
	id := spam.Body["id"].(string)
	if scored(t, app, "post", id, 1) == nil {
		t.Fatal("no system report")
	}
	post, _ := app.FindRecordById("posts", id)
	if post.GetBool("is_visible") {
		t.Fatal("the board's auto-hide threshold of 1 did not hide the post the assist reported")
	}
	entry, err := app.FindFirstRecordByFilter("moderation_log", "action = 'hide' && target_id = {:id}", dbx.Params{"id": id})
	if err != nil || entry.GetString("actor") != "" || !strings.Contains(entry.GetString("reason"), "auto-hidden") {
		t.Fatalf("the log of the auto-hide: %v %v", entry, err)
	}
}

// TestModerationAssistDecomposedCleanLabel: a dataset exported on macOS
// spells the clean label 정상 in decomposed jamo (NFD), or an admin types
// options.clean_labels so; clean posts still file nothing. Until 2026-12-04
// neither matched the label as trained, so every clean post on the board
// was reported.
func TestModerationAssistDecomposedCleanLabel(t *testing.T) {
	app, base := server(t)
	nfd := norm.NFD.String("정상")
	board := testapp.ID(testapp.BoardPublic)
	for _, tc := range []struct {
		name, label string
		options     map[string]any
	}{
		{"nfd-label", nfd, map[string]any{}}, // the default clean labels hold 정상
		{"nfd-option", "양호", map[string]any{"clean_labels": []string{" " + norm.NFD.String("양호") + " "}}},
	} {
		model := assistModelLabeled(t, app, base, tc.name, tc.label, tc.options)
		mustCall(t, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam,
			map[string]any{"moderation_ai": model, "moderation_threshold": 0.8}, http.StatusOK)
		clean := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Bob,
			map[string]any{"board": board, "title": "좋은 하루 보내세요", "content": "오늘 날씨가 좋아서 산책을 다녀왔어요"}, http.StatusOK)
		if r := scored(t, app, "post", clean.Body["id"].(string), 1); r != nil {
			t.Fatalf("%s: a clean post was reported as %q (%v)", tc.name, r.GetString("ai_label"), r.GetFloat("ai_score"))
		}
		spam := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Alice,
			map[string]any{"board": board, "title": "무료 코인 지금 클릭", "content": "대박 수익 보장 코인 투자 클릭"}, http.StatusOK)
		if r := scored(t, app, "post", spam.Body["id"].(string), 1); r == nil || r.GetString("ai_label") != "spam" {
			t.Fatalf("%s: a spam post: report %v", tc.name, r)
		}
	}
}

// BenchmarkModerationAssist is the assist's cost per comment, as a
// member's request makes it: off, on a board without a model; on, on a
// board with one, so the write also queues its scoring job. After the
// loop it waits for the queue and reports the jobs' own run time
// (job-ms/op, started_at to finished_at, per comment).
func BenchmarkModerationAssist(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on"}[on], func(b *testing.B) {
			app, base := server(b)
			board := testapp.ID(testapp.BoardPublic)
			if on {
				model := assistModel(b, app, base)
				mustCall(b, base, http.MethodPatch, "/api/collections/boards/records/"+board, testapp.Adam,
					map[string]any{"moderation_ai": model}, http.StatusOK)
			}
			post := testapp.VisiblePost(testapp.BoardPublic)
			texts := append(append([]string{}, cleanTexts...), spamTexts...)
			i := 0
			for b.Loop() {
				mustCall(b, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
					map[string]any{"post": post, "content": texts[i%len(texts)]}, http.StatusOK)
				i++
			}
			if !on {
				return
			}
			var jobs []struct {
				Started  types.DateTime `db:"started_at"`
				Finished types.DateTime `db:"finished_at"`
			}
			waitUntil(b, "every comment is scored", func() bool {
				jobs = nil
				err := app.DB().Select("started_at", "finished_at").From("ai_logs").
					Where(dbx.NewExp("comment != '' AND is_finished = TRUE")).All(&jobs)
				return err == nil && len(jobs) == i
			})
			var run time.Duration
			for _, j := range jobs {
				run += j.Finished.Time().Sub(j.Started.Time())
			}
			b.ReportMetric(float64(run.Microseconds())/1000/float64(i), "job-ms/op")
		})
	}
}
