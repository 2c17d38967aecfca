package keyrate_test

import (
	"testing"
	"time"

	"madang/internal/keyrate"
)

// TestAllowanceRefills: after burst events, the next waits every and is
// allowed once that has passed; a given-back event is returned; another
// key has its own allowance; the full buckets go once maxIdle are kept.
func TestAllowanceRefills(t *testing.T) {
	const burst, every, maxIdle = 5, 2 * time.Minute, 64
	l := keyrate.New(every, burst, maxIdle)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range burst {
		if r, wait := l.Reserve("a", now); r == nil {
			t.Fatalf("event %d refused, wait %v", i+1, wait)
		}
	}
	if r, wait := l.Reserve("a", now); r != nil || wait != every {
		t.Fatalf("event past the allowance: allowed %v, wait %v, want a wait of %v", r != nil, wait, every)
	}
	if !l.Allow("b", now) {
		t.Fatal("b's first event refused: a's allowance is a's")
	}
	later := now.Add(every)
	giveBack, _ := l.Reserve("a", later)
	if giveBack == nil {
		t.Fatalf("no event allowed %v after the allowance was spent", every)
	}
	giveBack()
	if !l.Allow("a", later.Add(time.Second)) {
		t.Fatal("a given-back event was not returned")
	}
	for i := range maxIdle {
		l.Allow(string(rune('c'+i)), now) // one event each: full again after every
	}
	l.Allow("z-last", now.Add(time.Hour))
	if n := l.Len(); n != 1 {
		t.Errorf("%d buckets kept an hour later, want only the newest", n)
	}
}
