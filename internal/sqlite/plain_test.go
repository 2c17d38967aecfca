package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

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

// A plain write runs on the write connection or in the caller's
// transaction, and plain statements reach the log functions dbx calls for
// its own (PocketBase's --dev SQL log; the write-latency metric).
func TestExecRunsWhereDbxWouldAndIsLogged(t *testing.T) {
	app := testapp.NewWithContent(t)
	defer app.Cleanup()
	board := testapp.ID(testapp.BoardPublic)

	// the log functions PocketBase's --dev log and the write metric hang on
	var mu sync.Mutex
	var execs, queries []string
	logged := func() (e, q []string) {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(execs), slices.Clone(queries)
	}
	writes := app.NonconcurrentDB().(*dbx.DB)
	reads := app.ConcurrentDB().(*dbx.DB)
	nextExec, nextQuery := writes.ExecLogFunc, reads.QueryLogFunc
	defer func() { writes.ExecLogFunc, reads.QueryLogFunc = nextExec, nextQuery }()
	writes.ExecLogFunc = func(ctx context.Context, d time.Duration, text string, r sql.Result, err error) {
		mu.Lock()
		defer mu.Unlock()
		execs = append(execs, text)
	}
	reads.QueryLogFunc = func(ctx context.Context, d time.Duration, text string, r *sql.Rows, err error) {
		mu.Lock()
		defer mu.Unlock()
		queries = append(queries, text)
	}

	const rename = `UPDATE boards SET name = ?2 WHERE id = ?1`
	if err := sqlite.Exec(app, rename, board, "plain outside"); err != nil {
		t.Fatalf("write outside a transaction: %v", err)
	}
	const readName = `SELECT name FROM boards WHERE id = ?1`
	var name string
	if err := sqlite.QueryRow(app, false, readName, []any{board}, &name); err != nil || name != "plain outside" {
		t.Fatalf("after the write: %q, %v", name, err)
	}
	if e, q := logged(); !slices.Contains(e, rename) || !slices.Contains(q, readName) {
		t.Errorf("the log functions saw writes %q and reads %q; want both statements", e, q)
	}

	sentinel := errors.New("roll back")
	err := app.RunInTransaction(func(tx core.App) error {
		if err := sqlite.Exec(tx, rename, board, "plain inside"); err != nil {
			return err
		}
		if err := sqlite.QueryRow(tx, false, readName, []any{board}, &name); err != nil {
			return err
		}
		if name != "plain inside" {
			t.Errorf("inside the transaction a plain read saw %q, not the plain write", name)
		}
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("transaction: %v", err)
	}
	if err := sqlite.QueryRow(app, false, readName, []any{board}, &name); err != nil || name != "plain outside" {
		t.Errorf("the plain write did not roll back with its transaction: %q, %v", name, err)
	}
	e, _ := logged()
	if n := len(slices.DeleteFunc(e, func(s string) bool { return s != rename })); n != 2 {
		t.Errorf("the write log saw the rename %d times, want 2 (outside and inside the transaction)", n)
	}

	if err := sqlite.Exec(app, `UPDATE no_such_table SET x = 1`); err == nil {
		t.Error("a statement SQLite refuses returned no error")
	}
}
