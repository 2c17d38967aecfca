package ai_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"madang/ai"
	"madang/internal/testapp"
)

// TestTrainingRefusesInvalidUTF8: a dataset that is not UTF-8 fails its
// training naming the cell (it used to train: distinct invalid header names
// or labels became one U+FFFD once stored as JSON, a ready model that could
// not load, or one whose scores lost a label).
func TestTrainingRefusesInvalidUTF8(t *testing.T) {
	app, base := serve(t, nil)
	var text strings.Builder
	text.WriteString("text,label\n")
	for i := range 10 {
		fmt.Fprintf(&text, "good text %d,\xff\n", i)
		fmt.Fprintf(&text, "bad text %d,\xfe\n", i)
	}
	var header strings.Builder
	header.WriteString("y,\xff,\xfe\n")
	for i := range 40 {
		fmt.Fprintf(&header, "%d,%d,%d\n", 2*i, i, i%7)
	}
	for _, c := range []struct {
		name, kind, options, csv, want string
	}{
		{"labels", "text_classifier", `{}`, text.String(),
			`The dataset at row 2, column 2 ("label"): the cell is not valid UTF-8; save the file as UTF-8 (a spreadsheet's "CSV UTF-8").`},
		{"header", "linear_regression", `{"target":"y"}`, header.String(),
			`The dataset's header, column 2, is not valid UTF-8; save the file as UTF-8 (a spreadsheet's "CSV UTF-8").`},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := createModel(t, base, testapp.Adam, map[string]string{
				"name": c.name, "kind": c.kind, "options": c.options, "is_visible": "true",
			}, c.csv)
			if res.Status != 200 {
				t.Fatalf("create: %d %s", res.Status, res.Raw)
			}
			id := res.Body["id"].(string)
			mustTrain(t, base, id)
			model := waitModel(t, app, id)
			if model.GetString("status") != ai.StatusFailed || model.GetString("error") != c.want {
				t.Errorf("after training: %s %q, want failed %q", model.GetString("status"), model.GetString("error"), c.want)
			}
			if model.GetString("model") != "null" || model.GetString("metrics") != "null" || !model.GetDateTime("trained_at").IsZero() {
				t.Errorf("stored model %s, metrics %s, trained_at %s", model.GetString("model"), model.GetString("metrics"), model.GetDateTime("trained_at"))
			}
			if res := infer(t, base, testapp.Adam, id, map[string]any{"text": "hello"}); res.Status != http.StatusConflict {
				t.Errorf("infer: %d %s", res.Status, res.Raw)
			}
		})
	}
}
