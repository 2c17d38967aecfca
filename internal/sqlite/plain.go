package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Plain statements.
//
// dbx processes a statement's text on every run: two regular expressions
// scan all of it, to quote {{tables}} and [[columns]] and to number
// {:params}, at some 50 ns a character whatever it contains. For a
// statement of a few hundred characters that is 20 µs alone and about
// 60 µs under load: a comment's notice spent as long in that scan as in
// SQLite (BenchmarkCommentRequest's profile). Statements that run with
// every write of a busy kind are written plain instead — identifiers as
// SQLite reads them, ?NNN parameters — and run here, on the connection or
// transaction dbx would have used, the text untouched (and so compiled
// once per connection, see Connect), and reported to the database's log
// functions as dbx reports its own (PocketBase's --dev SQL log, the
// write-latency metric). Everything else goes through dbx.

// QueryRow runs the plain statement text with args on app's database and
// scans its first row into dest; sql.ErrNoRows when it returns none. When
// app is a transaction it runs in it; otherwise on the read connections,
// or, with write set, on PocketBase's one write connection.
func QueryRow(app core.App, write bool, text string, args []any, dest ...any) error {
	ex, db, err := handlesOf(app, write)
	if err != nil {
		return err
	}
	start := time.Now()
	rows, err := ex.QueryContext(context.Background(), text, args...)
	if db.QueryLogFunc != nil {
		db.QueryLogFunc(context.Background(), time.Since(start), text, rows, err)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// Exec runs the plain statement text with args on PocketBase's one write
// connection, or in app's transaction when app is one.
func Exec(app core.App, text string, args ...any) error {
	ex, db, err := handlesOf(app, true)
	if err != nil {
		return err
	}
	start := time.Now()
	result, err := ex.ExecContext(context.Background(), text, args...)
	if db.ExecLogFunc != nil {
		db.ExecLogFunc(context.Background(), time.Since(start), text, result, err)
	}
	return err
}

// handlesOf returns the database/sql handle behind app's builder, and the
// dbx database it belongs to (whose log functions dbx would have called).
func handlesOf(app core.App, write bool) (dbx.Executor, *dbx.DB, error) {
	b := app.ConcurrentDB()
	if write {
		b = app.NonconcurrentDB()
	}
	switch v := b.(type) {
	case *dbx.DB:
		return v.DB(), v, nil
	case *dbx.Tx:
		// its builder holds the *sql.Tx and the database (dbx's BaseBuilder)
		if h, ok := v.Builder.(interface {
			Executor() dbx.Executor
			DB() *dbx.DB
		}); ok {
			return h.Executor(), h.DB(), nil
		}
	}
	return nil, nil, fmt.Errorf("sqlite: no database/sql handle behind %T", b)
}
