package chat

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The hub's background runner: work runs in order on at most
// backgroundWorkers goroutines, a key queued twice runs once, a panic is
// logged and the worker goes on, and stop waits for the work running and
// drops the rest (and whatever comes after).
func TestBackgroundRunsBoundedInOrderAndStops(t *testing.T) {
	var logged atomic.Int32
	b := &background{log: func(string, ...any) { logged.Add(1) }}

	var running, most atomic.Int32
	release := make(chan struct{})
	started := make(chan int, 16)
	block := func(i int) func() {
		return func() {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			started <- i
			<-release
			running.Add(-1)
		}
	}
	for i := range 4 {
		b.do("", block(i))
	}
	// two run, two wait: the first two to start are the first two queued
	first := []int{<-started, <-started}
	slices.Sort(first)
	if !slices.Equal(first, []int{0, 1}) {
		t.Fatalf("started first: %v, want 0 and 1", first)
	}
	select {
	case i := <-started:
		t.Fatalf("work %d started while %d workers were busy", i, backgroundWorkers)
	default:
	}

	var mu sync.Mutex
	var ran []string
	note := func(s string) func() {
		return func() {
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, s)
		}
	}
	b.do("warm/x", note("x"))
	b.do("warm/x", note("x again")) // dropped: the same key waits
	b.do("", func() { panic(errors.New("boom")) })
	b.do("warm/y", note("y"))
	close(release)
	<-started
	<-started
	waitIdle(t, b)
	if got := most.Load(); got != backgroundWorkers {
		t.Errorf("at most %d ran at once, want %d", got, backgroundWorkers)
	}
	mu.Lock()
	if !slices.Contains(ran, "x") || !slices.Contains(ran, "y") || slices.Contains(ran, "x again") {
		t.Errorf("ran %v; want x and y once each", ran)
	}
	mu.Unlock()
	if logged.Load() != 1 {
		t.Errorf("the panic was logged %d times, want once", logged.Load())
	}
	b.do("warm/x", note("x after")) // the key is free again once x ran
	waitIdle(t, b)

	// stop: the running work ends first, the waiting work never runs
	var seq, workEnded, stopReturned atomic.Int32
	hold, holding := make(chan struct{}), make(chan struct{}, 2)
	for range backgroundWorkers {
		b.do("", func() { holding <- struct{}{}; <-hold; workEnded.Store(seq.Add(1)) })
	}
	b.do("", note("queued before stop"))
	<-holding
	<-holding
	stopped := make(chan struct{})
	go func() { b.stop(); stopReturned.Store(seq.Add(1)); close(stopped) }()
	for { // until stop has begun
		b.mu.Lock()
		begun := b.stopped
		b.mu.Unlock()
		if begun {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(hold)
	<-stopped
	if stopReturned.Load() < workEnded.Load() || workEnded.Load() == 0 {
		t.Fatalf("stop returned (step %d) before the running work ended (step %d)", stopReturned.Load(), workEnded.Load())
	}
	b.do("", note("after stop"))
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(ran, "queued before stop") || slices.Contains(ran, "after stop") || !slices.Contains(ran, "x after") {
		t.Errorf("ran %v; the work queued at stop or after it ran, or x after did not", ran)
	}
}

// waitIdle returns once b has no work queued or running.
func waitIdle(t *testing.T, b *background) {
	t.Helper()
	if !b.idleWithin(10 * time.Second) {
		t.Fatal("the background work did not finish")
	}
}

// The presence list is computed once for the subscribers who come before
// the publisher's first round, and kept as the last sent; a failure is
// not kept, nor a list computed for a subscriber after the members changed. Each distinct payload is encoded once: readers who hide
// nobody, or hide members who are not online, share one.
func TestPresenceListIsComputedOnce(t *testing.T) {
	s := newPresenceState()
	calls, encoded := 0, 0
	encode := func(online []string) ([]byte, error) {
		encoded++
		return json.Marshal(online)
	}
	of := func(id string) (*presenceList, error) {
		calls++
		if id == "broken" {
			return nil, errors.New("no such session")
		}
		return newPresenceList([]string{"a", "b", "c"}, []string{"b", "a"}, encode), nil
	}
	for _, c := range []struct {
		hidden map[string]bool
		want   string
	}{
		{nil, `["a","b"]`},
		{map[string]bool{"c": true}, `["a","b"]`}, // c is not online
		{map[string]bool{"b": true}, `["a"]`},
		{map[string]bool{"b": true, "c": true}, `["a"]`},
		{nil, `["a","b"]`},
	} {
		if data, err := s.current("s1", []string{"a", "b", "c"}, of, c.hidden); err != nil || string(data) != c.want {
			t.Fatalf("current hiding %v: %s, %v; want %s", c.hidden, data, err, c.want)
		}
	}
	if calls != 1 || encoded != 2 {
		t.Errorf("five subscribers computed the list %d times and %d payloads, want once and 2", calls, encoded)
	}
	for range 2 {
		if _, err := s.current("broken", nil, of, nil); err == nil {
			t.Fatal("a failed list was returned")
		}
	}
	if calls != 3 {
		t.Errorf("a failed list was kept: %d computations, want 3", calls)
	}
	// the members changed since the list last sent was computed: each
	// subscriber gets a list of its own, and the last sent stays what the
	// readers have (the publisher's next round sends them the change)
	kept := s.last["s1"]
	for range 2 {
		if _, err := s.current("s1", []string{"a", "c"}, of, nil); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 5 || s.last["s1"] != kept {
		t.Errorf("after a removal: %d computations, last sent replaced %v; want 5 and the readers' list kept", calls, s.last["s1"] != kept)
	}
}
