package hooks

import (
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// View counting: every successful GET of a post counts one view per viewer
// per post per viewWindow. The read never waits for the database: views are
// counted in memory and added to posts.views_count in one transaction per
// flush, every viewFlushInterval and once more on graceful shutdown.
const (
	viewWindow        = 24 * time.Hour
	viewFlushInterval = time.Second

	// maxRememberedViews bounds the memory of who viewed what (measured:
	// ~53 bytes an entry, so ~50 MB at most). Past it the oldest entries are
	// forgotten first, so such a viewer may be counted again within 24 h.
	maxRememberedViews = 1_000_000
)

const viewsStoreKey = "madang.views"

func registerViews(app core.App) {
	views := newViewCounter(app, maxRememberedViews)
	app.Store().Set(viewsStoreKey, views)
	app.OnRecordViewRequest("posts").BindFunc(func(e *core.RecordRequestEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		views.Record(e.Record.Id, viewerOf(e.RequestEvent), time.Now())
		return nil
	})
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		views.start()
		return e.Next()
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		if err := views.stop(); err != nil {
			e.App.Logger().Error("saving the last views failed; they are lost", slog.String("error", err.Error()))
		}
		return e.Next()
	})
}

// FlushViews writes the views counted so far to the database now. The
// server does it by itself; tests and tools call it not to wait.
func FlushViews(app core.App) error {
	views, ok := app.Store().Get(viewsStoreKey).(*viewCounter)
	if !ok {
		return errors.New("view counting is not registered on this app")
	}
	return views.Flush()
}

// ViewBuffer tells how many counted views wait for the next flush and how
// many (post, viewer) pairs are remembered against counting twice, for the
// operator's metrics (internal/metrics).
func ViewBuffer(app core.App) (pending, remembered int) {
	views, ok := app.Store().Get(viewsStoreKey).(*viewCounter)
	if !ok {
		return 0, 0
	}
	views.mu.Lock()
	defer views.mu.Unlock()
	for _, n := range views.pending {
		pending += n
	}
	return pending, len(views.seen.at)
}

// viewerOf names who reads: a signed-in account, or the client IP for guests.
func viewerOf(e *core.RequestEvent) string {
	if e.Auth != nil {
		return e.Auth.Collection().Id + ":" + e.Auth.Id
	}
	return "ip:" + e.RealIP()
}

type viewCounter struct {
	app core.App

	mu      sync.Mutex
	seen    seenViews
	pending map[string]int // post id -> views not yet written

	loop     sync.Once
	halt     sync.Once
	quit     chan struct{}
	finished chan struct{}
}

func newViewCounter(app core.App, max int) *viewCounter {
	return &viewCounter{
		app:      app,
		seen:     newSeenViews(max),
		pending:  map[string]int{},
		quit:     make(chan struct{}),
		finished: make(chan struct{}),
	}
}

// Record counts a view of post by viewer at now unless the viewer was
// counted on that post within viewWindow. It never touches the database.
func (v *viewCounter) Record(post, viewer string, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen.add(post, viewer, now) {
		v.pending[post]++
	}
}

// Flush adds the pending views to posts.views_count in one transaction. On
// failure they are kept for the next flush.
func (v *viewCounter) Flush() error {
	v.mu.Lock()
	batch := v.pending
	v.pending = map[string]int{}
	v.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := v.app.RunInTransaction(func(tx core.App) error {
		for post, n := range batch {
			_, err := tx.DB().NewQuery("UPDATE {{posts}} SET [[views_count]] = [[views_count]] + {:n} WHERE [[id]] = {:id}").
				Bind(dbx.Params{"n": n, "id": post}).Execute()
			if err != nil {
				return fmt.Errorf("adding %d views to post %s: %w", n, post, err)
			}
		}
		return nil
	})
	if err != nil {
		v.mu.Lock()
		for post, n := range batch {
			v.pending[post] += n
		}
		v.mu.Unlock()
	}
	return err
}

// start flushes every viewFlushInterval until stop.
func (v *viewCounter) start() {
	v.loop.Do(func() {
		go func() {
			defer close(v.finished)
			ticker := time.NewTicker(viewFlushInterval)
			defer ticker.Stop()
			for {
				select {
				case <-v.quit:
					return
				case <-ticker.C:
					if err := v.Flush(); err != nil {
						v.app.Logger().Warn("saving views failed; retrying at the next flush", slog.String("error", err.Error()))
					}
				}
			}
		}()
	})
}

// stop ends the flush loop (if it ran) and writes what is left.
func (v *viewCounter) stop() error {
	v.halt.Do(func() {
		started := true
		v.loop.Do(func() { started = false }) // and it can no longer start
		if started {
			close(v.quit)
			<-v.finished
		}
	})
	return v.Flush()
}

// seenViews remembers which (post, viewer) pairs were counted and when,
// oldest first, so that expiry and eviction are O(1). Keys are 64-bit
// hashes with a per-process random seed: a collision (odds ~n²/2⁶⁴) would
// only drop one view.
type seenViews struct {
	max   int
	seed  maphash.Seed
	epoch time.Time                // times are kept as monotonic offsets from it
	at    map[uint64]time.Duration // key -> when it was counted
	order []seenView               // oldest first from head
	head  int
}

type seenView struct {
	key uint64
	at  time.Duration
}

func newSeenViews(max int) seenViews {
	return seenViews{max: max, seed: maphash.MakeSeed(), epoch: time.Now(), at: map[uint64]time.Duration{}}
}

// add reports whether viewer's view of post at now counts, and remembers it.
func (s *seenViews) add(post, viewer string, now time.Time) bool {
	t := now.Sub(s.epoch)
	for s.head < len(s.order) && t-s.order[s.head].at >= viewWindow {
		s.dropOldest()
	}
	key := maphash.String(s.seed, post+"\x00"+viewer)
	if at, ok := s.at[key]; ok && t-at < viewWindow {
		return false
	}
	for len(s.at) >= s.max {
		s.dropOldest()
	}
	s.at[key] = t
	s.order = append(s.order, seenView{key, t})
	return true
}

func (s *seenViews) dropOldest() {
	oldest := s.order[s.head]
	if s.at[oldest.key] == oldest.at {
		delete(s.at, oldest.key)
	}
	s.head++
	// compact once half of the slice is dropped entries
	if s.head > 1024 && s.head*2 > len(s.order) {
		s.order = slices.Clone(s.order[s.head:])
		s.head = 0
	}
}
