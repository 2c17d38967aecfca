package testapp

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
)

// queryWatchers holds, for every database a test app opened, the function
// OnQuery set (or nil). dbx reads its QueryLogFunc field on every query,
// unguarded, and a served app queries from background goroutines (the
// look for users saved elsewhere, every second): a test that set the
// field while they ran was a data race, which -race reported now and then.
var queryWatchers sync.Map // *dbx.DB → *atomic.Pointer[dbx.QueryLogFunc]

// connect opens a test app's database with a QueryLogFunc that calls what
// OnQuery sets, installed before anything else can use the database.
func connect(dbPath string) (*dbx.DB, error) {
	db, err := sqliteConnect(dbPath)
	if err != nil {
		return nil, err
	}
	watcher := new(atomic.Pointer[dbx.QueryLogFunc])
	queryWatchers.Store(db, watcher)
	db.QueryLogFunc = func(ctx context.Context, d time.Duration, text string, rows *sql.Rows, err error) {
		if f := watcher.Load(); f != nil {
			(*f)(ctx, d, text, rows, err)
		}
	}
	return db, nil
}

// OnQuery has f see every query db (a test app's ConcurrentDB or
// NonconcurrentDB) runs until stop is called; it is safe while the app
// serves. Use: t.Cleanup(testapp.OnQuery(db, f)).
func OnQuery(db dbx.Builder, f dbx.QueryLogFunc) (stop func()) {
	w, ok := queryWatchers.Load(db)
	if !ok {
		panic("testapp.OnQuery: the database was not opened by a test app")
	}
	watcher := w.(*atomic.Pointer[dbx.QueryLogFunc])
	watcher.Store(&f)
	return func() { watcher.Store(nil) }
}
