package sqlite

import (
	"context"
	"database/sql"
	"fmt"

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
// once per connection, see Connect). Everything else goes through dbx.
// These statements skip dbx's query log (PocketBase's --dev SQL log).

// QueryRow runs the plain statement text with args on app's database and
// scans its first row into dest; sql.ErrNoRows when it returns none. When
// app is a transaction it runs in it; otherwise on the read connections,
// or, with write set, on PocketBase's one write connection.
func QueryRow(app core.App, write bool, text string, args []any, dest ...any) error {
	ex, err := executorOf(app, write)
	if err != nil {
		return err
	}
	rows, err := ex.QueryContext(context.Background(), text, args...)
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

// executorOf is the database/sql handle behind app's builder.
func executorOf(app core.App, write bool) (dbx.Executor, error) {
	b := app.ConcurrentDB()
	if write {
		b = app.NonconcurrentDB()
	}
	switch v := b.(type) {
	case *dbx.DB:
		return v.DB(), nil
	case *dbx.Tx:
		// its builder holds the *sql.Tx (dbx's BaseBuilder.Executor)
		if e, ok := v.Builder.(interface{ Executor() dbx.Executor }); ok {
			return e.Executor(), nil
		}
	}
	return nil, fmt.Errorf("sqlite: no database/sql handle behind %T", b)
}
