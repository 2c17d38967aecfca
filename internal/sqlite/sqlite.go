// Package sqlite opens Madang's SQLite databases as PocketBase does (its
// driver, modernc.org/sqlite, and its pragmas), with two additions: each
// connection keeps the statements it runs again and again compiled, and
// the write-ahead log is checkpointed in the background, not by the write
// that fills it (checkpoint.go); and a statement is planned once, not
// again for the values bound to each run (plans.go).
//
// PocketBase and dbx send every query as SQL text, and the driver parses
// and compiles it on every call: a fifth of the server's CPU in the load
// benchmark's comment and post scenarios, and under SQLite's one write
// lock, where every writer waits for it, a seventh of each write. A
// connection here prepares a statement the second time it sees its text
// and reuses it from then on (SQLite recompiles a prepared statement by
// itself when the schema changes). Texts seen once are never compiled for
// keeps, so they cannot push the useful ones out; PocketBase's create rule
// checks, which name a random table alias each time, are written one way
// first (createcheck.go).
package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"hash/maphash"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// DriverName is the database/sql driver of Connect.
const DriverName = "madang_sqlite"

// MaxStatements bounds the statements one connection keeps compiled
// (least recently used first out); maxSeen the texts it remembers having
// seen once.
const (
	MaxStatements = 64
	maxSeen       = 1024
)

// DataMaxIdleConns is how many of data.db's read connections the pool
// keeps open between uses: as many as it may open (PocketBase's 120).
// PocketBase keeps 15; with more requests than that at once, every
// connection handed back past the fifteenth was closed, and the next
// query opened a new one — its pragmas run again, every statement compiled
// again, its page cache cold: 5% of the server's CPU in the load bench's
// S6 (50 clients at once), whose rate rose 8–11% once they stayed. The
// ones a burst opened close after connMaxIdleTime unused. main.go and the
// test apps pass it to PocketBase.
const DataMaxIdleConns = core.DefaultDataMaxOpenConns

// connMaxIdleTime is how long a connection stays open unused (each holds
// its page cache, up to 32 MB, and its compiled statements).
var connMaxIdleTime = 5 * time.Minute

var seed = maphash.MakeSeed()

func init() {
	sql.Register(DriverName, cachingDriver{})
	// dbx picks its SQL dialect by driver name: SQLite's, as for "sqlite"
	dbx.BuilderFuncMap[DriverName] = dbx.NewSqliteBuilder
}

// base is the driver modernc.org/sqlite registers as "sqlite" (with any
// function or hook registered on it), which PocketBase would use.
var base = func() driver.Driver {
	db, err := sql.Open("sqlite", "")
	if err != nil {
		panic(err) // only for an unknown driver name
	}
	defer db.Close()
	return db.Driver()
}()

// Connect is PocketBase's core.DefaultDBConnect on the caching driver: the
// same pragmas, in the same order, and a commit checkpoints the log itself
// only past autocheckpointPages (Bind checkpoints it before that).
// Transactions begin IMMEDIATE, taking the write lock (or waiting for it,
// busy_timeout) at once: a deferred one that read before another process
// (the CLI beside a server) committed failed its first write with
// SQLITE_BUSY_SNAPSHOT (517), which no timeout waits out — until
// 2026-12-07 about one CLI ban in twelve beside a busy server. Within the
// process nothing changes: PocketBase writes through one connection, and
// its reads run outside transactions.
func Connect(dbPath string) (*dbx.DB, error) {
	// busy_timeout first: the connection must block on busy before WAL
	// mode is set (PocketBase's note)
	pragmas := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=journal_size_limit(200000000)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)&_defensive=1" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(autocheckpointPages) + ")&_txlock=immediate"
	db, err := dbx.Open(DriverName, dbPath+pragmas)
	if err != nil {
		return nil, err
	}
	db.DB().SetConnMaxIdleTime(connMaxIdleTime)
	return db, nil
}

type cachingDriver struct{}

