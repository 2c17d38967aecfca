// Package txn runs a record event's write and the writes that must commit
// with it (a notice, a session's last_message_at) in one SQLite
// transaction, and hands SQLite's one write connection on as soon as that
// transaction commits.
package txn

import (
	"runtime"

	"github.com/pocketbase/pocketbase/core"
)

// Around runs e's write (e.Next) and then after, in one transaction; it
// joins the caller's transaction when there is one (a cascade delete, a
// batch request, the CLI demo).
//
// PocketBase sends every write through one connection, so a busy server's
// writers queue for it. The connection goes to the next writer when this
// transaction commits, but Go runs that writer only once the committing
// goroutine stops running, which is after it has built and sent its whole
// response (realtime, expand, JSON): the connection sat idle meanwhile.
// So the committing goroutine yields its processor first. Measured in S3
// (8 members commenting on a 2-core machine): the wait for the connection
// fell from 9.5 ms to 4.2 ms a comment, and throughput rose by 15–20%.
func Around(e *core.RecordEvent, after func(tx core.App) error) error {
	original := e.App
	defer func() { e.App = original }()
	return original.RunInTransaction(func(tx core.App) error {
		if !original.IsTransactional() {
			tx.TxInfo().OnComplete(handOn) // the first thing after the commit
		}
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		return after(tx)
	})
}

// handOn lets the goroutine waiting for the write connection run now.
func handOn(error) error {
	runtime.Gosched()
	return nil
}
