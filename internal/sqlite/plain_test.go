package sqlite_test

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/sqlite"
	"madang/internal/testapp"
)

// A plain statement runs where dbx would have run it: on the read pool,
// on the write connection, and inside the caller's transaction, where it
// sees that transaction's own uncommitted writes and rolls back with it.
func TestQueryRowRunsWhereDbxWould(t *testing.T) {
	app := testapp.NewWithContent(t)
	defer app.Cleanup()

	var n int
	if err := sqlite.QueryRow(app, false, `SELECT COUNT(*) FROM posts WHERE id = ?1`, []any{testapp.VisiblePost("public")}, &n); err != nil || n != 1 {
		t.Fatalf("read: %d, %v", n, err)
	}
	err := sqlite.QueryRow(app, false, `SELECT id FROM posts WHERE id = ?1`, []any{"nosuchpost00000"}, new(string))
	if !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("a read of no row: %v, want sql.ErrNoRows", err)
	}
	var kind string
	if err := sqlite.QueryRow(app, true, `UPDATE boards SET name = name WHERE id = ?1 RETURNING read`, []any{testapp.ID(testapp.BoardPublic)}, &kind); err != nil {
		t.Fatalf("write outside a transaction: %v", err)
	}

	sentinel := errors.New("roll back")
	err = app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.DB().NewQuery(`UPDATE boards SET name = 'renamed in tx' WHERE id = {:id}`).Bind(dbx.Params{"id": testapp.ID(testapp.BoardPublic)}).Execute(); err != nil {
			return err
		}
		var name string
		if err := sqlite.QueryRow(tx, false, `SELECT name FROM boards WHERE id = ?1`, []any{testapp.ID(testapp.BoardPublic)}, &name); err != nil {
			return err
		}
		if name != "renamed in tx" {
			t.Errorf("inside the transaction the plain read saw %q, not the transaction's own write", name)
		}
		if err := sqlite.QueryRow(tx, true, `UPDATE boards SET name = 'plain write' WHERE id = ?1 RETURNING name`, []any{testapp.ID(testapp.BoardPublic)}, &name); err != nil {
			return err
		}
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("transaction: %v", err)
	}
	var name string
	if err := sqlite.QueryRow(app, false, `SELECT name FROM boards WHERE id = ?1`, []any{testapp.ID(testapp.BoardPublic)}, &name); err != nil {
		t.Fatal(err)
	}
	if name == "renamed in tx" || name == "plain write" {
		t.Errorf("the plain write did not roll back with its transaction: name is %q", name)
	}
}
