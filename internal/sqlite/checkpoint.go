package sqlite

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Checkpoints, off the write path.
//
// SQLite copies the write-ahead log back into the database file (a
// checkpoint) by itself: on the connection whose commit takes the log past
// 1,000 pages, before that commit returns. PocketBase has one write
// connection, so the write that crossed the line waited for the copy and
// its two fsyncs, and every writer queued behind it waited too: with one
// writer committing a 6 KB row every 3 ms, 8 commits of 2,500 took over
// 10 ms (21–34 ms at most; the median 0.2–0.3 ms), and none did with the
// checkpoints below (slowest 2.5–6.5 ms; BenchmarkCommitsWhileTheLogFills,
// README, The database connections and the write path).
//
// Connect raises the writer's own threshold to autocheckpointPages, a
// backstop, and Bind looks every checkpointEvery, while the app serves, at
// how much of each database's log is not yet copied (a NOOP checkpoint,
// which only reads the log's header) and, past checkpointPages — SQLite's own threshold, so the
// fsyncs come no more often than before — checkpoints it on a read
// connection. A PASSIVE checkpoint takes no write lock: writers go on
// appending to the log while it copies, and the next writer after a
// complete one starts the log over. Durability is SQLite's either way: a
// checkpoint only copies committed pages, and a crash in the middle of one
// is recovered from the log on the next open.
const (
	autocheckpointPages = 10000
	checkpointPages     = 1000
	checkpointEvery     = 100 * time.Millisecond
	// passes bounds the checkpoints of one look: writers commit while one
	// runs, and the log starts over only when a writer finds it all copied
	passes = 3
)

// CheckpointStats is what Bind's checkpoints did to one database.
type CheckpointStats struct {
	Runs int64         // checkpoints run
	Time time.Duration // spent in them
	Log  int64         // frames (pages) in the log at the last look
}

type checkpointer struct {
	mu      sync.Mutex
	stop    chan struct{}
	done    chan struct{}
	data    checkpointCounts
	aux     checkpointCounts
	running bool
}

type checkpointCounts struct {
	runs, nanos, log atomic.Int64
}

const checkpointerKey = "madang.sqlite.checkpointer"

func checkpointerOf(app core.App) *checkpointer {
	return app.Store().GetOrSet(checkpointerKey, func() any { return &checkpointer{} }).(*checkpointer)
}

// Checkpoints returns what the checkpointer of app did so far, for
// data.db and auxiliary.db.
func Checkpoints(app core.App) (data, aux CheckpointStats) {
	c := checkpointerOf(app)
	read := func(n *checkpointCounts) CheckpointStats {
		return CheckpointStats{Runs: n.runs.Load(), Time: time.Duration(n.nanos.Load()), Log: n.log.Load()}
	}
	return read(&c.data), read(&c.aux)
}

// Bind checkpoints app's two databases in the background while it serves,
// and stops at its terminate or before their connections close.
func Bind(app core.App) {
	c := checkpointerOf(app)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		c.start(e.App)
		return e.Next()
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		c.halt()
		return e.Next()
	})
	app.OnBootstrapClear().BindFunc(func(e *core.BootstrapEvent) error {
		c.halt()
		return e.Next()
	})
}

func (c *checkpointer) start(app core.App) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running || app.ConcurrentDB() == nil || app.AuxConcurrentDB() == nil {
		return
	}
	c.running, c.stop, c.done = true, make(chan struct{}), make(chan struct{})
	// the handles of now: Bind stops the loop before they close
	dbs := []struct {
		db     dbx.Builder
		name   string
		counts *checkpointCounts
	}{{app.ConcurrentDB(), "data.db", &c.data}, {app.AuxConcurrentDB(), "auxiliary.db", &c.aux}}
	go func(stop <-chan struct{}, done chan<- struct{}) {
		defer close(done)
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if app.Store().Has(core.StoreKeyActiveBackup) {
				continue // a backup or a restore has the files
			}
			for _, d := range dbs {
				if err := checkpoint(d.db, d.counts); err != nil {
					app.Logger().Warn("SQLite checkpoint failed", slog.String("db", d.name), slog.String("error", err.Error()))
				}
			}
		}
	}(c.stop, c.done)
}

// halt stops the loop and waits for its last checkpoint.
func (c *checkpointer) halt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return
	}
	close(c.stop)
	<-c.done
	c.running = false
}

// checkpoint copies what db's log holds into its file when checkpointPages
// or more of it are not copied yet, again while writers committed more
// during the copy (up to passes).
func checkpoint(db dbx.Builder, counts *checkpointCounts) error {
	log, done, err := walCheckpoint(db, "NOOP")
	if err != nil {
		return err
	}
	counts.log.Store(int64(log))
	if log-done < checkpointPages {
		return nil
	}
	for range passes {
		start := time.Now()
		if log, done, err = walCheckpoint(db, "PASSIVE"); err != nil {
			return err
		}
		counts.runs.Add(1)
		counts.nanos.Add(int64(time.Since(start)))
		counts.log.Store(int64(log))
		if done >= log {
			return nil // all copied, or another checkpoint runs (busy): a later look tries again
		}
	}
	return nil
}

// walCheckpoint runs PRAGMA wal_checkpoint(mode) and returns the frames in
// the log and how many of them are copied; none of either when busy (a
// checkpoint runs elsewhere) or not in WAL mode.
func walCheckpoint(db dbx.Builder, mode string) (log, done int, err error) {
	var busy int
	if err := db.NewQuery("PRAGMA wal_checkpoint("+mode+")").Row(&busy, &log, &done); err != nil {
		return 0, 0, err
	}
	if busy != 0 || log < 0 {
		return 0, 0, nil
	}
	return log, done, nil
}
