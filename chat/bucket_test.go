package chat

import (
	"slices"
	"testing"
	"time"
)

// take calls b.allow at now until it refuses, and returns how many it allowed.
func take(b *bucket, now time.Time) int {
	n := 0
	for b.allow(now) {
		n++
	}
	return n
}

// t0 is when the tests' buckets are first used. The refill steps are
// quarter seconds, exact in binary, so the counts are exact, not rounded.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestBucketBurst(t *testing.T) {
	for _, c := range []struct {
		name        string
		rate, burst float64
	}{
		{"messages", messagesPerSecond, messagesBurst},
		{"join, leave and typing", othersPerSecond, othersBurst},
	} {
		b := newBucket(c.rate, c.burst)
		if got := take(&b, t0); got != int(c.burst) {
			t.Errorf("%s: a fresh bucket allows %d at once, want the burst of %v", c.name, got, c.burst)
		}
	}
}

func TestBucketRefillRate(t *testing.T) {
	b := newBucket(messagesPerSecond, messagesBurst)
	take(&b, t0)
	// 5 a second is 1.25 tokens a quarter second: 1, 1, 1, then 2
	now, got := t0, []int{}
	for range 8 {
		now = now.Add(250 * time.Millisecond)
		got = append(got, take(&b, now))
	}
	if want := []int{1, 1, 1, 2, 1, 1, 1, 2}; !slices.Equal(got, want) {
		t.Fatalf("allowed per quarter second %v, want %v", got, want)
	}

	// a refused call does not waste the time it waited: the fractions add up
	b = newBucket(messagesPerSecond, messagesBurst)
	take(&b, t0)
	if b.allow(t0.Add(100 * time.Millisecond)) {
		t.Fatal("allowed half a token")
	}
	if !b.allow(t0.Add(250 * time.Millisecond)) {
		t.Fatal("refused a token refilled across a refused call")
	}
}

func TestBucketIdleCreditIsCapped(t *testing.T) {
	b := newBucket(messagesPerSecond, messagesBurst)
	take(&b, t0)
	if got := take(&b, t0.Add(time.Hour)); got != messagesBurst {
		t.Fatalf("after an hour idle %d allowed at once, want the burst of %d", got, messagesBurst)
	}
	if b.allow(t0.Add(time.Hour)) {
		t.Fatal("allowed past the burst")
	}
}
