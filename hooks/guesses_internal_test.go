package hooks

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestGuessAllowanceRefills: after OldPasswordGuesses, the next guess
// waits OldPasswordGuessEvery, and is allowed once that has passed; a
// cancelled guess is given back; an idle account's counter goes once the
// app holds maxIdleGuessCounters.
func TestGuessAllowanceRefills(t *testing.T) {
	g := &guessCounters{accounts: map[string]*rate.Limiter{}}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range OldPasswordGuesses {
		if r, wait := g.reserve("a", now); r == nil {
			t.Fatalf("guess %d refused, wait %v", i+1, wait)
		}
	}
	if r, wait := g.reserve("a", now); r != nil || wait != OldPasswordGuessEvery {
		t.Fatalf("guess past the allowance: allowed %v, wait %v, want a wait of %v", r != nil, wait, OldPasswordGuessEvery)
	}
	later := now.Add(OldPasswordGuessEvery)
	giveBack, _ := g.reserve("a", later)
	if giveBack == nil {
		t.Fatalf("no guess allowed %v after the allowance was spent", OldPasswordGuessEvery)
	}
	giveBack()
	if r, _ := g.reserve("a", later.Add(time.Second)); r == nil {
		t.Fatalf("a cancelled guess was not given back")
	}
	for i := range maxIdleGuessCounters {
		g.reserve(string(rune('b'+i)), now) // one guess each: idle again after OldPasswordGuessEvery
	}
	g.reserve("z-last", now.Add(time.Hour))
	if _, ok := g.accounts["a"]; ok || len(g.accounts) != 1 {
		t.Errorf("%d counters kept an hour later (a's: %v), want only the newest", len(g.accounts), ok)
	}
}
