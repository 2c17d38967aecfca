package main

import (
	"strings"
	"testing"
	"time"
)

// TestIssue14Targets: a run's targets compare Madang's S5 and S5b with
// Centrifugo's in the same run — p99 within 1.2×, memory per connection
// within 1.5×, each met or missed on its own — and a run that ended with
// the ceiling adds its summary.
func TestIssue14Targets(t *testing.T) {
	rep := newReport(fullConfig(), time.Now())
	add := func(scenario, target string, p99, memKB float64) {
		rep.add(&result{Scenario: scenario, Target: target, P99ms: p99, Extra: map[string]float64{"mem_per_conn_kb": memKB}})
	}
	add("S5", madang, 52.2, 54.4)
	add("S5", centrifugo, 43.2, 59.8)
	add("S5b", madang, 3000, 90)
	add("S5b", centrifugo, 3000, 45)
	rep.finish(time.Minute)
	rep.Ceiling = &ceilingReport{Config: ceilingConfig{P99Limit: 250 * time.Millisecond},
		Steps: []*ceilingStep{{Connections: 1000, Pass: true}, {Connections: 2000}}, Summary: "about 1000 members online"}
	rep.ceilingGoal()

	want := map[string]bool{ // scenario and goal → met
		"S5 delivery p99 ≤ 1.2× Centrifugo's":           false, // 1.21×
		"S5 memory per connection ≤ 1.5× Centrifugo's":  true,
		"S5b delivery p99 ≤ 1.2× Centrifugo's":          true,  // 1.00×
		"S5b memory per connection ≤ 1.5× Centrifugo's": false, // 2.00×
		"ceiling members online at p99 ≤ 250ms":         true,
	}
	got := map[string]goal{}
	for _, g := range rep.Goals {
		got[g.Scenario+" "+g.Goal] = g
	}
	for name, met := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("no target %q among %v", name, rep.Goals)
			continue
		}
		if g.Pass != met {
			t.Errorf("%s: pass %v, want %v (%s)", name, g.Pass, met, g.Measured)
		}
	}
	if m := got["S5 delivery p99 ≤ 1.2× Centrifugo's"].Measured; !strings.Contains(m, "1.21×") {
		t.Errorf("S5's p99 target reads %q, want the ratio 1.21×", m)
	}
	if m := got["ceiling members online at p99 ≤ 250ms"].Measured; m != "about 1000 members online" {
		t.Errorf("the ceiling's target reads %q, want its summary", m)
	}
}

// TestS5Rounds: a full run gives S5 six rounds (or more, when asked for
// more rounds), a quick run what it asks for; the other scenarios keep
// the run's rounds.
func TestS5Rounds(t *testing.T) {
	rounds := func(id string, cfg config) int {
		for _, sc := range scenarios() {
			if sc.ID == id {
				if sc.Rounds == nil {
					return cfg.Rounds
				}
				return sc.Rounds(cfg)
			}
		}
		t.Fatalf("no scenario %s", id)
		return 0
	}
	full, quick := fullConfig(), quickConfig()
	if n := rounds("S5", full); n != s5Rounds {
		t.Errorf("S5 in a full run: %d rounds, want %d", n, s5Rounds)
	}
	full.Rounds = 10
	if n := rounds("S5", full); n != 10 {
		t.Errorf("S5 in a full run of 10 rounds: %d, want 10", n)
	}
	if n := rounds("S5", quick); n != quick.Rounds {
		t.Errorf("S5 in a quick run: %d rounds, want %d", n, quick.Rounds)
	}
	if n := rounds("S5b", fullConfig()); n != fullConfig().Rounds {
		t.Errorf("S5b in a full run: %d rounds, want %d", n, fullConfig().Rounds)
	}
}
