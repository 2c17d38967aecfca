// Command bench is Madang's load benchmark (issue 7), in one command:
//
//	GOTOOLCHAIN=go1.27.3 go run ./bench           # full run, the ceiling last: about 10 minutes on 2 cores
//	GOTOOLCHAIN=go1.27.3 go run ./bench --quick   # tiny sizes: proves the harness works
//
// It builds Madang and a baseline — bare PocketBase with Madang's migrations
// (same collections, indexes and rules) and none of its hooks — seeds one
// data dir through PocketBase's own data layer, and runs every scenario on
// both real HTTP servers in alternation (A B A B …), each run on a fresh
// copy of the seeded data, so that drift on a shared machine cancels out of
// the ratios. It also measures the physical limit: single-row SQLite insert
// transactions per second with PocketBase's driver and pragmas.
//
// Results: a table on stdout and JSON in --out. Targets print PASS or MISS
// and never fail the run; a broken invariant (a lost like, a lost chat
// delivery, a failed request) does, with exit status 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config holds the sizes and durations of one benchmark mode.
type config struct {
	Mode   string `json:"mode"`
	Rounds int    `json:"rounds"` // runs per target per scenario, alternating

	Posts       int `json:"posts"`       // seeded posts (S1, S2, S3)
	Users       int `json:"users"`       // seeded members
	Likers      int `json:"likers"`      // S4: users liking one post at once
	Subscribers int `json:"subscribers"` // S5: chat subscribers
	Messages    int `json:"messages"`    // S5: messages fanned out
	Tabs        int `json:"tabs"`        // S5b: connections per subscriber
	AIJobs      int `json:"ai_jobs"`     // S6: jobs submitted at once

	MessageRate float64       `json:"message_rate"` // S5: messages a second
	Warmup      time.Duration `json:"warmup_ns"`    // steady load: discarded load per target first
	Window      time.Duration `json:"window_ns"`    // steady load: timed load per target per round
	Slice       time.Duration `json:"slice_ns"`     // steady load: the targets alternate every slice
	SQLiteTime  time.Duration `json:"sqlite_ns"`    // physical-limit measurement

	ReadWorkers   int `json:"read_workers"`   // S1, S2
	WriteWorkers  int `json:"write_workers"`  // S3
	SignInWorkers int `json:"signin_workers"` // S7 (bcrypt-bound)
	AIWorkers     int `json:"ai_workers"`     // S6 submitters
}

func fullConfig() config {
	return config{
		Mode: "full", Rounds: 2,
		Posts: 100_000, Users: 1_000, Likers: 1_000, Subscribers: 1_000, Messages: 100, Tabs: 5, AIJobs: 2_000,
		MessageRate: 50, Warmup: 2 * time.Second, Window: 5 * time.Second, Slice: time.Second,
		SQLiteTime: 3 * time.Second,
		// S6 as issue 14 measured the seed's design: 2,000 jobs at concurrency 50
		ReadWorkers: 8, WriteWorkers: 8, SignInWorkers: 4, AIWorkers: 50,
	}
}

func quickConfig() config {
	return config{
		Mode: "quick", Rounds: 1,
		Posts: 1_000, Users: 60, Likers: 50, Subscribers: 20, Messages: 10, Tabs: 2, AIJobs: 100,
		MessageRate: 20, Warmup: 100 * time.Millisecond, Window: 500 * time.Millisecond, Slice: 250 * time.Millisecond,
		SQLiteTime:  300 * time.Millisecond,
		ReadWorkers: 4, WriteWorkers: 4, SignInWorkers: 2, AIWorkers: 4,
	}
}

