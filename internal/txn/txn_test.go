package txn_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
	"madang/internal/txn"
)

// BindCreate's transaction holds the INSERT and what after writes, all or
// nothing, and starts at the statement: the record's own execute hooks
// (and the field interceptors that upload files) run before it.
func TestBindCreateCommitsWithTheInsertOnly(t *testing.T) {
	app := testapp.New(t)
	defer app.Cleanup()
	probeCollections(t, app, "txn_probe", "txn_probe_log")
	var hookInTx, afterInTx bool
	app.OnRecordCreateExecute("txn_probe").BindFunc(func(e *core.RecordEvent) error {
		hookInTx = e.App.IsTransactional()
		return e.Next()
	})
	failed := errors.New("after failed")
	txn.BindCreate(app, "txn_probe", func(tx core.App, r *core.Record) error {
		afterInTx = tx.IsTransactional()
		if _, err := tx.DB().NewQuery("INSERT INTO txn_probe_log (id, name) VALUES ({:id}, {:name})").
			Bind(dbx.Params{"id": r.Id, "name": r.GetString("name")}).Execute(); err != nil {
			return err
		}
		if r.GetString("name") == "fail" {
			return failed
		}
		return nil
	})
	collection, _ := app.FindCollectionByNameOrId("txn_probe")
	count := func(table, name string) int {
		var n int
		app.DB().Select("COUNT(*)").From(table).Where(dbx.HashExp{"name": name}).Row(&n)
		return n
	}

	ok := core.NewRecord(collection)
	ok.Set("name", "ok")
	if err := app.Save(ok); err != nil {
		t.Fatal(err)
	}
	if hookInTx || !afterInTx {
		t.Errorf("the record's execute hook in a transaction: %v (want false); after in one: %v (want true)", hookInTx, afterInTx)
	}
	if count("txn_probe", "ok") != 1 || count("txn_probe_log", "ok") != 1 {
		t.Errorf("a good write: %d records, %d log rows; want 1 and 1", count("txn_probe", "ok"), count("txn_probe_log", "ok"))
	}

	bad := core.NewRecord(collection)
	bad.Set("name", "fail")
	if err := app.Save(bad); !errors.Is(err, failed) {
		t.Fatalf("saving with a failing after: %v, want %v", err, failed)
	}
	if count("txn_probe", "fail") != 0 || count("txn_probe_log", "fail") != 0 {
		t.Errorf("a failed after left %d records and %d log rows; want none", count("txn_probe", "fail"), count("txn_probe_log", "fail"))
	}

	// inside a caller's transaction, BindCreate joins it: nothing commits
	// until the caller does, and the caller's rollback takes both back
	rollback := errors.New("caller rolls back")
	err := app.RunInTransaction(func(tx core.App) error {
		r := core.NewRecord(collection)
		r.Set("name", "nested")
		if err := tx.Save(r); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) || count("txn_probe", "nested") != 0 || count("txn_probe_log", "nested") != 0 {
		t.Errorf("a caller's rollback: %v; %d records, %d log rows left", err, count("txn_probe", "nested"), count("txn_probe_log", "nested"))
	}
}

// BindCreateRead's read runs outside the transaction, after the record's
// execute hooks, and what it returns reaches after, inside it.
func TestBindCreateReadReadsOutsideTheTransaction(t *testing.T) {
	app := testapp.New(t)
	defer app.Cleanup()
	probeCollections(t, app, "txn_probe")
	c, _ := app.FindCollectionByNameOrId("txn_probe")
	var steps []string
	app.OnRecordCreateExecute("txn_probe").BindFunc(func(e *core.RecordEvent) error {
		steps = append(steps, "execute hook")
		return e.Next()
	})
	var readInTx bool
	txn.BindCreateRead(app, "txn_probe", func(app core.App, r *core.Record) string {
		readInTx = app.IsTransactional()
		steps = append(steps, "read")
		return "read " + r.GetString("name")
	}, func(tx core.App, r *core.Record, facts string) error {
		steps = append(steps, "after: "+facts+fmt.Sprintf(" (in a transaction: %v)", tx.IsTransactional()))
		return nil
	})
	r := core.NewRecord(c)
	r.Set("name", "x")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	want := []string{"execute hook", "read", "after: read x (in a transaction: true)"}
	if readInTx || !slices.Equal(steps, want) {
		t.Errorf("read in a transaction: %v (want false); steps %q, want %q", readInTx, steps, want)
	}
}

// Around's transaction starts at the write's statement, not at the hook
// that called it: the hooks after it (and the fields' interceptors, which
// upload files) run with SQLite's write connection free — another write
// goes through meanwhile — and every Around of one write shares one
// transaction, their afters innermost first, all or nothing. An after
// whose write was refused before its statement never runs.
func TestAroundStartsAtTheStatement(t *testing.T) {
	app := testapp.New(t)
	defer app.Cleanup()
	probeCollections(t, app, "txn_probe", "txn_probe_log")
	logRow := func(tx core.App, name string) error {
		_, err := tx.DB().NewQuery("INSERT INTO txn_probe_log (id, name) VALUES ({:id}, {:name})").
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "name": name}).Execute()
		return err
	}
	count := func(table, name string) int {
		var n int
		app.DB().Select("COUNT(*)").From(table).Where(dbx.HashExp{"name": name}).Row(&n)
		return n
	}
	var order []string
	var innerInTx bool
	var otherWrite error
	failed := errors.New("after failed")
	refused := errors.New("refused before the statement")
	app.OnRecordUpdateExecute("txn_probe").BindFunc(func(e *core.RecordEvent) error { // outer
		name := e.Record.GetString("name")
		return txn.Around(e, func(tx core.App) error {
			order = append(order, "outer")
			return logRow(tx, "outer:"+name)
		})
	})
	app.OnRecordUpdateExecute("txn_probe").BindFunc(func(e *core.RecordEvent) error { // inner
		name := e.Record.GetString("name")
		innerInTx = e.App.IsTransactional()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, otherWrite = app.NonconcurrentDB().NewQuery("INSERT INTO txn_probe_log (id, name) VALUES ({:id}, 'meanwhile')").
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId()}).WithContext(ctx).Execute()
		if name == "refuse" {
			return refused
		}
		return txn.Around(e, func(tx core.App) error {
			order = append(order, fmt.Sprintf("inner (in a transaction: %v)", tx.IsTransactional()))
			if err := logRow(tx, "inner:"+name); err != nil {
				return err
			}
			if name == "fail" {
				return failed
			}
			return nil
		})
	})
	collection, _ := app.FindCollectionByNameOrId("txn_probe")
	r := core.NewRecord(collection)
	r.Set("name", "start")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}

	r.Set("name", "ok")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	if want := []string{"inner (in a transaction: true)", "outer"}; !slices.Equal(order, want) {
		t.Errorf("afters ran %q, want %q", order, want)
	}
	if innerInTx || otherWrite != nil {
		t.Errorf("the hook after Around ran in a transaction: %v (want false); another write meanwhile: %v (want it through)", innerInTx, otherWrite)
	}
	if count("txn_probe_log", "outer:ok") != 1 || count("txn_probe_log", "inner:ok") != 1 || count("txn_probe", "ok") != 1 {
		t.Errorf("a good update: %d + %d log rows, %d records; want 1, 1, 1",
			count("txn_probe_log", "outer:ok"), count("txn_probe_log", "inner:ok"), count("txn_probe", "ok"))
	}

	r.Set("name", "fail")
	if err := app.Save(r); !errors.Is(err, failed) {
		t.Fatalf("an update whose after fails: %v, want %v", err, failed)
	}
	if count("txn_probe", "fail") != 0 || count("txn_probe_log", "inner:fail") != 0 || count("txn_probe_log", "outer:fail") != 0 {
		t.Errorf("a failed after left the update (%d) or log rows (%d, %d)", count("txn_probe", "fail"),
			count("txn_probe_log", "inner:fail"), count("txn_probe_log", "outer:fail"))
	}

	r.Set("name", "refuse")
	if err := app.Save(r); !errors.Is(err, refused) {
		t.Fatalf("an update refused by a hook: %v, want %v", err, refused)
	}
	order = nil
	r.Set("name", "again")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	if count("txn_probe_log", "outer:refuse") != 0 || !slices.Equal(order, []string{"inner (in a transaction: true)", "outer"}) {
		t.Errorf("the refused update's after ran (%d log rows) or the next update's afters ran %q",
			count("txn_probe_log", "outer:refuse"), order)
	}
}

