package ai

import (
	"database/sql"
	"errors"
	"sync"

	"github.com/pocketbase/pocketbase/core"
)

// committer is group commit for the job writes that come in floods: new
// jobs (the infer route) and their final states (the workers, cancels). A
// write is a function that builds its record and saves it with the
// transaction it is given; the committer runs every write waiting at the
// time in one transaction, so a burst of jobs costs a few commits instead
// of two per job. A write is acknowledged only once its transaction committed —
// nothing a client or worker was told is lost on kill -9 — and realtime
// events and after-success hooks fire as for a lone save, after that
// commit (PocketBase defers them to it).
//
// When a batch fails, each of its writes runs again alone, so one bad
// write fails only itself. That is why a write builds its record inside
// the function: a record saved in a transaction that rolled back is not
// saved again as if it were.
type committer struct {
	app core.App

	mu      sync.Mutex // held while sending, so stop never races a send
	running bool
	ops     chan *commitOp
	stopped chan struct{} // closed when run has committed the last batch
}

type commitOp struct {
	write func(tx core.App) error
	done  chan error
}

// maxBatch bounds one transaction: a commit of this many jobs still takes
// a few milliseconds of the write lock, so nothing else waits long.
const maxBatch = 256

// start begins batching; until then (and after stop) writes commit alone.
func (c *committer) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return
	}
	c.running = true
	c.ops = make(chan *commitOp, maxBatch)
	c.stopped = make(chan struct{})
	go c.run(c.ops, c.stopped)
}

// do runs write in the next batch and returns its outcome once committed
// (or failed).
func (c *committer) do(write func(tx core.App) error) error {
	return <-c.submit(write)
}

// submit queues write and returns the channel its outcome arrives on.
func (c *committer) submit(write func(tx core.App) error) <-chan error {
	op := &commitOp{write: write, done: make(chan error, 1)}
	c.mu.Lock()
	if !c.running {
		c.mu.Unlock()
		op.done <- c.app.RunInTransaction(write)
		return op.done
	}
	c.ops <- op
	c.mu.Unlock()
	return op.done
}

func (c *committer) run(ops chan *commitOp, stopped chan struct{}) {
	defer close(stopped)
	for op := range ops {
		batch := []*commitOp{op}
	gather:
		for len(batch) < maxBatch {
			select {
			case more, ok := <-ops:
				if !ok {
					break gather
				}
				batch = append(batch, more)
			default:
				break gather
			}
		}
		c.commit(batch)
	}
}

func (c *committer) commit(batch []*commitOp) {
	err := c.app.RunInTransaction(func(tx core.App) error {
		for _, op := range batch {
			if err := op.write(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		for _, op := range batch {
			op.done <- err
		}
		return
	}
	for _, op := range batch {
		op.done <- c.app.RunInTransaction(op.write)
	}
}

// stop lets the pending writes commit and ends the batching.
func (c *committer) stop() {
	c.mu.Lock()
	if !c.running {
		c.mu.Unlock()
		return
	}
	c.running = false
	close(c.ops)
	stopped := c.stopped
	c.mu.Unlock()
	<-stopped
}

// unfinishedJobWrite is a write of the queue to job id — its final state,
// its running mark, its return to queued at shutdown — applied with change
// to the job as stored when the write's transaction runs, not to the copy
// the worker loaded. A job finished meanwhile by someone else (a superuser
// in the dashboard, a cancel) or deleted is not written: a finished job
// never changes again, and its final state is counted once
// (madang_ai_jobs_finished_total). dropped, when not nil, says whether the
// last run of the write skipped the job (a failed batch runs it again).
func unfinishedJobWrite(id string, change func(job *core.Record), dropped *bool) func(tx core.App) error {
	return func(tx core.App) error {
		if dropped != nil {
			*dropped = false
		}
		job, err := tx.FindRecordById(Jobs, id)
		if errors.Is(err, sql.ErrNoRows) || err == nil && job.GetBool("is_finished") {
			if dropped != nil {
				*dropped = true
			}
			return nil
		}
		if err != nil {
			return err
		}
		change(job)
		return tx.Save(job)
	}
}