func main() {
	quick := flag.Bool("quick", false, "tiny sizes and one round: proves the harness works in seconds")
	out := flag.String("out", "", "JSON results file (default bench/results.json)")
	rounds := flag.Int("rounds", 0, "runs per target per scenario (default 2 in full mode, 1 with --quick)")
	only := flag.String("only", "", "comma-separated scenarios to run, e.g. S1,S4 (default all)")
	keep := flag.Bool("keep", false, "keep the work dir (binaries, data dirs, server logs)")
	profile := flag.Bool("perf", false, "record every server run with perf (perf.data files in the kept work dir; S5 and S5b: their message phase only, at 1,999 Hz, madang-tier both its processes; deep stacks need sysctl kernel.perf_event_max_stack=1024 first and perf report --max-stack 1024)")
	ceiling := flag.Bool("ceiling", false, "ramp realtime connections on one Madang under mixed traffic until p99 passes 250 ms (with --quick: a short ramp); JSON in bench/ceiling.json")
	through := flag.Bool("through", false, "with --ceiling: keep ramping after the first failing step, until connections cannot be opened")
	steps := flag.String("steps", "", "with --ceiling: comma-separated connection counts (default 1000,2000,5000,10000,20000,50000)")
	flag.Parse()
	if *profile {
		*keep = true
	}

	cfg := fullConfig()
	if *quick {
		cfg = quickConfig()
	}
	if *rounds > 0 {
		cfg.Rounds = *rounds
	}
	root, err := moduleRoot()
	if err != nil {
		fatal(err)
	}
	if *out == "" {
		*out = filepath.Join(root, "bench", "results.json")
		if *ceiling {
			*out = filepath.Join(root, "bench", "ceiling.json")
		}
	}
	var selected []string
	if *only != "" {
		selected = strings.Split(strings.ToUpper(*only), ",")
	}

	work, err := os.MkdirTemp("", "madang-bench-")
	if err != nil {
		fatal(err)
	}
	if *keep {
		fmt.Println("work dir (kept):", work)
	} else {
		defer os.RemoveAll(work)
	}

	if *ceiling {
		err := runCeiling(*quick, *through, *steps, root, work, *out)
		if !*keep {
			os.RemoveAll(work)
		}
		if err != nil {
			fatal(err)
		}
		return
	}
	rep, err := runAll(cfg, root, work, selected, *profile)
	if err == nil && len(selected) == 0 {
		// the whole benchmark ends with the ceiling, so that one run has
		// issue 14's fan-out, AI and ceiling numbers side by side
		rep.Ceiling, err = measureCeiling(*quick, false, "", root, filepath.Join(work, "ceiling"))
		if err == nil {
			rep.Ceiling.print(os.Stdout)
			rep.ceilingGoal()
		}
	}
	if err != nil {
		if !*keep {
			os.RemoveAll(work)
		}
		fatal(err)
	}
	rep.print(os.Stdout)
	if err := rep.writeJSON(*out); err != nil {
		fatal(err)
	}
	fmt.Println("results written to", *out)
	if len(rep.Problems) > 0 {
		if !*keep {
			os.RemoveAll(work)
		}
		os.Exit(1)
	}
}

// runAll builds, seeds and runs every selected scenario.
func runAll(cfg config, root, work string, selected []string, profile bool) (*report, error) {
	started := time.Now()
	rep := newReport(cfg, started)
	fmt.Printf("Madang load benchmark, %s mode: %d CPUs, load average %s\n", cfg.Mode, rep.Machine.CPUs, rep.Machine.LoadStart)
	soft, _ := raiseNoFile(1 << 20) // S5b holds thousands of connections; the servers inherit it
	fmt.Printf("open files limit %d\n", soft)

	step := time.Now()
	bdir, err := binDir(work)
	if err != nil {
		return nil, err
	}
	if bdir != work {
		defer os.RemoveAll(bdir)
	}
	bins, err := buildTargets(root, bdir)
	if err != nil {
		return nil, err
	}
	fmt.Printf("built madang and baseline in %s\n", since(step))

	step = time.Now()
	physBefore, err := measureSQLite(filepath.Join(work, "physical-before.db"), cfg)
	if err != nil {
		return nil, fmt.Errorf("measuring the physical limit: %w", err)
	}
	fmt.Printf("physical limit: %.0f single-row insert tx/s (%s)\n", physBefore.rps(), since(step))

	step = time.Now()
	fx, err := seed(cfg, work)
	if err != nil {
		return nil, fmt.Errorf("seeding: %w", err)
	}
	fmt.Printf("seeded %d users, %d posts, a %d-member chat and %s in %s\n",
		cfg.Users, cfg.Posts, cfg.Users, fx.ai.describe(), since(step))
	h := &harness{cfg: cfg, fx: fx, bins: bins, work: work, perf: profile}
	var missingPeer bool
	h.peer, rep.Peer, missingPeer = peerFor(cfg, selected)
	if missingPeer {
		rep.Problems = append(rep.Problems, "S5 peer "+rep.Peer)
	}

	for _, sc := range scenarios() {
		if len(selected) > 0 && !slices.ContainsFunc(selected, func(id string) bool { return strings.EqualFold(id, sc.ID) }) {
			continue
		}
		if sc.Skip != nil {
			if why := sc.Skip(fx); why != "" {
				rep.Problems = append(rep.Problems, sc.ID+" not run: "+why)
				fmt.Printf("%s skipped: %s\n", sc.ID, why)
				continue
			}
		}
		if err := h.runScenario(rep, sc); err != nil {
			return nil, fmt.Errorf("%s: %w", sc.ID, err)
		}
	}
	physAfter, err := measureSQLite(filepath.Join(work, "physical-after.db"), cfg)
	if err != nil {
		return nil, fmt.Errorf("measuring the physical limit: %w", err)
	}
	rep.Results = append([]*result{physicalLimit(physBefore, physAfter)}, rep.Results...)
	rep.finish(time.Since(started))
	return rep, nil
}

