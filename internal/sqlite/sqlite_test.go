package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
)

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Connect(filepath.Join(t.TempDir(), "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sqlDB := db.DB()
	sqlDB.SetMaxOpenConns(1) // one connection: what it keeps is observable
	if _, err := sqlDB.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a'), ('b'), ('c')`); err != nil {
		t.Fatal(err)
	}
	return sqlDB
}

// kept reports how many statements the one connection keeps compiled.
func kept(t *testing.T, db *sql.DB) (n int, has func(string) bool) {
	t.Helper()
	texts, err := KeptTexts(db)
	if err != nil {
		t.Fatal(err)
	}
	return len(texts), func(s string) bool { return slices.Contains(texts, s) }
}

func names(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A text is compiled for keeps the second time it runs, and answers the
// same every time, with its arguments of each run.
func TestKeepsTheSecondRun(t *testing.T) {
	db := open(t)
	const q = `SELECT name FROM t WHERE id >= ? ORDER BY id`
	want := [][]string{{"a", "b", "c"}, {"b", "c"}, {"c"}, {"a", "b", "c"}}
	for i, from := range []int{1, 2, 3, 1} {
		if got := fmt.Sprint(names(t, db, q, from)); got != fmt.Sprint(want[i]) {
			t.Errorf("run %d: %s, want %s", i+1, got, want[i])
		}
		if _, has := kept(t, db); has(q) != (i >= 1) {
			t.Errorf("after run %d: kept %v", i+1, has(q))
		}
	}
	// writes too, and a statement's error is the driver's
	const ins = `INSERT INTO t (name) VALUES (?)`
	for i := range 3 {
		if _, err := db.Exec(ins, fmt.Sprint("new", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := names(t, db, `SELECT name FROM t WHERE name LIKE 'new%' ORDER BY id`); fmt.Sprint(got) != "[new0 new1 new2]" {
		t.Errorf("inserted through the kept statement: %v", got)
	}
	for range 2 {
		if _, err := db.Exec(`INSERT INTO t (id, name) VALUES (1, 'dup')`); err == nil {
			t.Error("a duplicate key was accepted")
		}
	}
}

// The same text run again while its rows are still open (a query inside a
// loop over its own results, in a transaction) runs uncached.
func TestNestedRunsOfOneText(t *testing.T) {
	db := open(t)
	const q = `SELECT name FROM t WHERE id >= ? ORDER BY id`
	names(t, db, q, 1)
	names(t, db, q, 1) // kept now
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	outer, err := tx.Query(q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var s string
		outer.Scan(&s)
		inner, err := tx.Query(q, 3)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			var c string
			inner.Scan(&c)
			got = append(got, s+c)
		}
		inner.Close()
	}
	outer.Close()
	if fmt.Sprint(got) != "[ac bc cc]" {
		t.Errorf("nested runs: %v", got)
	}
}

// A kept statement follows the schema (SQLite recompiles it), scripts run
// whole, and the cache stays within MaxStatements.
func TestSchemaScriptsAndBound(t *testing.T) {
	db := open(t)
	const q = `SELECT * FROM t WHERE id = 1`
	for range 2 {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		rows.Close()
		if len(cols) != 2 {
			t.Fatalf("columns %v", cols)
		}
	}
	if _, err := db.Exec(`ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'x'`); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	rows.Close()
	if len(cols) != 3 {
		t.Errorf("after ALTER TABLE the kept statement reads columns %v", cols)
	}
	const script = `INSERT INTO t (name) VALUES ('s1'); INSERT INTO t (name) VALUES ('s2')`
	for range 2 {
		if _, err := db.Exec(script); err != nil {
			t.Fatal(err)
		}
	}
	if got := names(t, db, `SELECT name FROM t WHERE name LIKE 's%'`); len(got) != 4 {
		t.Errorf("two runs of a two-statement script wrote %v", got)
	}
	for i := range MaxStatements + 50 {
		text := fmt.Sprintf("SELECT name FROM t WHERE id = %d", i)
		names(t, db, text)
		names(t, db, text)
	}
	if n, has := kept(t, db); n != MaxStatements || !has(fmt.Sprintf("SELECT name FROM t WHERE id = %d", MaxStatements+49)) {
		t.Errorf("kept %d statements (bound %d), the newest kept: %v", n, MaxStatements, has(fmt.Sprintf("SELECT name FROM t WHERE id = %d", MaxStatements+49)))
	}
}

// dbx speaks SQLite on these connections, as on PocketBase's own.
func TestDbxSpeaksSQLite(t *testing.T) {
	db, err := Connect(filepath.Join(t.TempDir(), "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok := db.Builder.(*dbx.SqliteBuilder); !ok {
		t.Errorf("dbx builder %T, want *dbx.SqliteBuilder", db.Builder)
	}
}

// The connections a burst opened close once unused for connMaxIdleTime;
// until then the pool keeps them for the next queries.
func TestUnusedConnectionsClose(t *testing.T) {
	old := connMaxIdleTime
	connMaxIdleTime = time.Second
	t.Cleanup(func() { connMaxIdleTime = old })
	db, err := Connect(filepath.Join(t.TempDir(), "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pool := db.DB()
	pool.SetMaxIdleConns(DataMaxIdleConns)
	held := make([]*sql.Conn, 5)
	for i := range held {
		if held[i], err = pool.Conn(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range held {
		c.Close()
	}
	if st := pool.Stats(); st.Idle != 5 || st.MaxIdleClosed != 0 {
		t.Fatalf("right after the burst: %d idle, %d closed for a full pool; want 5 and 0", st.Idle, st.MaxIdleClosed)
	}
	deadline := time.Now().Add(10 * time.Second)
	for pool.Stats().MaxIdleTimeClosed < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("unused connections still open after 10 s: %+v", pool.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := pool.Stats(); st.OpenConnections != 0 {
		t.Errorf("open connections once all were unused for %s: %d", connMaxIdleTime, st.OpenConnections)
	}
}

// TestTransactionsTakeTheWriteLockAtOnce: a transaction takes the write
// lock at its BEGIN (IMMEDIATE), so a transaction that reads first never
// meets another process's commit when it comes to write: SQLite answers
// that with SQLITE_BUSY_SNAPSHOT (517), which no busy timeout waits out.
// Until 2026-12-07 transactions were deferred, and about one CLI ban in
// twelve beside a server writing 200 comments a second failed with
// "database is locked (517)".
func TestTransactionsTakeTheWriteLockAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	db, err := Connect(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.NewQuery("CREATE TABLE t (n INTEGER)").Execute(); err != nil {
		t.Fatal(err)
	}
	// another process, which does not wait for the lock
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	err = db.Transactional(func(tx *dbx.Tx) error {
		var n int
		if err := tx.NewQuery("SELECT COUNT(*) FROM t").Row(&n); err != nil {
			return err
		}
		if _, err := other.Exec("INSERT INTO t VALUES (1)"); err == nil {
			t.Error("another process wrote during a transaction's read")
		}
		_, err := tx.NewQuery("INSERT INTO t VALUES (2)").Execute()
		return err
	})
	if err != nil {
		t.Fatalf("the transaction's write: %v", err)
	}
}
