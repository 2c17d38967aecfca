package sqlite

import (
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkCommitsWhileTheLogFills is one writer committing a 6 KB row
// every 3 ms on its own connection, as PocketBase's write connection does,
// while the log fills and is checkpointed: by the committing connection at
// SQLite's default threshold ("inline", as before Bind), or by the
// background look on a read connection ("background", as now). It reports
// the commits' tail: a commit that checkpoints waits for the copy and two
// fsyncs, and so does every writer queued behind it. b.N is the number of
// commits.
func BenchmarkCommitsWhileTheLogFills(b *testing.B) {
	for _, mode := range []string{"inline", "background"} {
		b.Run(mode, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "data.db")
			w, err := Connect(path)
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			w.DB().SetMaxOpenConns(1)
			r, err := Connect(path)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			if mode == "inline" {
				if _, err := w.NewQuery("PRAGMA wal_autocheckpoint(1000)").Execute(); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := w.NewQuery("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)").Execute(); err != nil {
				b.Fatal(err)
			}
			stop, stopped := make(chan struct{}), make(chan struct{})
			var counts checkpointCounts
			go func() {
				defer close(stopped)
				for {
					select {
					case <-stop:
						return
					case <-time.After(checkpointEvery):
					}
					if mode == "background" {
						if err := checkpoint(r, &counts); err != nil {
							b.Error(err)
						}
					}
				}
			}()
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if _, err := w.NewQuery("INSERT INTO t (body) VALUES (randomblob(6000))").Execute(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				time.Sleep(3 * time.Millisecond)
			}
			close(stop)
			<-stopped
			slices.Sort(lat)
			over := 0
			for _, l := range lat {
				if l > 10*time.Millisecond {
					over++
				}
			}
			at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(at(0.5), "p50-ms")
			b.ReportMetric(at(0.999), "p99.9-ms")
			b.ReportMetric(at(1), "max-ms")
			b.ReportMetric(float64(over), "commits>10ms")
			b.ReportMetric(float64(counts.runs.Load()), "background-checkpoints")
		})
	}
}
