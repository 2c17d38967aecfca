// Package keyrate limits events per key — an account's wrong old
// passwords, a user's realtime subscriptions — with a token bucket each
// (golang.org/x/time/rate), in the process: a restart forgets them.
package keyrate

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits are the buckets of one kind of event, by key: burst events at
// once, then one every every (New).
type Limits struct {
	every   time.Duration
	burst   int
	maxIdle int // buckets kept before the full ones go (a full bucket is the same as none)

	mu   sync.Mutex
	keys map[string]*rate.Limiter
}

// New returns limits of burst events, then one every every, keeping up to
// maxIdle buckets before it forgets the full ones.
func New(every time.Duration, burst, maxIdle int) *Limits {
	return &Limits{every: every, burst: burst, maxIdle: maxIdle, keys: map[string]*rate.Limiter{}}
}

// Reserve takes one event from key's allowance at now and returns the
// function that gives it back, or how long until the next event is
// allowed (giveBack nil).
func (l *Limits) Reserve(key string, now time.Time) (giveBack func(), wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.keys) >= l.maxIdle {
		for k, b := range l.keys {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.keys, k)
			}
		}
	}
	b, ok := l.keys[key]
	if !ok {
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.keys[key] = b
	}
	r := b.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return nil, wait
	}
	// cancelled as of the moment it was taken: a reservation cancelled any
	// later gives nothing back (rate.Reservation.CancelAt)
	return func() { r.CancelAt(now) }, 0
}

// Allow takes one event from key's allowance at now, telling whether
// there was one.
func (l *Limits) Allow(key string, now time.Time) bool {
	giveBack, _ := l.Reserve(key, now)
	return giveBack != nil
}

// Len is how many buckets are kept.
func (l *Limits) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