// probeCollections creates base collections of one text field, name.
func probeCollections(t *testing.T, app core.App, names ...string) {
	t.Helper()
	for _, name := range names {
		c := core.NewBaseCollection(name)
		c.Fields.Add(&core.TextField{Name: "name"})
		if err := app.Save(c); err != nil {
			t.Fatal(err)
		}
	}
}

// AroundRead's read runs in the write's transaction right before its
// statement, after the record's other execute hooks: it sees a change
// stored after the hook that called AroundRead ran, and after gets what it
// read. Inside a caller's transaction, which no other writer can enter, it
// runs there and sees the row as that transaction has it.
func TestAroundReadReadsAtTheStatement(t *testing.T) {
	app := testapp.New(t)
	defer app.Cleanup()
	probeCollections(t, app, "txn_probe", "txn_probe_log")
	type seen struct {
		name string
		inTx bool
	}
	var got []seen
	app.OnRecordUpdateExecute("txn_probe").BindFunc(func(e *core.RecordEvent) error { // outer: calls AroundRead
		return txn.AroundRead(e, func(tx core.App) seen {
			var name string
			tx.DB().Select("name").From("txn_probe").Where(dbx.HashExp{"id": e.Record.Id}).Row(&name)
			return seen{name, tx.IsTransactional()}
		}, func(tx core.App, s seen) error {
			got = append(got, s)
			return nil
		})
	})
	app.OnRecordUpdateExecute("txn_probe").BindFunc(func(e *core.RecordEvent) error { // inner: another writer, after it
		if e.App.IsTransactional() { // the caller's transaction holds the write connection: no other writer
			return e.Next()
		}
		if _, err := app.NonconcurrentDB().NewQuery("UPDATE txn_probe SET name = 'meanwhile' WHERE id = {:id}").
			Bind(dbx.Params{"id": e.Record.Id}).Execute(); err != nil {
			return err
		}
		return e.Next()
	})
	collection, _ := app.FindCollectionByNameOrId("txn_probe")
	r := core.NewRecord(collection)
	r.Set("name", "start")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	r.Set("name", "updated")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	r.Set("name", "in a caller's transaction")
	if err := app.RunInTransaction(func(tx core.App) error { return tx.Save(r) }); err != nil {
		t.Fatal(err)
	}
	if want := []seen{{"meanwhile", true}, {"updated", true}}; !slices.Equal(got, want) {
		t.Errorf("AroundRead read %v, want %v", got, want)
	}
}

