package hooks

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// The API side of views (who counts, flushes, shutdown) is tested in
// api_posts_test.go; these are the memory rules of the de-duplication.

func TestSeenViewsWindow(t *testing.T) {
	s := newSeenViews(100)
	now := time.Now()
	for _, step := range []struct {
		what         string
		post, viewer string
		at           time.Duration
		counts       bool
	}{
		{"first view", "p1", "u1", 0, true},
		{"same viewer, same post", "p1", "u1", time.Hour, false},
		{"same viewer, other post", "p2", "u1", time.Hour, true},
		{"other viewer", "p1", "u2", time.Hour, true},
		{"just inside the window", "p1", "u1", viewWindow - time.Second, false},
		{"window over", "p1", "u1", viewWindow, true},
		{"window restarted by the last count", "p1", "u1", viewWindow + time.Hour, false},
	} {
		if got := s.add(step.post, step.viewer, now.Add(step.at)); got != step.counts {
			t.Errorf("%s: counted %v, want %v", step.what, got, step.counts)
		}
	}
}

func TestSeenViewsBound(t *testing.T) {
	s := newSeenViews(3)
	now := time.Now()
	for i := range 4 {
		s.add("p", fmt.Sprint("u", i), now.Add(time.Duration(i)*time.Second))
	}
	if len(s.at) != 3 {
		t.Fatalf("remembers %d views, bound is 3", len(s.at))
	}
	// u0, the oldest, was forgotten: it counts again (evicting u1)
	if !s.add("p", "u0", now.Add(time.Minute)) {
		t.Error("the evicted viewer was not counted again")
	}
	if s.add("p", "u3", now.Add(time.Minute)) {
		t.Error("a remembered viewer was counted again")
	}

	// a long run stays within the bound and compacts its queue
	s = newSeenViews(1000)
	for i := range 100_000 {
		s.add("p", fmt.Sprint(i), now.Add(time.Duration(i)*time.Millisecond))
	}
	if len(s.at) > 1000 || len(s.order)-s.head > 1000 || cap(s.order) > 4*1000+2048 {
		t.Errorf("memory not bounded: %d remembered, queue %d (cap %d)", len(s.at), len(s.order)-s.head, cap(s.order))
	}
}

func TestViewCounterRecordIsRaceFree(t *testing.T) {
	v := newViewCounter(nil, 1000)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				v.Record(fmt.Sprint("post", j%2), fmt.Sprint("viewer", i), time.Now())
			}
		}()
	}
	wg.Wait()
	if v.pending["post0"] != 50 || v.pending["post1"] != 50 {
		t.Errorf("pending = %v, want 50 views of each post", v.pending)
	}
}