// harness is what every scenario run shares.
type harness struct {
	cfg  config
	fx   *fixture
	bins map[string]string // target → server binary
	work string
	perf bool
	peer string // the Centrifugo binary; "" when it does not run
}

// peerFor finds Centrifugo for S5 and S5b and says which one runs (or why
// none does). A full run without it is missing its S5 comparison, which
// fails the run at the end; --quick (CI has no Centrifugo) goes on without.
func peerFor(cfg config, selected []string) (bin, about string, missing bool) {
	if len(selected) > 0 && !slices.ContainsFunc(selected, func(id string) bool { return strings.HasPrefix(strings.ToUpper(id), "S5") }) {
		return "", "not run (S5 not selected)", false
	}
	bin, version, why := findCentrifugo()
	if why != "" {
		fmt.Println("S5 peer not run:", why)
		return "", "not run: " + why, cfg.Mode == "full"
	}
	fmt.Printf("S5 peer: %s (%s)\n", version, bin)
	return bin, version, false
}

// targets are the servers sc runs on: Madang and the baseline, and for
// the chat fan-outs, when Centrifugo is installed, Centrifugo alone and
// Madang with its realtime tier on a Centrifugo beside it.
func (h *harness) targets(sc scenario) []string {
	if sc.Peer && h.peer != "" {
		return []string{madang, baseline, centrifugo, madangTier}
	}
	return []string{madang, baseline}
}

// runScenario runs sc on both targets, alternating, and adds the results.
func (h *harness) runScenario(rep *report, sc scenario) error {
	run := h.runEpisodes
	if sc.Op != nil {
		run = h.runSteady
	}
	results := map[string]*result{}
	for _, target := range h.targets(sc) {
		results[target] = newResult(sc, h.cfg, target)
	}
	if err := run(sc, results); err != nil {
		return err
	}
	for _, target := range h.targets(sc) {
		res := results[target]
		res.finish()
		rep.add(res)
		for _, p := range res.Problems {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s %s: %s", sc.ID, target, p))
		}
	}
	return nil
}

// runSteady starts both servers on fresh copies of the seeded data, warms
// each up, then gives them the load in turns, Slice at a time, the other
// one frozen: Rounds × Window of load each.
func (h *harness) runSteady(sc scenario, results map[string]*result) error {
	targets := []string{madang, baseline}
	runs := map[string]*run{}
	ops := map[string]operation{}
	defer func() {
		for _, r := range runs {
			r.srv.resume()
			r.close()
			r.srv.stop()
			os.RemoveAll(r.dir)
		}
	}()
	for _, target := range targets {
		r, err := h.start(sc, target, "steady")
		if err != nil {
			return err
		}
		runs[target] = r
		if ops[target], err = sc.Op(r); err != nil {
			return fmt.Errorf("%s: %w (server log: %s)", target, err, r.srv.logTail())
		}
		r.srv.pause()
	}
	workers := sc.Workers(h.cfg)
	for _, target := range targets {
		r := runs[target]
		r.srv.resume()
		forDuration(workers, 0, h.cfg.Warmup, ops[target])
		r.srv.pause()
	}
	window := h.cfg.Window
	if sc.Window != nil {
		window = sc.Window(h.cfg)
	}
	slices := max(1, int(window/h.cfg.Slice))
	for round := range h.cfg.Rounds {
		samples := map[string]*sample{madang: {Extra: map[string]float64{}}, baseline: {Extra: map[string]float64{}}}
		serverCPU := map[string]float64{} // seconds the server ran on a CPU in this round's slices
		for range slices {
			for _, target := range targets {
				r := runs[target]
				r.srv.resume()
				cpu := procCPU(r.srv.cmd.Process.Pid)
				samples[target].merge(forDuration(workers, 0, h.cfg.Slice, ops[target]))
				serverCPU[target] += procCPU(r.srv.cmd.Process.Pid) - cpu
				r.srv.pause()
			}
		}
		for _, target := range targets {
			if s := samples[target]; s.Ops > 0 {
				s.Extra["server_cpu_ms_per_op"] = 1000 * serverCPU[target] / float64(s.Ops)
			}
			results[target].addRound(samples[target])
			fmt.Printf("  %s %-8s round %d: %s\n", sc.ID, target, round+1, samples[target].summary())
		}
	}
	for _, target := range targets {
		r := runs[target]
		r.srv.resume()
		results[target].PeakRSSMB = float64(r.srv.statusKB("VmHWM")) / 1024
		if r.stopPerf != nil {
			r.stopPerf()
		}
		r.close()
		if err := r.srv.stop(); err != nil {
			return err
		}
		if sc.Verify != nil {
			s := &sample{Extra: map[string]float64{}}
			if err := sc.Verify(r, r.dir, s); err != nil {
				return fmt.Errorf("%s: verifying: %w", target, err)
			}
			results[target].addChecks(s)
		}
	}
	return nil
}

