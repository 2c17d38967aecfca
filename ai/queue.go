package ai

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Why a queue refuses a task or stops one; routes turn the refusals into
// 429 and 503, and job handlers read the stop causes with context.Cause.
var (
	errQueueFull    = errors.New("queue full")
	errUserLimit    = errors.New("user limit reached")
	errShuttingDown = errors.New("the server is shutting down")
	errCanceled     = errors.New("canceled")
	errDeleted      = errors.New("deleted")
	errFinished     = errors.New("finished by someone else")
	errModelChanged = errors.New("the model changed during its training")
)

// task is one unit of work: an ai_logs job or an ais training run, named
// by its record id (key).
//
// Exactly one party writes a task's final state, whoever claims it first:
// the worker when the run ends, or a cancel or delete while it waits or
// runs. mu is held while claiming and while writing a status, so a cancel
// never interleaves with the worker's "running" write.
type task struct {
	key, user string
	// remote tasks wait on a model server (openai_chat), not on this
	// machine's CPUs: they run on workers of their own (queue.remote)
	remote bool

	mu      sync.Mutex
	claimed bool
	// created is the job as the infer route stored it, while nothing else
	// changed it since (an update drops it): its worker starts from it
	// instead of reading the row again. Nil for trainings and for jobs
	// queued by a restart or a superuser. Atomic, not under mu: the
	// update that drops it may be the worker's own "running" write, made
	// with mu held.
	created atomic.Pointer[core.Record]

	// guarded by the queue's mu
	running bool
	cancel  context.CancelCauseFunc
	counted bool // it holds one of its user's perUser places

	done chan struct{} // closed once the task left the queue
	// settled, when the handler sets it, is closed once the task's final
	// state is stored: until then the task stays in the queue (a cancel
	// finds it and waits) though its worker moved on
	settled chan struct{}
}

func newTask(key, user string) *task {
	return &task{key: key, user: user, done: make(chan struct{})}
}

// newJobTask is an inference job's task; remote when it waits on a model
// server (the queue's remote lane).
func newJobTask(key, user string, remote bool) *task {
	t := newTask(key, user)
	t.remote = remote
	return t
}

// claim makes the caller the one who writes the task's final state; it is
// false when someone else already did. Call with t.mu held.
func (t *task) claim() bool {
	if t.claimed {
		return false
	}
	t.claimed = true
	return true
}

// queue is a bounded queue of tasks served by fixed pools of workers. It
// keeps only ids in memory: a job's input stays in the database until a
// worker takes it, so a full queue costs a few hundred bytes per job.
//
// Its two lanes have workers of their own: `workers` for tasks computed
// here, `remote` for tasks that wait on a model server. Within a lane a
// free worker takes the oldest system task (the moderation assist's, no
// user), else the oldest task of the users with the fewest running: one
// member's many jobs take turns with everyone else's. Until
// 2026-12-07 it was one FIFO for all: a member's six chat jobs on a model
// server that never answered held both workers of a 2-core machine for
// their minute each, and another member's regression job (microseconds)
// waited 151 s, a new post's moderation score 120 s.
type queue struct {
	workers  int
	remote   int // workers for remote tasks
	capacity int // waiting tasks (reserved ones included); 0 = unbounded
	perUser  int // a user's waiting + running tasks; 0 = unbounded
	handle   func(ctx context.Context, t *task)

	mu       sync.Mutex
	wake     [2]*sync.Cond // by lane: [0] computed here, [1] remote
	waiting  []*task
	tasks    map[string]*task
	users    map[string]int
	active   map[string]int // running tasks by user
	reserved int
	running  int
	closed   bool

	base     context.Context
	stopBase context.CancelCauseFunc
	wg       sync.WaitGroup
}

func newQueue(workers, remote, capacity, perUser int, handle func(context.Context, *task)) *queue {
	q := &queue{workers: workers, remote: remote, capacity: capacity, perUser: perUser, handle: handle,
		tasks: map[string]*task{}, users: map[string]int{}, active: map[string]int{}}
	q.wake = [2]*sync.Cond{sync.NewCond(&q.mu), sync.NewCond(&q.mu)}
	q.base, q.stopBase = context.WithCancelCause(context.Background())
	return q
}

// start runs the workers; tasks pushed before wait for it.
func (q *queue) start() {
	for range q.workers {
		q.wg.Add(1)
		go q.work(false)
	}
	for range q.remote {
		q.wg.Add(1)
		go q.work(true)
	}
}

// reserve books room for one more task of user, so a route can refuse a
// request before writing anything. Follow it with push or unreserve.
func (q *queue) reserve(user string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return errShuttingDown
	case q.capacity > 0 && len(q.waiting)+q.reserved >= q.capacity:
		return errQueueFull
	case q.perUser > 0 && q.users[user] >= q.perUser:
		return errUserLimit
	}
	q.users[user]++
	q.reserved++
	return nil
}

