package metrics

import (
	"context"
	"database/sql"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/prometheus/client_golang/prometheus"
)

// writeTimer times the statements run on the app's write connection
// (app.NonconcurrentDB(): PocketBase sends every write there, one at a
// time, inside and outside transactions). Outside a transaction the time
// includes waiting for that one connection, which is the contention an
// operator wants to see; COMMIT itself is not a statement dbx reports.
type writeTimer struct {
	seconds prometheus.Histogram
}

func newWriteTimer() *writeTimer {
	return &writeTimer{seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace,
		Name:      "sqlite_write_duration_seconds",
		Help:      "Time of each SQL statement executed on the SQLite write connection (INSERT, UPDATE, DELETE, DDL).",
		Buckets:   prometheus.ExponentialBuckets(0.0001, 4, 8), // 0.1 ms … 1.6 s
	})}
}

// bind hooks the write connection now if the app is bootstrapped (tests
// bind after), and again at every bootstrap, which opens new connections.
func (w *writeTimer) bind(app core.App) {
	if app.IsBootstrapped() {
		w.hook(app)
	}
	app.OnBootstrap().BindFunc(func(e *core.BootstrapEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		w.hook(e.App)
		return nil
	})
}

// hook chains the timer to dbx's ExecLogFunc, keeping PocketBase's dev-mode
// SQL printer if there is one. It runs before the app serves or runs a
// command, so no query reads the field while it changes.
func (w *writeTimer) hook(app core.App) {
	db, ok := app.NonconcurrentDB().(*dbx.DB)
	if !ok {
		return
	}
	next := db.ExecLogFunc
	db.ExecLogFunc = func(ctx context.Context, t time.Duration, sql string, result sql.Result, err error) {
		w.seconds.Observe(t.Seconds())
		if next != nil {
			next(ctx, t, sql, result, err)
		}
	}
}