func (cachingDriver) Open(name string) (driver.Conn, error) {
	inner, err := base.Open(name)
	if err != nil {
		return nil, err
	}
	c, ok := inner.(innerConn)
	if !ok {
		inner.Close()
		return nil, errors.New("sqlite: modernc.org/sqlite's connection lacks a method Madang relies on")
	}
	if err := stablePlans(inner); err != nil {
		inner.Close()
		return nil, err
	}
	return &conn{innerConn: c, stmts: map[string]*list.Element{}, seen: map[uint64]struct{}{}}, nil
}

// innerConn is what modernc.org/sqlite's connection does and this one
// passes on unchanged.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// conn is one SQLite connection. database/sql never uses a connection
// from two goroutines at once (rows are closed under its lock too), so the
// cache needs no lock of its own.
type conn struct {
	innerConn
	stmts map[string]*list.Element // text → element of lru holding *stmt
	lru   list.List                // most recently used first
	seen  map[uint64]struct{}      // hashes of the texts seen once
}

type stmt struct {
	text string
	s    interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool // its rows are open: the next run of the text goes uncached
}

// cached returns text's compiled statement when it is free, compiling it
// the second time text comes; nil means: run it the usual way.
func (c *conn) cached(ctx context.Context, text string) *stmt {
	if e, ok := c.stmts[text]; ok {
		c.lru.MoveToFront(e)
		if s := e.Value.(*stmt); !s.busy {
			return s
		}
		return nil
	}
	h := maphash.String(seed, text) // texts can be kilobytes: remember a hash
	if _, ok := c.seen[h]; !ok {
		if len(c.seen) >= maxSeen {
			clear(c.seen)
		}
		c.seen[h] = struct{}{}
		return nil
	}
	if strings.Contains(text, ";") {
		return nil // possibly a script of several statements: the driver runs those itself
	}
	ds, err := c.innerConn.PrepareContext(ctx, text)
	if err != nil {
		return nil // the usual way reports the error
	}
	prepared, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		ds.Close()
		return nil
	}
	delete(c.seen, h)
	s := &stmt{text: text, s: prepared}
	c.stmts[text] = c.lru.PushFront(s)
	for c.lru.Len() > MaxStatements {
		if !c.evictOne() {
			break
		}
	}
	return s
}

// evictOne closes the least recently used statement that is not running.
func (c *conn) evictOne() bool {
	for e := c.lru.Back(); e != nil; e = e.Prev() {
		s := e.Value.(*stmt)
		if s.busy {
			continue
		}
		c.lru.Remove(e)
		delete(c.stmts, s.text)
		s.s.Close()
		return true
	}
	return false
}

func (c *conn) ExecContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Result, error) {
	if s := c.cached(ctx, text); s != nil {
		return s.s.ExecContext(ctx, args)
	}
	return c.innerConn.ExecContext(ctx, text, args)
}

func (c *conn) QueryContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Rows, error) {
	text, args = createCheckText(text, args)
	s := c.cached(ctx, text)
	if s == nil {
		return c.innerConn.QueryContext(ctx, text, args)
	}
	r, err := s.s.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &rows{Rows: r, stmt: s}, nil
}

// Close closes the kept statements, then the connection.
func (c *conn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*stmt).s.Close()
	}
	clear(c.stmts)
	c.lru.Init()
	return c.innerConn.Close()
}

// rows frees its statement for the next run when closed, and passes on
// the column types modernc.org/sqlite reports.
type rows struct {
	driver.Rows
	stmt *stmt
}

func (r *rows) Close() error {
	err := r.Rows.Close() // resets the statement (modernc keeps it compiled)
	r.stmt.busy = false
	return err
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *rows) ColumnTypeScanType(i int) reflectType {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return anyType
}

func (r *rows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *rows) ColumnTypeLength(i int) (length int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *rows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

type reflectType = reflect.Type

var anyType = reflect.TypeFor[any]()
