package main

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFanoutSpans: each message's first and last delivery are its fastest
// and slowest arrival, whatever order the readers report them in and
// however many report at once, and its width the time between them; a
// message nobody received is left out.
func TestFanoutSpans(t *testing.T) {
	const messages = 3
	f := &fanout{epoch: time.Now(), sent: make([]atomic.Int64, messages), byKind: map[string][]time.Duration{},
		first: make([]atomic.Int64, messages), last: make([]atomic.Int64, messages)}
	f.sent[0].Store(int64(10 * time.Millisecond))
	f.sent[2].Store(int64(20 * time.Millisecond))
	var readers sync.WaitGroup
	for i := range 200 { // message 0 arrives 11..210 ms after the epoch, message 2 21..220 ms; message 1 never
		readers.Go(func() {
			at := f.epoch.Add(time.Duration(210-i) * time.Millisecond)
			f.arrive("sse", 0, at)
			f.arrive("ws", 2, at.Add(10*time.Millisecond))
		})
	}
	readers.Wait()
	first, last := f.spans()
	if want := []time.Duration{time.Millisecond, time.Millisecond}; !slices.Equal(first, want) {
		t.Errorf("first deliveries %v, want %v", first, want)
	}
	if want := []time.Duration{200 * time.Millisecond, 200 * time.Millisecond}; !slices.Equal(last, want) {
		t.Errorf("last deliveries %v, want %v", last, want)
	}
	if w, want := widths(first, last), []time.Duration{199 * time.Millisecond, 199 * time.Millisecond}; !slices.Equal(w, want) {
		t.Errorf("fan-out widths %v, want %v", w, want)
	}
	if n := f.delivered.Load(); n != 400 {
		t.Errorf("%d deliveries counted, want 400", n)
	}
}
