package txn_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

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
	for _, name := range []string{"txn_probe", "txn_probe_log"} {
		c := core.NewBaseCollection(name)
		c.Fields.Add(&core.TextField{Name: "name"})
		if err := app.Save(c); err != nil {
			t.Fatal(err)
		}
	}
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
	c := core.NewBaseCollection("txn_probe")
	c.Fields.Add(&core.TextField{Name: "name"})
	if err := app.Save(c); err != nil {
		t.Fatal(err)
	}
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
