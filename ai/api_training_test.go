package ai_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/ai"
	"madang/internal/testapp"
)

// createModel creates an ais record through the records API as user,
// uploading csv as its dataset (multipart, as the dashboard and SDK do).
func createModel(t testing.TB, base, user string, fields map[string]string, csv string) testapp.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if csv != "" {
		part, _ := w.CreateFormFile("dataset", "data.csv")
		io.WriteString(part, csv)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/collections/ais/records", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", testapp.Token(user))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := testapp.Response{Status: res.StatusCode, Raw: string(raw)}
	json.Unmarshal(raw, &out.Body)
	return out
}

// waitModel waits until a model has left the training status.
func waitModel(t testing.TB, app core.App, id string) *core.Record {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		model, err := app.FindRecordById(ai.Models, id)
		if err != nil {
			t.Fatal(err)
		}
		if s := model.GetString("status"); s != ai.StatusTraining {
			return model
		}
		if time.Now().After(deadline) {
			t.Fatalf("model %s still training", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// planeCSV is y = 3 + 2·x0 − x1 with a little deterministic noise.
func planeCSV(rows int) string {
	var b strings.Builder
	b.WriteString("x0,x1,y\n")
	for i := range rows {
		x0, x1 := float64(i%17), float64((i*7)%13)
		noise := 0.01 * math.Sin(float64(i))
		fmt.Fprintf(&b, "%g,%g,%g\n", x0, x1, 3+2*x0-x1+noise)
	}
	return b.String()
}

func TestTrainingThroughTheRoute(t *testing.T) {
	app, base := serve(t, nil)
	res := createModel(t, base, testapp.Adam, map[string]string{
		"name": "plane", "kind": "linear_regression", "options": `{"target":"y"}`, "is_visible": "true",
	}, planeCSV(200))
	if res.Status != 200 || res.Body["status"] != ai.StatusDraft {
		t.Fatalf("create: %d %s", res.Status, res.Raw)
	}
	id := res.Body["id"].(string)
	dataset := res.Body["dataset"].(string)

	res = testapp.Call(t, http.MethodPost, base+"/api/ais/"+id+"/train", testapp.Token(testapp.Adam), nil)
	if res.Status != http.StatusAccepted || res.Body["status"] != ai.StatusTraining {
		t.Fatalf("train: %d %s", res.Status, res.Raw)
	}
	model := waitModel(t, app, id)
	if model.GetString("status") != ai.StatusReady || model.GetString("error") != "" || model.GetDateTime("trained_at").IsZero() {
		t.Fatalf("after training: %s %q", model.GetString("status"), model.GetString("error"))
	}
	var metrics map[string]float64
	json.Unmarshal([]byte(model.GetString("metrics")), &metrics)
	if metrics["r2"] < 0.999 || metrics["rmse"] > 0.05 {
		t.Errorf("metrics %v", metrics)
	}

	// members use it, without seeing the model or the dataset
	job := waitJob(t, app, mustQueue(t, base, testapp.Alice, id, map[string]any{"features": map[string]any{"x0": 1, "x1": 1}}), ai.JobSucceeded)
	var result struct{ Predictions []float64 }
	json.Unmarshal([]byte(job.GetString("result")), &result)
	if len(result.Predictions) != 1 || math.Abs(result.Predictions[0]-4) > 0.05 {
		t.Errorf("prediction %v, want about 4", result.Predictions)
	}
	view := testapp.Call(t, http.MethodGet, base+"/api/collections/ais/records/"+id, testapp.Token(testapp.Alice), nil)
	if view.Status != 200 || strings.Contains(view.Raw, `"model"`) || strings.Contains(view.Raw, dataset) {
		t.Errorf("member's view: %d %s", view.Status, view.Raw)
	}
	for user, want := range map[string]int{testapp.Alice: 404, testapp.Adam: 200} {
		token := testapp.Call(t, http.MethodPost, base+"/api/files/token", testapp.Token(user), nil).Body["token"]
		file := testapp.Call(t, http.MethodGet, fmt.Sprintf("%s/api/files/ais/%s/%s?token=%s", base, id, dataset, token), "", nil)
		if file.Status != want {
			t.Errorf("%s downloads the dataset: %d, want %d", user, file.Status, want)
		}
	}
}

func TestTrainingWithABadDatasetFails(t *testing.T) {
	app, base := serve(t, nil)
	csv := planeCSV(50)
	lines := strings.Split(csv, "\n")
	lines[2] = "1,abc,3" // the dataset's row 3: header, one good row, then this
	res := createModel(t, base, testapp.Adam, map[string]string{
		"name": "broken", "kind": "linear_regression", "options": `{"target":"y"}`,
	}, strings.Join(lines, "\n"))
	if res.Status != 200 {
		t.Fatalf("create: %d %s", res.Status, res.Raw)
	}
	id := res.Body["id"].(string)
	if res := testapp.Call(t, http.MethodPost, base+"/api/ais/"+id+"/train", testapp.Token(testapp.Adam), nil); res.Status != http.StatusAccepted {
		t.Fatalf("train: %d %s", res.Status, res.Raw)
	}
	model := waitModel(t, app, id)
	want := `The dataset at row 3, column 2 ("x1"): "abc" is not a finite number.`
	if model.GetString("status") != ai.StatusFailed || model.GetString("error") != want {
		t.Errorf("after training: %s %q, want failed %q", model.GetString("status"), model.GetString("error"), want)
	}
	if res := infer(t, base, testapp.Adam, id, map[string]any{"features": map[string]any{"x0": 1}}); res.Status != http.StatusConflict {
		t.Errorf("infer on a failed model: %d %s", res.Status, res.Raw)
	}

	// a dataset that is not CSV at all is refused at upload
	res = createModel(t, base, testapp.Adam, map[string]string{"name": "binary", "kind": "linear_regression"}, "\x00\x01\x02binary")
	if res.Status != 400 || !strings.Contains(res.Raw, `"dataset":{"code":"validation_invalid_mime_type"`) {
		t.Errorf("binary dataset: %d %s", res.Status, res.Raw)
	}
}

func TestTrainingATextClassifierInKorean(t *testing.T) {
	app, base := serve(t, nil)
	var csv strings.Builder
	csv.WriteString("text,label\n")
	for i := range 10 {
		fmt.Fprintf(&csv, "오늘 경기에서 %d골을 넣었다,스포츠\n", i+1)
		fmt.Fprintf(&csv, "양파를 %d분 동안 볶는다,요리\n", i+2)
	}
	res := createModel(t, base, testapp.Adam, map[string]string{
		"name": "주제", "kind": "text_classifier", "is_visible": "true",
	}, csv.String())
	if res.Status != 200 {
		t.Fatalf("create: %d %s", res.Status, res.Raw)
	}
	id := res.Body["id"].(string)
	testapp.Call(t, http.MethodPost, base+"/api/ais/"+id+"/train", testapp.Token(testapp.Adam), nil)
	if model := waitModel(t, app, id); model.GetString("status") != ai.StatusReady {
		t.Fatalf("training: %s %q", model.GetString("status"), model.GetString("error"))
	}
	job := waitJob(t, app, mustQueue(t, base, testapp.Alice, id, map[string]any{"texts": []string{"마늘을 볶는다", "결승전에서 골을 넣었다"}}), ai.JobSucceeded)
	var result struct{ Labels []string }
	json.Unmarshal([]byte(job.GetString("result")), &result)
	if strings.Join(result.Labels, ",") != "요리,스포츠" {
		t.Errorf("labels %v", result.Labels)
	}
}
