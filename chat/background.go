package chat

import (
	"fmt"
	"log/slog"
	"sync"
)

// backgroundWorkers bounds the goroutines that run the hub's background
// work: it is database work bound by the cores, so more goroutines would
// only hold more memory at once.
const backgroundWorkers = 2

// backgroundQueue bounds the work waiting; past it, new work is dropped
// (all of it can be: warming is an optimization, and a re-check only
// hurries what a connection's next frame would find).
const backgroundQueue = 10_000

// background runs the hub's own database work off the requests that ask
// for it — warming a subscriber's access cache, re-checking a session's
// connections after it changed — in order, on at most backgroundWorkers
// goroutines, and terminate waits for the work running (stop).
//
// It replaced a goroutine per piece of work: 1,000 members opening a chat
// at once ran 1,000 warm-ups at once, each on a deep stack, and the
// server's memory kept that peak (S5: 12 KB per SSE connection).
type background struct {
	log func(msg string, attrs ...any)

	mu      sync.Mutex
	queue   []task
	keys    map[string]bool // the keys of the queued tasks
	workers int
	stopped bool
	running sync.WaitGroup
}

type task struct {
	key string
	run func()
}

// do queues run. A non-empty key names the work: run is dropped while
// work of the same key waits (a member opening five tabs is warmed once).
func (b *background) do(key string, run func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped || len(b.queue) >= backgroundQueue || key != "" && b.keys[key] {
		return
	}
	if key != "" {
		if b.keys == nil {
			b.keys = map[string]bool{}
		}
		b.keys[key] = true
	}
	b.queue = append(b.queue, task{key: key, run: run})
	if b.workers < backgroundWorkers {
		b.workers++
		b.running.Add(1)
		go b.work()
	}
}

func (b *background) work() {
	defer b.running.Done()
	for {
		b.mu.Lock()
		if len(b.queue) == 0 || b.stopped {
			b.workers--
			b.mu.Unlock()
			return
		}
		t := b.queue[0]
		b.queue[0] = task{}
		if b.queue = b.queue[1:]; len(b.queue) == 0 {
			b.queue = nil // the burst is over: its array goes
		}
		delete(b.keys, t.key)
		b.mu.Unlock()
		b.runOne(t)
	}
}

// runOne runs t; a panic is logged, and the worker goes on.
func (b *background) runOne(t task) {
	defer func() {
		if r := recover(); r != nil && b.log != nil {
			b.log("chat background work panicked", slog.String("key", t.key), slog.String("panic", fmt.Sprint(r)))
		}
	}()
	t.run()
}

// stop drops the work waiting, and returns once the work running ended.
// Work queued after it is dropped.
func (b *background) stop() {
	b.mu.Lock()
	b.stopped = true
	b.queue = nil
	clear(b.keys)
	b.mu.Unlock()
	b.running.Wait()
}
