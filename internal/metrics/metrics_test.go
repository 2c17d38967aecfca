package metrics_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"madang/internal/metrics"
	"madang/internal/testapp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testapp.Cleanup()
	os.Exit(code)
}

const scrapeToken = "scrape-3f9c1e7a52b84d06"

// TestMetricsAreForSuperusersAndTheScraper: GET /api/metrics answers a
// superuser and the bearer of MADANG_METRICS_TOKEN; guests, members,
// in-app admins, other tokens and the token without its scheme get 401 or
// 403 and no metric.
func TestMetricsAreForSuperusersAndTheScraper(t *testing.T) {
	t.Setenv(metrics.TokenEnv, scrapeToken)
	base := testapp.Serve(t, testapp.New(t))
	for _, c := range []struct {
		name, auth string
		want       int
	}{
		{"guest", "", http.StatusUnauthorized},
		{"member", testapp.Token(testapp.Alice), http.StatusForbidden},
		{"admin", testapp.Token(testapp.Adam), http.StatusForbidden},
		{"admin as a bearer", "Bearer " + testapp.Token(testapp.Adam), http.StatusForbidden},
		{"banned member", testapp.Token(testapp.Ben), http.StatusUnauthorized},
		{"a wrong bearer token", "Bearer scrape-0000000000000000", http.StatusUnauthorized},
		{"the token with a suffix", "Bearer " + scrapeToken + "x", http.StatusUnauthorized},
		{"the token without its scheme", scrapeToken, http.StatusUnauthorized},
		{"the token under another scheme", "Basic " + scrapeToken, http.StatusUnauthorized},
		{"superuser", testapp.Token("root"), http.StatusOK},
		{"superuser as a bearer", "Bearer " + testapp.Token("root"), http.StatusOK},
		{"the scraper", "Bearer " + scrapeToken, http.StatusOK},
		{"the scraper, scheme in lower case", "bearer " + scrapeToken, http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := get(t, base+metrics.Route, c.auth)
			if status != c.want {
				t.Fatalf("%d, want %d: %s", status, c.want, body)
			}
			if leaked := strings.Contains(body, "madang_"); leaked != (c.want == http.StatusOK) {
				t.Fatalf("metrics in the answer: %v, want %v: %.200s", leaked, c.want == http.StatusOK, body)
			}
		})
	}
}

// TestWithoutTokenOnlySuperusers: with MADANG_METRICS_TOKEN unset, no
// bearer opens the metrics, an empty one included.
func TestWithoutTokenOnlySuperusers(t *testing.T) {
	t.Setenv(metrics.TokenEnv, "")
	base := testapp.Serve(t, testapp.New(t))
	for _, auth := range []string{"Bearer ", "Bearer  ", "Bearer " + scrapeToken} {
		if status, body := get(t, base+metrics.Route, auth); status != http.StatusUnauthorized {
			t.Errorf("%q: %d %s", auth, status, body)
		}
	}
	if status, _ := get(t, base+metrics.Route, testapp.Token("root")); status != http.StatusOK {
		t.Errorf("superuser: %d", status)
	}
}

