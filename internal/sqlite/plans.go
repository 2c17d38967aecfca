package sqlite

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Plans that do not depend on the values bound.
//
// SQLite may plan a statement anew for the values bound to it: when a
// parameter is the pattern of a LIKE, or is compared with a partial
// index's condition, it marks the statement and recompiles it before the
// first step after any new binding — every run of a kept statement, since
// every run binds. PocketBase binds every literal of a rule or filter, and
// `~` is a LIKE on a bound pattern: the chat rules' `session.members ~
// @request.auth.id` (1795900901_member_text.go), the blocking clauses,
// every search. A chat page spent as long compiling its list query again
// as running it (BenchmarkChatPage, 10 members: 0.40 s of recompiling
// against 0.56 s of running in 3,000 pages; a message's create compiled
// its rule check twice).
//
// SQLITE_DBCONFIG_ENABLE_QPSG, the query planner stability guarantee,
// turns that off: a statement is planned once, without the values, and
// then kept as it is. What it gives up: the LIKE optimisation for a bound
// pattern that starts with literal characters (an index range instead of a
// scan: Madang's searches start with %, and an index would have to be
// NOCASE), a partial index proved usable only by a bound value (Madang's
// own statements that want one spell the condition out), and sqlite_stat4
// samples for bound values (PRAGMA optimize, which PocketBase runs, writes
// none). Results are the same either way; only plans may differ.
//
// modernc.org/sqlite sets some sqlite3_db_config options from its DSN
// (_defensive, _dqs) but not this one, and exports no handle to its
// connection, so stablePlans reads the handle from the connection's
// fields, checked by name and type first: an upgrade that changes them
// makes every Open fail (and so every test), never writes through a wrong
// pointer.
func stablePlans(inner driver.Conn) error {
	db, tls, err := handleOf(inner)
	if err != nil {
		return err
	}
	// int sqlite3_db_config(sqlite3*, SQLITE_DBCONFIG_ENABLE_QPSG, int on, int *now):
	// now may be NULL; TestPlansIgnoreBoundValues checks the effect
	args := libc.Xmalloc(tls, 16) // two variadic slots
	if args == 0 {
		return fmt.Errorf("sqlite: no memory to set the query planner stability guarantee")
	}
	defer libc.Xfree(tls, args)
	if rc := sqlite3.Xsqlite3_db_config(tls, db, sqlite3.SQLITE_DBCONFIG_ENABLE_QPSG, libc.VaList(args, int32(1), uintptr(0))); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: the query planner stability guarantee was not set (result %d)", rc)
	}
	return nil
}

// handleOf is modernc.org/sqlite's connection's sqlite3 handle and the
// C runtime state its calls run with: its fields db and tls.
func handleOf(inner driver.Conn) (db uintptr, tls *libc.TLS, err error) {
	v := reflect.ValueOf(inner)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return 0, nil, fmt.Errorf("sqlite: modernc.org/sqlite's connection is a %T, not a pointer to a struct", inner)
	}
	t := v.Elem().Type()
	dbField, ok := t.FieldByName("db")
	if !ok || dbField.Type.Kind() != reflect.Uintptr {
		return 0, nil, fmt.Errorf("sqlite: modernc.org/sqlite's %s has no field db of a handle", t)
	}
	tlsField, ok := t.FieldByName("tls")
	if !ok || tlsField.Type != reflect.TypeFor[*libc.TLS]() {
		return 0, nil, fmt.Errorf("sqlite: modernc.org/sqlite's %s has no field tls of a *libc.TLS", t)
	}
	base := v.UnsafePointer()
	db = *(*uintptr)(unsafe.Add(base, dbField.Offset))
	tls = *(**libc.TLS)(unsafe.Add(base, tlsField.Offset))
	if db == 0 || tls == nil {
		return 0, nil, fmt.Errorf("sqlite: modernc.org/sqlite's connection is not open")
	}
	return db, tls, nil
}
