package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/sqlite"
	"madang/internal/testapp"
)

// writePages commits n rows of 3,000 bytes, one transaction each: every
// commit adds at least one page (a frame) to the log.
func writePages(t *testing.T, db dbx.Builder, n int) {
	t.Helper()
	if _, err := db.NewQuery(`CREATE TABLE IF NOT EXISTS pages (id INTEGER PRIMARY KEY, body BLOB)`).Execute(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := db.NewQuery(`INSERT INTO pages (body) VALUES (zeroblob(3000))`).Execute(); err != nil {
			t.Fatal(err)
		}
	}
}

// logFrames returns how many frames db's log holds.
func logFrames(t *testing.T, db dbx.Builder) int {
	t.Helper()
	var busy, log, done int
	if err := db.NewQuery("PRAGMA wal_checkpoint(NOOP)").Row(&busy, &log, &done); err != nil {
		t.Fatal(err)
	}
	return log
}

// A commit does not checkpoint the log itself before the backstop:
// SQLite's default would have copied it at 1,000 frames and the next
// commit would have started it over, so fewer than 1,500 would be left.
func TestACommitLeavesTheCheckpointToTheBackground(t *testing.T) {
	db, err := sqlite.Connect(filepath.Join(t.TempDir(), "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.DB().SetMaxOpenConns(1) // the write connection, alone
	writePages(t, db, 1500)
	if log := logFrames(t, db); log < 1500 {
		t.Errorf("the log holds %d frames after 1,500 commits: a commit checkpointed it", log)
	}
}

// A serving app checkpoints its log in the background once 1,000 pages
// of it wait to be copied.
func TestTheServerCheckpointsInTheBackground(t *testing.T) {
	app := testapp.NewEmpty(t)
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router}, func(*core.ServeEvent) error { return nil }); err != nil {
		t.Fatal(err)
	}
	before, _ := sqlite.Checkpoints(app)
	writePages(t, app.NonconcurrentDB(), 1200)
	// the log held the migrations' pages too, and a look may have come in
	// the middle of the writes: wait until a checkpoint ran and under 1,000
	// pages wait (without the loop, 1,200 and more would wait for ever)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var busy, log, done int
		if err := app.ConcurrentDB().NewQuery("PRAGMA wal_checkpoint(NOOP)").Row(&busy, &log, &done); err != nil {
			t.Fatal(err)
		}
		now, _ := sqlite.Checkpoints(app)
		if now.Runs > before.Runs && log-done < 1000 {
			if now.Time <= before.Time {
				t.Errorf("checkpoint time %v after %v", now.Time, before.Time)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after 1,200 pages written %d of the log's %d frames are not copied: %+v (before the writes %+v)",
				log-done, log, now, before)
		}
	}
	var rows int
	if err := app.ConcurrentDB().NewQuery("SELECT count(*) FROM pages").Row(&rows); err != nil || rows != 1200 {
		t.Errorf("%d rows (%v), want 1200", rows, err)
	}

	// stopped at the terminate, before the cleanup closes the connections
	// (the race detector would tell otherwise), as the app's other loops
	if err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}); err != nil {
		t.Fatal(err)
	}
}
