package ai

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// notesApp is an app with one collection whose name is unique, so a
// write can be made to fail.
func notesApp(t *testing.T) (*tests.TestApp, *core.Collection) {
	t.Helper()
	app, err := tests.NewTestApp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	notes := core.NewBaseCollection("notes")
	notes.Fields.Add(&core.TextField{Name: "name", Required: true})
	notes.AddIndex("idx_notes_name", true, "name", "")
	if err := app.Save(notes); err != nil {
		t.Fatal(err)
	}
	return app, notes
}

func countNotes(t *testing.T, app core.App) int {
	t.Helper()
	n, err := app.CountRecords("notes")
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestCommitterBatches: writes waiting while a transaction runs commit
// together in the next one; a write that fails fails alone; stop commits
// what waits, and later writes still commit (one by one).
func TestCommitterBatches(t *testing.T) {
	app, notes := notesApp(t)
	c := &committer{app: app}
	c.start()

	// the first write holds its transaction open until 30 more are queued
	started, release := make(chan struct{}), make(chan struct{})
	first := c.submit(func(tx core.App) error {
		close(started)
		<-release
		r := core.NewRecord(notes)
		r.Set("name", "first")
		return tx.Save(r)
	})
	<-started
	var results []<-chan error
	for i := range 30 {
		name := fmt.Sprintf("n%02d", i)
		if i == 7 {
			name = "first" // taken once the first commits: this write alone fails
		}
		results = append(results, c.submit(func(tx core.App) error {
			r := core.NewRecord(notes)
			r.Set("name", name)
			return tx.Save(r)
		}))
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}
	for i, done := range results {
		err := <-done
		if (err != nil) != (i == 7) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if n := countNotes(t, app); n != 30 {
		t.Fatalf("%d notes stored, want 30 (the first and 29 of 30)", n)
	}

	// stop commits what waits, then writes commit alone
	pending := c.submit(func(tx core.App) error {
		r := core.NewRecord(notes)
		r.Set("name", "pending")
		return tx.Save(r)
	})
	c.stop()
	if err := <-pending; err != nil {
		t.Fatalf("a write pending at stop: %v", err)
	}
	if err := c.do(func(tx core.App) error {
		r := core.NewRecord(notes)
		r.Set("name", "after")
		return tx.Save(r)
	}); err != nil {
		t.Fatalf("a write after stop: %v", err)
	}
	if n := countNotes(t, app); n != 32 {
		t.Fatalf("%d notes stored, want 32", n)
	}
}

// TestCommitterGroupsWrites: without failures, writes queued behind a
// running transaction share the next one.
func TestCommitterGroupsWrites(t *testing.T) {
	app, notes := notesApp(t)
	c := &committer{app: app}
	c.start()
	defer c.stop()

	started, release := make(chan struct{}), make(chan struct{})
	first := c.submit(func(tx core.App) error {
		close(started)
		<-release
		return nil
	})
	<-started
	var mu sync.Mutex
	txs := map[string]int{}
	var results []<-chan error
	for i := range 20 {
		results = append(results, c.submit(func(tx core.App) error {
			mu.Lock()
			txs[fmt.Sprintf("%p", tx)]++
			mu.Unlock()
			r := core.NewRecord(notes)
			r.Set("name", fmt.Sprint("g", i))
			return tx.Save(r)
		}))
	}
	close(release)
	<-first
	for i, done := range results {
		if err := <-done; err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if len(txs) != 1 {
		t.Fatalf("20 writes queued together ran in %d transactions, want 1: %v", len(txs), txs)
	}
	if n := countNotes(t, app); n != 20 {
		t.Fatalf("%d notes stored, want 20", n)
	}
}
