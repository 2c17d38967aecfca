package txn

import (
	"database/sql"
	"errors"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Prepared is a statement run inside write transactions often enough that
// compiling it each time matters: under SQLite's write lock, parsing a
// statement and dbx's placeholder pass cost more than running it (a
// comment's INSERT … SELECT notice: 0.25 ms, three quarters of it
// compiling). It is prepared once on the app's write connection and reused
// by every transaction there (database/sql keeps it per connection, and
// prepares it again on a new one). Its SQL uses ? placeholders and names
// tables and columns as stored.
type Prepared struct {
	key   string // the app store's key of its preparedStmt
	query string
}

type preparedStmt struct {
	db   *sql.DB // the write connection's pool it was prepared on
	stmt *sql.Stmt
}

// NewPrepared names a statement (unique among Madang's prepared ones).
func NewPrepared(name, query string) *Prepared {
	return &Prepared{key: "madang.txn.prepared." + name, query: query}
}

// errNoWriteConnection: the app has no dbx write connection (a test double).
var errNoWriteConnection = errors.New("txn: the app has no dbx write connection")

// Scan runs p with args on app's write connection — in its transaction
// when app is one (txn.Around's) — and scans the first row into dest; the
// error is sql.ErrNoRows when there is none. The first run in an app
// compiles p as a one-off, and prepares it for the next ones once the
// transaction ends: preparing needs the write connection, which the
// transaction holds.
func (p *Prepared) Scan(app core.App, args []any, dest ...any) error {
	sqlTx, db := sqlTxOf(app)
	switch {
	case db == nil:
		return errNoWriteConnection
	case sqlTx == nil:
		return db.QueryRow(p.query, args...).Scan(dest...)
	}
	if ps, ok := app.Store().Get(p.key).(preparedStmt); ok && ps.db == db {
		return sqlTx.Stmt(ps.stmt).QueryRow(args...).Scan(dest...)
	}
	app.TxInfo().OnComplete(func(error) error {
		if ps, ok := app.Store().Get(p.key).(preparedStmt); ok && ps.db == db {
			return nil
		}
		if stmt, err := db.Prepare(p.query); err == nil {
			app.Store().Set(p.key, preparedStmt{db: db, stmt: stmt})
		}
		return nil // a failed prepare leaves the one-off path in place
	})
	return sqlTx.QueryRow(p.query, args...).Scan(dest...)
}

// sqlTxOf returns the database/sql transaction behind app's write
// connection (nil when app is not a transaction) and its pool.
func sqlTxOf(app core.App) (*sql.Tx, *sql.DB) {
	switch b := app.NonconcurrentDB().(type) {
	case *dbx.Tx:
		base, ok := b.Builder.(interface {
			Executor() dbx.Executor
			DB() *dbx.DB
		})
		if !ok {
			return nil, nil
		}
		sqlTx, _ := base.Executor().(*sql.Tx)
		if sqlTx == nil {
			return nil, nil
		}
		return sqlTx, base.DB().DB()
	case *dbx.DB:
		return nil, b.DB()
	}
	return nil, nil
}
