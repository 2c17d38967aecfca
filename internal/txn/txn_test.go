package txn_test

import (
	"context"
	"errors"
	"fmt"
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
