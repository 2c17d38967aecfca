package txn_test

import (
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
	"madang/internal/txn"
)

// A prepared statement answers the same in and out of transactions, from
// its first (one-off) run on, after a rollback, and on a new connection.
func TestPreparedAnswersLikeAQuery(t *testing.T) {
	app := testapp.New(t)
	defer app.Cleanup()
	named := txn.NewPrepared("test_user_name", `SELECT name FROM users WHERE id = :id`)
	alice := testapp.ID(testapp.Alice)
	want, err := app.FindRecordById("users", alice)
	if err != nil {
		t.Fatal(err)
	}
	read := func(a core.App, id string) (string, error) {
		var name string
		err := named.Scan(a, []any{sql.Named("id", id)}, &name)
		return name, err
	}
	for i := range 3 { // one-off, then prepared twice
		err := app.RunInTransaction(func(tx core.App) error {
			name, err := read(tx, alice)
			if err != nil || name != want.GetString("name") {
				t.Errorf("run %d in a transaction: %q, %v; want %q", i+1, name, err, want.GetString("name"))
			}
			if _, err := read(tx, "nosuchuser0000"); !errors.Is(err, sql.ErrNoRows) {
				t.Errorf("run %d, a missing row: %v, want sql.ErrNoRows", i+1, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !app.Store().Has("madang.txn.prepared.test_user_name") {
			t.Errorf("after run %d: the statement was not kept prepared", i+1)
		}
	}
	// a rolled-back transaction leaves the statement usable
	rollback := errors.New("roll back")
	err = app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.NonconcurrentDB().NewQuery("UPDATE users SET name = 'renamed' WHERE id = {:id}").
			Bind(map[string]any{"id": alice}).Execute(); err != nil {
			return err
		}
		if name, err := read(tx, alice); err != nil || name != "renamed" {
			t.Errorf("inside the transaction that renamed her: %q, %v", name, err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if name, err := read(app, alice); err != nil || name != want.GetString("name") {
		t.Errorf("outside a transaction, after the rollback: %q, %v; want %q", name, err, want.GetString("name"))
	}
	// a new write connection (the old one expired): prepared again on it
	pool := app.NonconcurrentDB().(*dbx.DB).DB()
	pool.SetConnMaxLifetime(time.Nanosecond)
	defer pool.SetConnMaxLifetime(0)
	for i := range 2 {
		err := app.RunInTransaction(func(tx core.App) error {
			name, err := read(tx, alice)
			if err != nil || name != want.GetString("name") {
				t.Errorf("on new connection %d: %q, %v", i+1, name, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
