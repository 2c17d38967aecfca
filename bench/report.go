package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one scenario on one target, over all its rounds.
type result struct {
	Scenario     string             `json:"scenario"`
	Name         string             `json:"name"`
	Target       string             `json:"target"`
	Unit         string             `json:"unit"`
	Concurrency  int                `json:"concurrency"`
	Size         string             `json:"size"`
	Ops          int                `json:"ops"`
	Errors       int                `json:"errors"`
	Seconds      float64            `json:"seconds"`
	Rate         float64            `json:"rate"` // Ops / Seconds, in Unit
	P50ms        float64            `json:"p50_ms"`
	P99ms        float64            `json:"p99_ms"`
	RateRatio    float64            `json:"rate_ratio,omitempty"` // to the baseline
	P99Ratio     float64            `json:"p99_ratio,omitempty"`  // to the baseline
	PeerP99Ratio float64            `json:"centrifugo_p99_ratio,omitempty"`
	PeerMemRatio float64            `json:"centrifugo_mem_ratio,omitempty"`
	PeakRSSMB    float64            `json:"peak_rss_mb"`
	Extra        map[string]float64 `json:"extra,omitempty"` // mean over rounds
	Rounds       []round            `json:"rounds"`
	Problems     []string           `json:"problems,omitempty"`

	latencies []time.Duration
	elapsed   time.Duration
	firstErr  string
	extraN    map[string]int // how many values each Extra sums, until finish
}

type round struct {
	Rate      float64 `json:"rate"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	Errors    int     `json:"errors"`
}

func newResult(sc scenario, cfg config, target string) *result {
	return &result{Scenario: sc.ID, Name: sc.Name, Target: target, Unit: sc.Unit,
		Concurrency: sc.Workers(cfg), Size: sc.Size(cfg)}
}

func (r *result) addRound(s *sample) {
	r.Rounds = append(r.Rounds, round{Rate: s.rps(), P50ms: ms(percentile(s.Latencies, 0.5)),
		P99ms: ms(percentile(s.Latencies, 0.99)), PeakRSSMB: float64(s.PeakRSSKB) / 1024, Errors: s.Errors})
	r.latencies = append(r.latencies, s.Latencies...)
	r.Ops += s.Ops
	r.Errors += s.Errors
	r.elapsed += s.Elapsed
	if r.firstErr == "" {
		r.firstErr = s.FirstErr
	}
	r.PeakRSSMB = max(r.PeakRSSMB, float64(s.PeakRSSKB)/1024)
	r.addChecks(s)
}

// addChecks records a sample's figures and problems; finish averages the figures.
func (r *result) addChecks(s *sample) {
	for k, v := range s.Extra {
		if r.Extra == nil {
			r.Extra, r.extraN = map[string]float64{}, map[string]int{}
		}
		r.Extra[k] += v
		r.extraN[k]++
	}
	r.Problems = append(r.Problems, s.Problems...)
}

func (r *result) finish() {
	r.Seconds = r.elapsed.Seconds()
	if r.Seconds > 0 {
		r.Rate = float64(r.Ops) / r.Seconds
	}
	r.P50ms = ms(percentile(r.latencies, 0.5))
	r.P99ms = ms(percentile(r.latencies, 0.99))
	for k, n := range r.extraN {
		r.Extra[k] /= float64(n)
	}
	if r.Errors > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d failed operations (first: %s)", r.Errors, r.firstErr))
	}
	r.latencies = nil
}

// report is the whole run: what the table and the JSON file show.
type report struct {
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Config   config    `json:"config"`
	Machine  machine   `json:"machine"`
	Peer     string    `json:"centrifugo"` // the S5 peer's version, or why it did not run
	Results  []*result `json:"results"`
	Goals    []goal    `json:"targets"`
	Problems []string  `json:"problems"`
	// the ceiling's ramp, which a run of the whole benchmark ends with
	Ceiling *ceilingReport `json:"ceiling,omitempty"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go"`
	LoadStart string `json:"loadavg_start"`
	LoadEnd   string `json:"loadavg_end"`
}