// runEpisodes runs sc Rounds times (sc.Rounds's, if set) on each target,
// alternating, each time on a fresh server over a fresh copy of the seeded
// data.
func (h *harness) runEpisodes(sc scenario, results map[string]*result) error {
	rounds := h.cfg.Rounds
	if sc.Rounds != nil {
		rounds = sc.Rounds(h.cfg)
	}
	for round := range rounds {
		for _, target := range h.targets(sc) {
			s, err := h.runOnce(sc, target, round)
			if err != nil {
				return fmt.Errorf("%s round %d: %w", target, round+1, err)
			}
			results[target].addRound(s)
			fmt.Printf("  %s %-8s round %d: %s\n", sc.ID, target, round+1, s.summary())
		}
	}
	return nil
}

func (h *harness) runOnce(sc scenario, target string, round int) (*sample, error) {
	r, err := h.start(sc, target, strconv.Itoa(round+1))
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(r.dir)
	s, runErr := sc.Run(r)
	if s != nil {
		s.PeakRSSKB = r.sumKB("VmHWM")
	}
	if r.stopPerf != nil {
		r.stopPerf()
	}
	r.close()
	stopErr := r.srv.stop()
	if r.peer != nil {
		stopErr = errors.Join(stopErr, r.peer.stop())
		os.RemoveAll(r.dir + "-centrifugo")
	}
	if runErr != nil {
		return nil, fmt.Errorf("%w (server log: %s)", runErr, r.srv.logTail())
	}
	if stopErr != nil {
		return nil, stopErr
	}
	if sc.Verify != nil {
		if err := sc.Verify(r, r.dir, s); err != nil {
			return nil, fmt.Errorf("verifying: %w", err)
		}
	}
	return s, nil
}

// start copies the seeded data dir of target and starts its server there
// (recorded by perf with --perf).
func (h *harness) start(sc scenario, target, label string) (*run, error) {
	dir := filepath.Join(h.work, fmt.Sprintf("%s-%s-%s", sc.ID, target, label))
	var srv, peer *server
	var err error
	switch target {
	case centrifugo:
		var port int
		if port, err = freePort(); err == nil {
			srv, err = startCentrifugo(h.peer, dir, port, peerConfig(port))
		}
	case madangTier:
		// Madang first, told where its Centrifugo will listen (it only
		// warns while nothing answers there), then Centrifugo, whose
		// subscribe proxy calls Madang
		if err = copyDir(h.fx.template[madang], dir); err != nil {
			return nil, err
		}
		var port int
		if port, err = freePort(); err != nil {
			break
		}
		if srv, err = startServer(madang, h.bins[madang], dir, tierEnv(port)); err != nil {
			break
		}
		if peer, err = startCentrifugo(h.peer, dir+"-centrifugo", port, tierConfig(port, srv.base)); err != nil {
			srv.kill()
		}
	default:
		if err := copyDir(h.fx.template[target], dir); err != nil {
			return nil, err
		}
		var env []string
		if sc.Env != nil && target == madang {
			env = sc.Env(h.cfg)
		}
		srv, err = startServer(target, h.bins[target], dir, env)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r := newRun(h.cfg, h.fx, target, srv)
	r.dir, r.peer = dir, peer
	switch {
	case h.perf && sc.Peer:
		r.perfFile = dir + ".perf.data" // the fan-out records its message phase (chatFanout)
	case h.perf:
		if r.stopPerf, err = recordPerf(dir+".perf.data", 499, srv); err != nil {
			srv.kill()
			os.RemoveAll(dir)
			return nil, err
		}
	}
	return r, nil
}

// moduleRoot is the directory of the madang go.mod, wherever bench runs from.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run the benchmark from inside the madang module")
	}
	return filepath.Dir(gomod), nil
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
