package ai_test

import (
	"bytes"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/ai"
	"madang/internal/testapp"
)

// BenchmarkQueueThroughput runs b.N linear_regression jobs end to end:
// submitted over HTTP by four clients, queued, run by the workers (one per
// CPU) and finished in the database. It reports finished jobs per second.
func BenchmarkQueueThroughput(b *testing.B) {
	app, base := serve(b, map[string]string{"MADANG_AI_CAPACITY": "1000000", "MADANG_AI_PER_USER": "1000000"})
	finished := make(chan struct{}, b.N)
	app.OnRecordAfterUpdateSuccess(ai.Jobs).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetBool("is_finished") {
			finished <- struct{}{}
		}
		return e.Next()
	})
	body := []byte(`{"input":{"rows":[{"x0":1,"x1":2},{"x0":3,"x1":4}]}}`)
	url := base + "/api/ais/" + mReady + "/infer"
	users := []string{testapp.Alice, testapp.Bob, testapp.Gina, testapp.Adam}

	b.ResetTimer()
	started := time.Now()
	var wg sync.WaitGroup
	for c, user := range users {
		wg.Go(func() {
			for i := c; i < b.N; i += len(users) {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", testapp.Token(user))
				res, err := http.DefaultClient.Do(req)
				if err != nil || res.StatusCode != http.StatusAccepted {
					b.Errorf("infer: %v %v", err, res)
					return
				}
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	for range b.N {
		<-finished
	}
	elapsed := time.Since(started)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	if stored, _ := app.CountRecords(ai.Jobs); stored < int64(b.N) {
		b.Fatalf("%d jobs stored, want %d", stored, b.N)
	}
}

// BenchmarkQueueMemory queues b.N jobs behind a blocked worker and
// reports the live heap each adds (the queue keeps ids, not inputs).
// -benchtime=1000x measures the 1,000-job case.
func BenchmarkQueueMemory(b *testing.B) {
	k := newScriptKind(b)
	app, base := serve(b, map[string]string{"MADANG_AI_WORKERS": "1", "MADANG_AI_CAPACITY": strconv.Itoa(b.N + 1),
		"MADANG_AI_PER_USER": strconv.Itoa(b.N + 2), "MADANG_AI_GRACE": "100ms"})
	withScriptModel(b, app, `{}`)
	waitJob(b, app, mustQueue(b, base, testapp.Alice, scriptModel, map[string]any{"wait": true}), ai.JobRunning)
	defer k.open()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	b.ResetTimer()
	for i := range b.N {
		mustQueue(b, base, testapp.Alice, scriptModel, map[string]any{"echo": i})
	}
	b.StopTimer()

	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	b.ReportMetric(grown/float64(b.N), "heap-B/queued-job")
	b.ReportMetric(grown/(1<<20), "heap-MB")
}