type goal struct {
	Scenario string `json:"scenario"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Pass     bool   `json:"pass"`
}

func newReport(cfg config, started time.Time) *report {
	return &report{Started: started, Config: cfg, Problems: []string{},
		Machine: machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAverage()}}
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

func (rep *report) add(r *result) { rep.Results = append(rep.Results, r) }

func (rep *report) find(scenario, target string) *result {
	for _, r := range rep.Results {
		if r.Scenario == scenario && r.Target == target {
			return r
		}
	}
	return nil
}

// finish computes the ratios and judges the targets.
func (rep *report) finish(took time.Duration) {
	rep.Seconds = took.Seconds()
	rep.Machine.LoadEnd = loadAverage()
	for _, m := range rep.Results {
		if m.Target != madang && m.Target != madangTier {
			continue
		}
		if b := rep.find(m.Scenario, baseline); b != nil && m.Target == madang {
			if b.Rate > 0 {
				m.RateRatio = m.Rate / b.Rate
			}
			if b.P99ms > 0 {
				m.P99Ratio = m.P99ms / b.P99ms
			}
		}
		if c := rep.find(m.Scenario, centrifugo); c != nil {
			if c.P99ms > 0 {
				m.PeerP99Ratio = m.P99ms / c.P99ms
			}
			if c.Extra["mem_per_conn_kb"] > 0 {
				m.PeerMemRatio = m.Extra["mem_per_conn_kb"] / c.Extra["mem_per_conn_kb"]
			}
		}
	}
	atLeast := func(id string, min float64) {
		m := rep.find(id, madang)
		if m == nil || m.RateRatio == 0 {
			return
		}
		rep.Goals = append(rep.Goals, goal{id, fmt.Sprintf("%s ≥ %.2f× baseline", m.Unit, min),
			fmt.Sprintf("%.2f×", m.RateRatio), m.RateRatio >= min})
	}
	atLeast("S1", 0.9)
	atLeast("S2", 0.9)
	atLeast("S3", 0.8)
	atLeast("S4", 0.8)
	if m := rep.find("S4", madang); m != nil {
		rep.Goals = append(rep.Goals, goal{"S4", "likes_count exact", fmt.Sprintf("likes_count %.0f of %d likes",
			m.Extra["likes_count"], rep.Config.Likers), m.Extra["likes_count"] == float64(rep.Config.Likers) && len(m.Problems) == 0})
	}
	if m := rep.find("S5", madang); m != nil && m.P99Ratio > 0 {
		rep.Goals = append(rep.Goals, goal{"S5", "delivery p99 ≤ 1.5× baseline",
			fmt.Sprintf("%.1f ms vs %.1f ms = %.2f×", m.P99ms, rep.find("S5", baseline).P99ms, m.P99Ratio), m.P99Ratio <= 1.5})
	}
	if m := rep.find("S6", madang); m != nil {
		if m.RateRatio > 0 {
			rep.Goals = append(rep.Goals, goal{"S6", "jobs/s ≥ 0.30× baseline create rate",
				fmt.Sprintf("%.2f×", m.RateRatio), m.RateRatio >= 0.3})
		}
		// issue 14: 10× the seed's design (FastAPI + Celery + Redis +
		// scikit-learn, measured on this machine: 118 jobs/s, p99 10.1 s)
		rep.Goals = append(rep.Goals, goal{"S6", "≥ 10× the seed's design: ≥ 1,180 jobs/s, p99 ≤ 1.01 s",
			fmt.Sprintf("%.0f jobs/s (%.1f×), p99 %.0f ms", m.Rate, m.Rate/seedJobsPerSecond, m.P99ms),
			m.Rate >= 10*seedJobsPerSecond && m.P99ms <= seedP99ms/10})
	}
	atLeast("S7", 0.95)
	// issue 14: the embedded fan-out against Centrifugo's in the same run
	for _, id := range []string{"S5", "S5b"} {
		m, c := rep.find(id, madang), rep.find(id, centrifugo)
		if m == nil || c == nil || m.PeerP99Ratio == 0 {
			continue
		}
		rep.Goals = append(rep.Goals, goal{id, "delivery p99 ≤ 1.2× Centrifugo's",
			fmt.Sprintf("%.1f ms vs %.1f ms = %.2f×", m.P99ms, c.P99ms, m.PeerP99Ratio), m.PeerP99Ratio <= 1.2})
		if m.PeerMemRatio > 0 {
			rep.Goals = append(rep.Goals, goal{id, "memory per connection ≤ 1.5× Centrifugo's",
				fmt.Sprintf("%.1f KB vs %.1f KB = %.2f×", m.Extra["mem_per_conn_kb"], c.Extra["mem_per_conn_kb"], m.PeerMemRatio),
				m.PeerMemRatio <= 1.5})
		}
	}
}

// ceilingGoal adds the ceiling's result to the targets: a measurement,
// not a target, so it passes when a step passed.
func (rep *report) ceilingGoal() {
	c := rep.Ceiling
	if c == nil || len(c.Steps) == 0 {
		return
	}
	rep.Goals = append(rep.Goals, goal{"ceiling", "members online at p99 ≤ " + c.Config.P99Limit.String(), c.Summary, c.Steps[0].Pass})
}

// The seed's design on the S6 workload, as issue 14 measured it on this
// machine (its Python stack cannot be installed here: no PyPI).
const (
	seedJobsPerSecond = 118
	seedP99ms         = 10_100
)

func (rep *report) print(w io.Writer) {
	rounds := fmt.Sprintf("%d round(s) each", rep.Config.Rounds)
	if m := rep.find("S5", madang); m != nil && len(m.Rounds) != rep.Config.Rounds {
		rounds += fmt.Sprintf(" (S5 %d)", len(m.Rounds))
	}
	fmt.Fprintf(w, "\nMadang vs bare PocketBase v0.40.4 (same schema and rules, no hooks) — %s mode, %s, alternating\n",
		rep.Config.Mode, rounds)
	fmt.Fprintf(w, "machine: %d CPUs, %s, load average %s at start, %s at end; took %s\n\n",
		rep.Machine.CPUs, rep.Machine.GoVersion, rep.Machine.LoadStart, rep.Machine.LoadEnd,
		(time.Duration(rep.Seconds) * time.Second).Round(time.Second))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\ttarget\tconc\tsize\trate\tunit\tp50 ms\tp99 ms\tratio\tpeak RSS MB\terrors\t")
	for _, r := range rep.Results {
		ratio := ""
		switch {
		case strings.HasPrefix(r.Scenario, "S5") && r.P99Ratio > 0:
			ratio = fmt.Sprintf("p99 %.2f×", r.P99Ratio)
		case r.RateRatio > 0:
			ratio = fmt.Sprintf("%.2f×", r.RateRatio)
		}
		rss := fmt.Sprintf("%.0f", r.PeakRSSMB)
		if r.Target == "sqlite" {
			rss = "-"
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%d\t%s\t%.1f\t%s\t%.2f\t%.2f\t%s\t%s\t%d\t\n", r.Scenario, r.Name, r.Target,
			r.Concurrency, r.Size, r.Rate, r.Unit, r.P50ms, r.P99ms, ratio, rss, r.Errors)
	}
	tw.Flush()
	rep.printPeer(w)

	fmt.Fprintln(w)
	for _, r := range rep.Results {
		if len(r.Extra) == 0 {
			continue
		}
		keys := make([]string, 0, len(r.Extra))
		for k := range r.Extra {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%.4g", k, r.Extra[k])
		}
		fmt.Fprintf(w, "%s %-8s %s\n", r.Scenario, r.Target, strings.Join(parts, " "))
	}

	if phys := rep.find("S0", "sqlite"); phys != nil && phys.Rate > 0 {
		var parts []string
		for _, id := range []string{"S3", "S4", "S6"} {
			for _, target := range []string{madang, baseline} {
				if r := rep.find(id, target); r != nil {
					parts = append(parts, fmt.Sprintf("%s %s %.0f%%", id, target, 100*r.Rate/phys.Rate))
				}
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "\nwrites against the physical limit (%.0f single-row insert tx/s): %s\n",
				phys.Rate, strings.Join(parts, ", "))
		}
	}

	fmt.Fprintln(w, "\nTargets:")
	for _, g := range rep.Goals {
		verdict := "MISS"
		if g.Pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "  %s  %s %-40s %s\n", verdict, g.Scenario, g.Goal, g.Measured)
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintln(w, "\nProblems (these fail the run):")
		for _, p := range rep.Problems {
			fmt.Fprintln(w, "  -", p)
		}
	}
}

// printPeer compares Madang's chat fan-outs with Centrifugo's (issue 14).
func (rep *report) printPeer(w io.Writer) {
	var lines []string
	for _, m := range rep.Results {
		c := rep.find(m.Scenario, centrifugo)
		if m.Target != madang && m.Target != madangTier || c == nil {
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-4s %-11s %-32s delivery p99 %7.1f ms vs %6.1f ms = %5.2f×   memory/connection %6.1f KB vs %5.1f KB = %5.2f×   CPU/delivery %5.1f µs vs %5.1f µs",
			m.Scenario, m.Target, c.Size, m.P99ms, c.P99ms, m.PeerP99Ratio,
			m.Extra["mem_per_conn_kb"], c.Extra["mem_per_conn_kb"], m.PeerMemRatio,
			m.Extra["server_cpu_us_per_delivery"], c.Extra["server_cpu_us_per_delivery"]))
	}
	if len(lines) == 0 {
		if rep.Peer != "" {
			fmt.Fprintf(w, "\nCentrifugo (S5 peer): %s\n", rep.Peer)
		}
		return
	}
	fmt.Fprintf(w, "\nMadang / Centrifugo (%s, insecure client mode, one channel, server API publish; same subscribers and messages;\n"+
		"madang-tier: Madang's stored message delivered by its realtime tier on a Centrifugo beside it, both processes counted):\n", rep.Peer)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

func (rep *report) writeJSON(path string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