// A committing write yields its processor only when another writer waits
// for the write connection: then the waiter runs at once. With nobody waiting, a yield only put the committing request
// behind every runnable goroutine (the fan-out's writers, in the chat
// benchmark) before its own event went out.
func TestCommitYieldsOnlyToAWaitingWriter(t *testing.T) {
	app := testapp.New(t)
	defer app.Cleanup()
	probeCollections(t, app, "txn_probe", "txn_probe_log")
	waits := func() int64 { return app.NonconcurrentDB().(*dbx.DB).DB().Stats().WaitCount }
	var waiter chan error
	txn.BindCreate(app, "txn_probe", func(tx core.App, r *core.Record) error {
		if r.GetString("name") != "with a waiter" {
			return nil
		}
		before := waits()
		waiter = make(chan error, 1)
		go func() {
			_, err := app.NonconcurrentDB().NewQuery("INSERT INTO txn_probe_log (id, name) VALUES ({:id}, 'waiter')").
				Bind(dbx.Params{"id": core.GenerateDefaultRandomId()}).Execute()
			waiter <- err
		}()
		for deadline := time.Now().Add(5 * time.Second); waits() == before; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				return errors.New("the other writer never waited for the connection")
			}
		}
		return nil
	})
	collection, _ := app.FindCollectionByNameOrId("txn_probe")
	save := func(name string) int {
		t.Helper()
		yields, restore := txn.CountYields()
		defer restore()
		r := core.NewRecord(collection)
		r.Set("name", name)
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
		return yields()
	}

	if n := save("alone"); n != 0 {
		t.Errorf("a commit with no writer waiting yielded %d times, want 0", n)
	}
	if n := save("with a waiter"); n != 1 {
		t.Errorf("a commit with a writer waiting yielded %d times, want 1", n)
	}
	if err := <-waiter; err != nil {
		t.Fatalf("the waiting writer: %v", err)
	}
	var n int
	app.DB().Select("COUNT(*)").From("txn_probe_log").Where(dbx.HashExp{"name": "waiter"}).Row(&n)
	if n != 1 {
		t.Errorf("the waiting writer's row: %d, want 1", n)
	}

	// Two writers wait while another transaction holds the connection: the
	// first to get it yields to the second at its commit, though the second
	// began waiting before the first's transaction did; the second yields
	// to no one. On one processor, the case the yield is for: with a core
	// free, the second writer, handed the connection by the first's COMMIT,
	// could start its transaction before the first looks for waiters, and
	// then there is rightly no one left to yield to (a fresh-clone CI run
	// read 0 yields that way).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	yields, restore := txn.CountYields()
	defer restore()
	errs := make(chan error, 2)
	if err := app.RunInTransaction(func(core.App) error {
		before := waits()
		for _, name := range []string{"first", "second"} {
			go func() {
				r := core.NewRecord(collection)
				r.Set("name", name)
				errs <- app.Save(r)
			}()
		}
		for deadline := time.Now().Add(5 * time.Second); waits() < before+2; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				return errors.New("the two writers never waited for the connection")
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := yields(); n != 1 {
		t.Errorf("two writers waiting since before either had the connection yielded %d times, want 1", n)
	}
}