// TestMetricsFollowTheApp drives the real server — lists, a view, a
// missing record, an SSE connection, an AI job — and reads each effect in
// the metrics.
func TestMetricsFollowTheApp(t *testing.T) {
	t.Setenv(metrics.TokenEnv, scrapeToken)
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	post := testapp.VisiblePost(testapp.BoardPublic)

	for range 3 {
		if s, body := get(t, base+"/api/collections/posts/records", ""); s != http.StatusOK {
			t.Fatalf("listing posts: %d %s", s, body)
		}
	}
	if s, body := get(t, base+"/api/collections/posts/records/"+post, testapp.Token(testapp.Alice)); s != http.StatusOK {
		t.Fatalf("viewing a post: %d %s", s, body)
	}
	if s, _ := get(t, base+"/api/collections/posts/records/nosuchpost00000", ""); s != http.StatusNotFound {
		t.Fatalf("a missing post: %d", s)
	}

	sse := testapp.Connect(t, base, testapp.Token(testapp.Bob))
	ws := testapp.DialChat(t, base, testapp.Token(testapp.Alice))
	m := waitFor(t, base, "the chat WebSocket to be counted", func(m families) bool {
		return gauge(m, "madang_chat_ws_connections", nil) == 1
	})
	list := map[string]string{"method": "GET", "route": "/api/collections/{collection}/records", "status": "2xx"}
	if n := histogramCount(m, "madang_http_request_duration_seconds", list); n != 3 {
		t.Errorf("list requests timed: %d, want 3", n)
	}
	view := map[string]string{"method": "GET", "route": "/api/collections/{collection}/records/{id}"}
	if n := histogramCount(m, "madang_http_request_duration_seconds", with(view, "status", "2xx")); n != 1 {
		t.Errorf("views timed: %d, want 1", n)
	}
	if n := histogramCount(m, "madang_http_request_duration_seconds", with(view, "status", "4xx")); n != 1 {
		t.Errorf("missing records timed: %d, want 1", n)
	}
	for _, s := range m["madang_http_request_duration_seconds"].GetMetric() {
		for name, v := range labelsOf(s) {
			if strings.Contains(v, post) || strings.Contains(v, "nosuchpost") {
				t.Errorf("a label holds a record id: %s=%s", name, v)
			}
		}
	}
	if v := gauge(m, "madang_realtime_connections", nil); v != 1 {
		t.Errorf("SSE connections while one is open: %v", v)
	}
	for _, reason := range []string{"queue_full", "write_timeout"} {
		if v := counter(m, "madang_realtime_slow_clients_total", map[string]string{"reason": reason}); v != 0 {
			t.Errorf("slow SSE clients (%s): %v", reason, v)
		}
	}
	if v := gauge(m, "madang_views_remembered", nil); v != 1 {
		t.Errorf("remembered views after one: %v", v)
	}
	if _, ok := m["madang_views_pending"]; !ok {
		t.Error("no madang_views_pending")
	}
	if _, ok := m["madang_go_goroutines"]; !ok {
		t.Error("no madang_go_goroutines: the Go runtime's metrics are missing or unprefixed")
	}
	for name := range m {
		if !strings.HasPrefix(name, "madang_") {
			t.Errorf("metric %s is not prefixed madang_", name)
		}
	}

	sse.Close()
	ws.CloseNow()
	waitFor(t, base, "the closed connections to leave the gauges", func(m families) bool {
		return gauge(m, "madang_realtime_connections", nil) == 0 && gauge(m, "madang_chat_ws_connections", nil) == 0
	})

	writesBefore := histogramCount(m, "madang_sqlite_write_duration_seconds", nil)
	job := runJob(t, app, base)
	m = waitFor(t, base, "the finished job to be counted", func(m families) bool {
		return counter(m, "madang_ai_jobs_finished_total", map[string]string{"status": "succeeded"}) == 1
	})
	for _, status := range []string{"failed", "canceled"} {
		if v := counter(m, "madang_ai_jobs_finished_total", map[string]string{"status": status}); v != 0 {
			t.Errorf("jobs %s: %v", status, v)
		}
	}
	for _, q := range []string{"jobs", "training"} {
		for _, s := range []string{"waiting", "running"} {
			if v := gauge(m, "madang_ai_queue_tasks", map[string]string{"queue": q, "state": s}); v != 0 {
				t.Errorf("%s %s after the job: %v", q, s, v)
			}
		}
	}
	// the model, the job queued and finished: three writes at least
	if n := histogramCount(m, "madang_sqlite_write_duration_seconds", nil); n < writesBefore+3 {
		t.Errorf("SQLite writes timed: %d before the job, %d after", writesBefore, n)
	}
	// 1,100 pages written: the log is copied into the database in the
	// background once 1,000 wait
	if _, err := app.NonconcurrentDB().NewQuery(`CREATE TABLE scratch_pages (body BLOB)`).Execute(); err != nil {
		t.Fatal(err)
	}
	for range 1100 {
		if _, err := app.NonconcurrentDB().NewQuery(`INSERT INTO scratch_pages (body) VALUES (zeroblob(3000))`).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	m = waitFor(t, base, "a background checkpoint of data.db", func(m families) bool {
		return counter(m, "madang_sqlite_checkpoints_total", map[string]string{"db": "data"}) >= 1 &&
			counter(m, "madang_sqlite_checkpoint_seconds_total", map[string]string{"db": "data"}) > 0
	})
	if _, ok := m["madang_sqlite_wal_frames"]; !ok {
		t.Error("no madang_sqlite_wal_frames")
	}
	// 40 queries at once leave 40 connections open for the next ones
	// (PocketBase's pool kept 15 and closed the rest: sqlite.DataMaxIdleConns)
	closedBefore := counter(m, "madang_sqlite_connections_closed_total", map[string]string{"db": "data", "reason": "max_idle"})
	pool := app.ConcurrentDB().(*dbx.DB).DB()
	held := make([]*sql.Conn, 40)
	for i := range held {
		c, err := pool.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held[i] = c
	}
	if v := gauge(scrape(t, base), "madang_sqlite_connections", map[string]string{"db": "data", "state": "in_use"}); v < 40 {
		t.Errorf("data.db connections in use while 40 are held: %v", v)
	}
	for _, c := range held {
		c.Close()
	}
	m = scrape(t, base)
	if v := gauge(m, "madang_sqlite_connections", map[string]string{"db": "data", "state": "idle"}); v < 40 {
		t.Errorf("idle data.db connections after 40 were handed back: %v", v)
	}
	if v := counter(m, "madang_sqlite_connections_closed_total", map[string]string{"db": "data", "reason": "max_idle"}); v != closedBefore {
		t.Errorf("connections closed for a full idle pool: %v, %v before", v, closedBefore)
	}
	if _, ok := m["madang_sqlite_connections_closed_total"]; !ok {
		t.Error("no madang_sqlite_connections_closed_total")
	}
	// a finished job edited again is not counted again
	job.Set("description", "edited")
	if err := app.Save(job); err != nil {
		t.Fatal(err)
	}
	m = scrape(t, base)
	if v := counter(m, "madang_ai_jobs_finished_total", map[string]string{"status": "succeeded"}); v != 1 {
		t.Errorf("succeeded jobs after an edit of one: %v", v)
	}
	// the streams, closed long ago, lasted as long as their clients
	// stayed: that is not a request's latency
	for _, s := range m["madang_http_request_duration_seconds"].GetMetric() {
		if l := labelsOf(s); l["route"] == "/api/chat/ws" || l["route"] == "/api/realtime" && l["method"] == "GET" {
			t.Errorf("a stream was timed as a request: %v", l)
		}
	}
	if t.Failed() {
		_, body := get(t, base+metrics.Route, "Bearer "+scrapeToken)
		t.Logf("the metrics:\n%s", body)
	}
}

// runJob saves a ready linear model and runs one job on it through the
// infer route, as alice; it returns the finished job.
func runJob(t *testing.T, app core.App, base string) *core.Record {
	t.Helper()
	models, err := app.FindCollectionByNameOrId("ais")
	if err != nil {
		t.Fatal(err)
	}
	model := core.NewRecord(models)
	model.Load(map[string]any{"name": "metrics-model", "kind": "linear_regression", "status": "ready", "is_visible": true,
		"options": `{"target":"y"}`, "model": `{"features":["x0"],"coefficients":[2],"intercept":1,"target":"y"}`})
	if err := app.Save(model); err != nil {
		t.Fatal(err)
	}
	r := testapp.Call(t, http.MethodPost, base+"/api/ais/"+model.Id+"/infer", testapp.Token(testapp.Alice),
		map[string]any{"input": map[string]any{"features": map[string]any{"x0": 1}}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("queueing a job: %d %s", r.Status, r.Raw)
	}
	id, _ := r.Body["id"].(string)
	deadline := time.Now().Add(10 * time.Second)
	for {
		job, err := app.FindRecordById("ai_logs", id)
		if err == nil && job.GetBool("is_finished") {
			if job.GetString("status") != "succeeded" {
				t.Fatalf("the job %s: %s", job.GetString("status"), job.GetString("error"))
			}
			return job
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type families = map[string]*dto.MetricFamily

func get(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

// scrape reads the metrics as Prometheus does, parsing the text format.
func scrape(t *testing.T, base string) families {
	t.Helper()
	status, body := get(t, base+metrics.Route, "Bearer "+scrapeToken)
	if status != http.StatusOK {
		t.Fatalf("scraping: %d %s", status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	m, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the metrics are not Prometheus text: %v", err)
	}
	return m
}

// waitFor scrapes until ok accepts the metrics, for what the server
// settles in the background (a closed connection, a finished job).
func waitFor(t *testing.T, base, what string, ok func(families) bool) families {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := scrape(t, base)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func with(labels map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// series returns the series of family name whose labels are exactly labels.
func series(m families, name string, labels map[string]string) *dto.Metric {
	for _, s := range m[name].GetMetric() {
		got := labelsOf(s)
		if len(got) != len(labels) {
			continue
		}
		match := true
		for k, v := range labels {
			if got[k] != v {
				match = false
			}
		}
		if match {
			return s
		}
	}
	return nil
}

func labelsOf(s *dto.Metric) map[string]string {
	labels := map[string]string{}
	for _, l := range s.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	return labels
}

func gauge(m families, name string, labels map[string]string) float64 {
	return series(m, name, labels).GetGauge().GetValue()
}

func counter(m families, name string, labels map[string]string) float64 {
	return series(m, name, labels).GetCounter().GetValue()
}

func histogramCount(m families, name string, labels map[string]string) uint64 {
	return series(m, name, labels).GetHistogram().GetSampleCount()
}