func (q *queue) unreserve(user string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reserved--
	q.forgetUser(user)
}

// push appends t. reserved says whether reserve booked it; restored tasks
// are not booked, since they were accepted before a restart. A closed
// queue keeps t out (it stays queued in the database) and says false.
func (q *queue) push(t *task, reserved bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if reserved {
		q.reserved--
	} else {
		q.users[t.user]++
	}
	if q.closed || q.tasks[t.key] != nil {
		q.forgetUser(t.user)
		return false
	}
	t.counted = true
	q.tasks[t.key] = t
	q.waiting = append(q.waiting, t)
	q.wake[lane(t.remote)].Signal()
	return true
}

// find returns the waiting or running task of key, or nil.
func (q *queue) find(key string) *task {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.tasks[key]
}

// withdraw takes t out of the queue if it is waiting, or cancels its
// context with cause if it is running. Claim t first, so that the worker
// does not mistake the cancellation for a failure.
func (q *queue) withdraw(t *task, cause error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.tasks[t.key] != t:
	case t.running:
		t.cancel(cause)
	default:
		q.waiting = slices.DeleteFunc(q.waiting, func(w *task) bool { return w == t })
		q.remove(t)
	}
}

func (q *queue) work(remote bool) {
	defer q.wg.Done()
	for {
		t, ctx := q.next(remote)
		if t == nil {
			return
		}
		q.handle(ctx, t)
		q.mu.Lock()
		t.cancel(nil)
		q.running--
		if q.active[t.user]--; q.active[t.user] <= 0 {
			delete(q.active, t.user)
		}
		if t.settled == nil {
			q.remove(t)
		} else {
			// its user's place frees now, not once the final state is
			// stored: a client that saw the job finish (after that commit)
			// and sent the next got 429 until 2026-12-04
			q.uncount(t)
		}
		q.mu.Unlock()
		if t.settled != nil {
			go func() {
				<-t.settled
				q.mu.Lock()
				q.remove(t)
				q.mu.Unlock()
			}()
		}
	}
}

// next blocks until a task of its lane is waiting and marks it running;
// nil once the queue is closed.
func (q *queue) next(remote bool) (*task, context.Context) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := q.pick(remote)
	for i < 0 && !q.closed {
		q.wake[lane(remote)].Wait()
		i = q.pick(remote)
	}
	if q.closed {
		return nil, nil
	}
	t := q.waiting[i]
	q.waiting = slices.Delete(q.waiting, i, i+1)
	ctx, cancel := context.WithCancelCause(q.base)
	t.running, t.cancel = true, cancel
	q.running++
	q.active[t.user]++
	return t, ctx
}

// lane is the index of a lane's wake-up in queue.wake.
func lane(remote bool) int {
	if remote {
		return 1
	}
	return 0
}

// pick is the index of the waiting task a worker of the lane takes next
// (the queue's order, above), or -1; call with q.mu held.
func (q *queue) pick(remote bool) int {
	best := -1
	for i, t := range q.waiting {
		switch {
		case t.remote != remote:
		case t.user == "":
			return i
		case best < 0 || q.active[t.user] < q.active[q.waiting[best].user]:
			best = i
		}
	}
	return best
}

// remove forgets t; call with q.mu held.
func (q *queue) remove(t *task) {
	delete(q.tasks, t.key)
	q.uncount(t)
	close(t.done)
}

// uncount gives t's place among its user's tasks back, once.
func (q *queue) uncount(t *task) {
	if t.counted {
		t.counted = false
		q.forgetUser(t.user)
	}
}

func (q *queue) forgetUser(user string) {
	if q.users[user]--; q.users[user] <= 0 {
		delete(q.users, user)
	}
}

// close stops intake and lets idle workers exit; waiting tasks stay where
// they are (in the database) for the next start.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.wake[0].Broadcast()
	q.wake[1].Broadcast()
}

// drain waits for running tasks until deadline, then cancels the rest
// with errShuttingDown and waits for their handlers to save that. It
// reports whether every worker ended.
func (q *queue) drain(deadline time.Time) bool {
	ended := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(ended)
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-ended:
		return true
	case <-timer.C:
	}
	q.stopBase(errShuttingDown)
	// Models honour cancellation within moments; a stuck one must not hold
	// the shutdown hostage, and its job is restored at the next start.
	select {
	case <-ended:
		return true
	case <-time.After(time.Second):
		return false
	}
}

// counts is a snapshot for the stats route: both lanes.
func (q *queue) counts() (waiting, running int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting), q.running
}
