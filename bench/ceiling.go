package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

// The ceiling mode (issue 14): how many members one node serves online.
// One Madang server; realtime connections ramp step by step (1k, 2k, 5k,
// 10k …), each one a member on the board page as the web client opens it
// (one SSE stream following the member's account, their notifications,
// the board's posts and the board). Alongside, the members online make
// API traffic at a fixed rate per member, open loop: the board page (S1's
// requests) and a post page (S2's), one page every PageEvery in turn, and
// a comment (S3) every CommentEvery. A step passes when every kind's p99
// stays within the limit with no errors, and the members get at least
// minCounterShare of the posts' counter events their comments made due;
// the run stops at the first step that fails and names what ran out.

// ceilingConfig is the ramp and the members' activity.
type ceilingConfig struct {
	Steps        []int         `json:"steps"`         // connections at each step
	Warmup       time.Duration `json:"warmup_ns"`     // traffic before each window, not counted
	Window       time.Duration `json:"window_ns"`     // measured traffic per step
	PageEvery    time.Duration `json:"page_every_ns"` // one page per member online every …
	CommentEvery time.Duration `json:"comment_every_ns"`
	P99Limit     time.Duration `json:"p99_limit_ns"`
	MaxInFlight  int           `json:"max_in_flight"` // more open requests than this is an error
}

func ceilingFor(quick bool) (config, ceilingConfig) {
	if quick {
		cfg := quickConfig()
		cfg.Mode, cfg.Users = "ceiling-quick", 200
		return cfg, ceilingConfig{Steps: []int{50, 200}, Warmup: 500 * time.Millisecond, Window: 2 * time.Second,
			PageEvery: 10 * time.Second, CommentEvery: 30 * time.Second, P99Limit: 250 * time.Millisecond, MaxInFlight: 256}
	}
	cfg := fullConfig()
	cfg.Mode, cfg.Users = "ceiling", 10_000
	return cfg, ceilingConfig{Steps: []int{1_000, 2_000, 5_000, 10_000, 20_000, 50_000},
		Warmup: 3 * time.Second, Window: 15 * time.Second,
		PageEvery: 2 * time.Minute, CommentEvery: 10 * time.Minute, P99Limit: 250 * time.Millisecond, MaxInFlight: 512}
}

// ceilingStep is what one step measured.
type ceilingStep struct {
	Connections    int                `json:"connections"`
	ConnectSeconds float64            `json:"connect_seconds"` // opening this step's new connections
	Rates          map[string]float64 `json:"rates"`           // kind → answered per second of the window
	P50ms          map[string]float64 `json:"p50_ms"`
	P99ms          map[string]float64 `json:"p99_ms"`
	Errors         int                `json:"errors"`
	FirstErr       string             `json:"first_error,omitempty"`
	RSSMB          float64            `json:"rss_mb"`
	KBPerConn      float64            `json:"kb_per_connection"` // RSS over the first step's idle server
	ServerFDs      int                `json:"server_fds"`
	ServerCPU      float64            `json:"server_cpu_pct"`   // of one core
	ClientCPU      float64            `json:"client_cpu_pct"`   // the load generator, of one core
	MachineBusy    float64            `json:"machine_busy_pct"` // all processes, of all cores
	MemAvailMB     float64            `json:"mem_available_mb"`
	RowWrites      float64            `json:"sqlite_row_writes_per_s"` // comments + notifications inserted
	Events         map[string]int     `json:"realtime_events"`         // delivered to the members in the window (and counterGrace after it), by topic
	// CounterShare is the posts events received in the window (and
	// counterGrace after it) over those due: each comment on a post of the
	// main board, which every member follows, owes each member one update
	// of the post's counts (the announcer may fold comments on one post
	// within 50 ms into one)
	CounterShare float64 `json:"counter_events_share"`
	Load         string  `json:"loadavg"`
	Pass         bool    `json:"pass"`
	RanOut       string  `json:"ran_out,omitempty"`
}

type ceilingReport struct {
	Started  time.Time      `json:"started"`
	Seconds  float64        `json:"seconds"`
	Mode     string         `json:"mode"`
	Config   ceilingConfig  `json:"config"`
	CPUs     int            `json:"cpus"`
	NoFile   [2]uint64      `json:"nofile_limit"` // soft, hard, for the client and the server
	Physical float64        `json:"sqlite_insert_tx_per_s"`
	Steps    []*ceilingStep `json:"steps"`
	Summary  string         `json:"summary"`
}

// raiseNoFile lifts the soft open-files limit to the hard one (and the
// hard one, when allowed, to want). The servers started afterwards inherit it.
func raiseNoFile(want uint64) (soft, hard uint64) {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 0, 0
	}
	if lim.Max < want {
		up := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
			return want, want
		}
	}
	lim.Cur = lim.Max
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim.Cur, lim.Max
}

// runCeiling ramps one Madang (ceiling) and writes its report to out.
func runCeiling(quick, through bool, steps, root, work, out string) error {
	rep, err := measureCeiling(quick, through, steps, root, work)
	if err != nil {
		return err
	}
	rep.print(os.Stdout)
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Println("results written to", out)
	return nil
}

// measureCeiling builds and seeds as the comparison does, in work, then ramps one
// Madang until a step fails (with through, until connections cannot be
// opened).
func measureCeiling(quick, through bool, steps, root, work string) (*ceilingReport, error) {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	cfg, cc := ceilingFor(quick)
	if steps != "" {
		cc.Steps = nil
		for f := range strings.SplitSeq(steps, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("--steps: %q is not a connection count", f)
			}
			cc.Steps = append(cc.Steps, n)
		}
	}
	started := time.Now()
	rep := &ceilingReport{Started: started, Mode: cfg.Mode, Config: cc, CPUs: runtime.NumCPU()}
	rep.NoFile[0], rep.NoFile[1] = raiseNoFile(1 << 20)
	fmt.Printf("Madang ceiling, %s mode: %d CPUs, open files limit %d (hard %d), load average %s\n",
		cfg.Mode, rep.CPUs, rep.NoFile[0], rep.NoFile[1], loadAverage())

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
	phys, err := measureSQLite(filepath.Join(work, "physical.db"), cfg)
	if err != nil {
		return nil, err
	}
	rep.Physical = phys.rps()
	step := time.Now()
	fx, err := seed(cfg, work)
	if err != nil {
		return nil, fmt.Errorf("seeding: %w", err)
	}
	fmt.Printf("physical limit %.0f insert tx/s; seeded %d members and %d posts in %s\n", rep.Physical, cfg.Users, cfg.Posts, since(step))

	dir := filepath.Join(work, "ceiling-madang")
	if err := copyDir(fx.template[madang], dir); err != nil {
		return nil, err
	}
	srv, err := startServer(madang, bins[madang], dir, nil)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	r := newRun(cfg, fx, madang, srv)
	r.http = newClient(2 * cc.MaxInFlight)
	r.dir = dir
	defer r.close()
	if err := ramp(r, cc, rep, through); err != nil {
		return nil, err
	}
	rep.Seconds = time.Since(started).Seconds()
	return rep, nil
}

// ramp runs the steps on r's server until one fails (with through, until
// connections cannot be opened).
func ramp(r *run, cc ceilingConfig, rep *ceilingReport, through bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	streams := newStreamClients(16)
	defer func() {
		for _, c := range streams {
			c.CloseIdleConnections()
		}
	}()
	var readers sync.WaitGroup
	defer readers.Wait()
	defer cancel()
	events := newEventCounts()

	ops := map[string]operation{}
	var err error
	if ops["board"], err = boardPage(r); err != nil {
		return err
	}
	if ops["post"], err = viewPost(r); err != nil {
		return err
	}
	if ops["comment"], err = createComment(r); err != nil {
		return err
	}
	idleRSS := r.srv.statusKB("VmRSS")
	open := 0
	for _, target := range cc.Steps {
		st := &ceilingStep{Connections: target, Rates: map[string]float64{}, P50ms: map[string]float64{}, P99ms: map[string]float64{}}
		rep.Steps = append(rep.Steps, st)
		t0 := time.Now()
		n, connErr := openMembers(ctx, r, streams, open, target, events, &readers)
		open += n
		st.ConnectSeconds = time.Since(t0).Seconds()
		if connErr != nil {
			st.Connections = open
			st.Errors, st.FirstErr = target-open, connErr.Error()
			st.RanOut = "connections: " + connErr.Error()
			fmt.Printf("  %6d connections: could not open the rest: %v\n", target, connErr)
			st.observe(r.srv, idleRSS, open)
			break
		}
		time.Sleep(2 * time.Second) // settle before the traffic
		st.measure(r, cc, ops, events, idleRSS, open)
		fmt.Printf("  %s\n", st.line(cc))
		if !st.Pass && !through {
			break
		}
	}
	rep.Summary = ceilingSummary(rep)
	return nil
}

// openMembers brings the open realtime connections from have to want, 64
// at a time; it returns how many it opened.
func openMembers(ctx context.Context, r *run, streams []*http.Client, have, want int, events eventCounts, readers *sync.WaitGroup) (int, error) {
	sem := make(chan struct{}, 64)
	var opened atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := have; i < want; i++ {
		u, client := r.fx.users[i%len(r.fx.users)], streams[i%len(streams)]
		sem <- struct{}{}
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			<-sem
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := followBoard(ctx, r, client, u, events, readers); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			opened.Add(1)
		})
	}
	wg.Wait()
	return int(opened.Load()), firstErr
}

// followBoard opens one member's realtime connection as the web client's
// board page does: the SSE stream, then the subscriptions of the app
// (the member's account, their notifications) and of the page (the
// board's posts, filtered as the page asks, and the board). The stream
// and the subscription request come from one source address, as
// PocketBase asks.
//
// When the server ends the stream — PocketBase closes one that carried no
// event for 5 minutes — the member reconnects and subscribes again, as the
// JS SDK does (counted as "reconnects").
func followBoard(ctx context.Context, r *run, client *http.Client, u benchUser, events eventCounts, readers *sync.WaitGroup) error {
	stream, body, err := openBoardStream(ctx, r, client, u)
	if err != nil {
		return err
	}
	readers.Go(func() {
		for {
			for {
				name, _, err := readEvent(stream)
				if err != nil {
					break
				}
				events.add(name)
			}
			body.Close()
			for {
				if ctx.Err() != nil {
					return
				}
				events.add(reconnects)
				if stream, body, err = openBoardStream(ctx, r, client, u); err == nil {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	})
	return nil
}

// reconnects counts, among the events, the streams reopened.
const reconnects = "reconnects"

// openBoardStream opens the SSE stream and subscribes it.
func openBoardStream(ctx context.Context, r *run, client *http.Client, u benchUser) (*bufio.Reader, io.Closer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.base+"/api/realtime", nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set(memberAddrHeader, memberAddr(u.token)) // PocketBase subscribes a stream from its own address only
	res, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, nil, fmt.Errorf("GET /api/realtime: %d", res.StatusCode)
	}
	stream := bufio.NewReaderSize(res.Body, 4<<10)
	name, data, err := readEvent(stream)
	if err != nil || name != "PB_CONNECT" {
		res.Body.Close()
		return nil, nil, fmt.Errorf("no PB_CONNECT event (%q, %v)", name, err)
	}
	var hello struct {
		ClientID string `json:"clientId"`
	}
	if err := json.Unmarshal(data, &hello); err != nil {
		res.Body.Close()
		return nil, nil, err
	}
	options, _ := json.Marshal(map[string]any{"query": map[string]string{"filter": fmt.Sprintf("board = '%s'", r.fx.mainBoard)}})
	topics := []string{
		"users/" + u.id,
		"notifications/*",
		"posts/*?options=" + url.QueryEscape(string(options)),
		"boards/" + r.fx.mainBoard,
	}
	from := *r
	from.http = client
	if err := from.call(http.MethodPost, "/api/realtime", u.token, map[string]any{"clientId": hello.ClientID, "subscriptions": topics}, nil); err != nil {
		res.Body.Close()
		return nil, nil, err
	}
	return stream, res.Body, nil
}

// eventCounts counts the realtime events the members receive, by the
// collection of their topic.
type eventCounts map[string]*atomic.Int64

var eventTopics = []string{"users", "notifications", "posts", "boards", "other", reconnects}

func newEventCounts() eventCounts {
	c := eventCounts{}
	for _, t := range eventTopics {
		c[t] = new(atomic.Int64)
	}
	return c
}

func (c eventCounts) add(topic string) {
	name, _, _ := strings.Cut(topic, "/")
	if n, ok := c[name]; ok {
		n.Add(1)
	} else {
		c["other"].Add(1)
	}
}

func (c eventCounts) snapshot() map[string]int {
	m := map[string]int{}
	for t, n := range c {
		m[t] = int(n.Load())
	}
	return m
}

// newStreamClients hold the long-lived streams, n clients dialing from
// 127.0.0.1 … 127.0.0.n: one source address has only ~28,000 ports to
// reach one server port with.
func newStreamClients(n int) []*http.Client {
	clients := make([]*http.Client, n)
	for i := range clients {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
			LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))}}
		clients[i] = &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, DisableCompression: true,
			MaxIdleConnsPerHost: 64, ReadBufferSize: 2 << 10, WriteBufferSize: 2 << 10}}
	}
	return clients
}

// measure gives the server warmup plus window of the members' traffic and
// records the step.
func (st *ceilingStep) measure(r *run, cc ceilingConfig, ops map[string]operation, events eventCounts, idleRSS int64, conns int) {
	every := map[string]time.Duration{
		"board":   2 * cc.PageEvery, // pages alternate: board, post
		"post":    2 * cc.PageEvery,
		"comment": cc.CommentEvery,
	}
	openLoop(cc, conns, every, ops, cc.Warmup)
	cpu0, self0, mach0 := procCPU(r.srv.cmd.Process.Pid), procCPU(os.Getpid()), machineCPU()
	rows0, main0 := rowCount(r), mainBoardComments(r)
	ev0 := events.snapshot()
	t0 := time.Now()
	lat, errs := openLoop(cc, conns, every, ops, cc.Window)
	elapsed := time.Since(t0).Seconds()
	cpu1, self1, mach1 := procCPU(r.srv.cmd.Process.Pid), procCPU(os.Getpid()), machineCPU()
	st.RowWrites = float64(rowCount(r)-rows0) / elapsed
	due := (mainBoardComments(r) - main0) * int64(conns)
	// the events of the window's last comments are on their way (the
	// announcer waits 50 ms, then decides): they get counterGrace
	for deadline := time.Now().Add(counterGrace); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if int64(events.snapshot()["posts"]-ev0["posts"]) >= due {
			break
		}
	}
	st.Events = events.snapshot()
	for k, v := range ev0 {
		st.Events[k] -= v
	}
	st.CounterShare = 1
	if due > 0 {
		st.CounterShare = float64(st.Events["posts"]) / float64(due)
	}
	st.ServerCPU = 100 * (cpu1 - cpu0) / elapsed
	st.ClientCPU = 100 * (self1 - self0) / elapsed
	if busy, total := mach1[0]-mach0[0], mach1[1]-mach0[1]; total > 0 {
		st.MachineBusy = 100 * busy / total
	}
	st.Pass = true
	for kind, l := range lat {
		st.Rates[kind] = float64(len(l)) / cc.Window.Seconds() // answered, of those sent in the window
		st.P50ms[kind] = ms(percentile(l, 0.50))
		st.P99ms[kind] = ms(percentile(l, 0.99))
		if percentile(l, 0.99) > cc.P99Limit {
			st.Pass = false
		}
	}
	for _, err := range errs {
		if st.Errors == 0 {
			st.FirstErr = err.Error()
		}
		st.Errors++
	}
	if st.Errors > 0 || st.CounterShare < minCounterShare {
		st.Pass = false
	}
	st.observe(r.srv, idleRSS, conns)
	if !st.Pass {
		st.RanOut = st.diagnose(cc, runtime.NumCPU())
	}
}

// observe records the server's memory and descriptors and the machine's.
func (st *ceilingStep) observe(srv *server, idleRSS int64, conns int) {
	rss := srv.statusKB("VmRSS")
	st.RSSMB = float64(rss) / 1024
	if conns > 0 {
		st.KBPerConn = float64(rss-idleRSS) / float64(conns)
	}
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", srv.cmd.Process.Pid)); err == nil {
		st.ServerFDs = len(fds)
	}
	st.MemAvailMB = float64(meminfoKB("MemAvailable")) / 1024
	st.Load = loadAverage()
}

// diagnose names the resource a failed step ran out of, first match of:
// descriptors or connections (their errors), memory (under 10% left),
// the server's CPU (above 85% of every core), the machine's CPU (above 85%
// busy while the server used less: other processes had the cores), SQLite's
// one writer (only the comments late, with CPU to spare). Comments far
// slower than the pages get a note: a comment's time grows with what its
// write sets off (notifications, realtime events to the members online).
func (st *ceilingStep) diagnose(cc ceilingConfig, cpus int) string {
	e := strings.ToLower(st.FirstErr)
	var nofile syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile)
	limit := ms(cc.P99Limit)
	reads := max(st.P99ms["board"], st.P99ms["post"])
	var why string
	switch {
	case strings.Contains(e, "too many open files") || strings.Contains(e, "cannot assign requested address") ||
		strings.Contains(e, "connection reset") || strings.Contains(e, "connection refused"):
		why = fmt.Sprintf("file descriptors/connections (%d server fds, limit %d): %s", st.ServerFDs, nofile.Cur, st.FirstErr)
	case st.MemAvailMB < 0.1*(st.MemAvailMB+st.RSSMB):
		why = fmt.Sprintf("memory (%.0f MB RSS, %.0f MB left)", st.RSSMB, st.MemAvailMB)
	case st.ServerCPU > 85*float64(cpus):
		why = fmt.Sprintf("CPU (the server: %.0f%% of %d cores)", st.ServerCPU, cpus)
	case st.MachineBusy > 85:
		why = fmt.Sprintf("CPU (the machine %.0f%% busy, the server %.0f%% of %d cores: other processes had the rest)", st.MachineBusy, st.ServerCPU, cpus)
	case st.P99ms["comment"] > limit && reads <= limit:
		why = fmt.Sprintf("SQLite writes (only comments late: p99 %.0f ms at %.1f row writes/s)", st.P99ms["comment"], st.RowWrites)
	case st.Errors > 0:
		why = "errors: " + st.FirstErr
	default:
		why = fmt.Sprintf("nothing at its limit (server %.0f%% CPU, machine %.0f%% busy)", st.ServerCPU, st.MachineBusy)
	}
	if st.CounterShare < minCounterShare {
		why += fmt.Sprintf("; the live counts fell behind: %.0f%% of the counter events due arrived (each comment's to all %d members)",
			100*st.CounterShare, st.Connections)
	}
	if st.P99ms["comment"] > limit && st.P99ms["comment"] > 4*reads {
		why += fmt.Sprintf("; comments %.0f× slower than pages (p99 %.0f ms vs %.0f ms): each write's realtime fan-out to %d members",
			st.P99ms["comment"]/max(reads, 1), st.P99ms["comment"], reads, st.Connections)
	}
	return why
}

// openLoop sends each kind of request at conns/every a second, on a
// fixed schedule, each from its own goroutine (a slow answer delays
// nothing), for d; latency counts from the scheduled start.
func openLoop(cc ceilingConfig, conns int, every map[string]time.Duration, ops map[string]operation, d time.Duration) (map[string][]time.Duration, []error) {
	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	var errs []error
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	var schedulers sync.WaitGroup
	for kind, per := range every {
		lat[kind] = nil
		interval := per / time.Duration(max(conns, 1))
		op := ops[kind]
		schedulers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(len(kind)), uint64(start.UnixNano())))
			for i := 0; ; i++ {
				at := start.Add(time.Duration(i) * interval)
				if at.Sub(start) >= d {
					return
				}
				time.Sleep(time.Until(at))
				if inFlight.Add(1) > int64(cc.MaxInFlight) {
					inFlight.Add(-1)
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: over %d requests in flight", kind, cc.MaxInFlight))
					mu.Unlock()
					continue
				}
				seed := rng.Uint64()
				wg.Go(func() {
					defer inFlight.Add(-1)
					err := op(0, rand.New(rand.NewPCG(seed, uint64(i))))
					took := time.Since(at)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						errs = append(errs, fmt.Errorf("%s: %w", kind, err))
						return
					}
					lat[kind] = append(lat[kind], took)
				})
			}
		})
	}
	schedulers.Wait()
	wg.Wait()
	return lat, errs
}

// minCounterShare is the share of the counter events due in a window
// (ceilingStep.CounterShare) a step must deliver: under it, the live counts
// on the members' pages fall behind the comments, however fast the
// requests answer (the announcer works off the requests).
const minCounterShare = 0.8

// counterGrace is how long after a window its comments' counter events
// may still arrive and count.
const counterGrace = 2 * time.Second

// mainBoardComments counts the comments on the main board's posts.
func mainBoardComments(r *run) int64 {
	return count(r, `SELECT COUNT(*) FROM comments JOIN posts ON posts.id = comments.post WHERE posts.board = {:board}`,
		map[string]any{"board": r.fx.mainBoard})
}

// rowCount is how many comments and notifications the server's database
// holds.
func rowCount(r *run) int64 {
	return count(r, `SELECT (SELECT COUNT(*) FROM comments) + (SELECT COUNT(*) FROM notifications)`, nil)
}

// count answers a counting query on the server's database, read beside
// the running server (WAL lets it); 0 when it cannot.
func count(r *run, query string, params map[string]any) int64 {
	db, err := openData(r.dir)
	if err != nil {
		return 0
	}
	defer db.Close()
	var n int64
	db.NewQuery(query).Bind(params).Row(&n)
	return n
}

// procCPU is the CPU seconds (user + system) pid has used.
func procCPU(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// procWrites is the number of write syscalls process pid has made
// (/proc/PID/io's syscw; 0 where it cannot be read).
func procWrites(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "syscw:"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return n
		}
	}
	return 0
}

// machineCPU is the machine's busy and total jiffies (/proc/stat).
func machineCPU() [2]float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return [2]float64{}
	}
	line, _, _ := strings.Cut(string(data), "\n")
	var busy, total float64
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return [2]float64{busy, total}
}

func meminfoKB(field string) int64 { return kBField("/proc/meminfo", field) }

func total(m map[string]int) int {
	n := 0
	for k, v := range m {
		if k != reconnects {
			n += v
		}
	}
	return n
}

var ceilingKinds = []string{"board", "post", "comment"}

func (st *ceilingStep) line(cc ceilingConfig) string {
	verdict := "pass"
	if !st.Pass {
		verdict = "FAIL: " + st.RanOut
	}
	var p []string
	for _, k := range ceilingKinds {
		p = append(p, fmt.Sprintf("%s %.1f/s p99 %.0fms", k, st.Rates[k], st.P99ms[k]))
	}
	return fmt.Sprintf("%6d connections (%.0fs to open): %s; %d errors; RSS %.0f MB; server CPU %.0f%%; %.1f row writes/s; %.0f%% of the counter events due — %s",
		st.Connections, st.ConnectSeconds, strings.Join(p, ", "), st.Errors, st.RSSMB, st.ServerCPU, st.RowWrites, 100*st.CounterShare, verdict)
}

// ceilingSummary is the sentence README's Scaling section quotes.
func ceilingSummary(rep *ceilingReport) string {
	var last, failed *ceilingStep
	for _, st := range rep.Steps {
		if !st.Pass {
			failed = st
			break
		}
		last = st
	}
	if last == nil {
		return fmt.Sprintf("no step passed (the first, %d connections, ran out of %s)", rep.Steps[0].Connections, rep.Steps[0].RanOut)
	}
	s := fmt.Sprintf("one node of %d cores serves about %d members online (one realtime connection each, a page every %s and a comment every %s) and %.1f comment writes/s (%.1f SQLite row writes/s) with every p99 under %s",
		rep.CPUs, last.Connections, rep.Config.PageEvery, rep.Config.CommentEvery, last.Rates["comment"], last.RowWrites, rep.Config.P99Limit)
	if failed != nil {
		s += fmt.Sprintf("; at %d it ran out of %s", failed.Connections, failed.RanOut)
	} else {
		s += "; every step passed"
	}
	return s
}

func (rep *ceilingReport) print(w io.Writer) {
	fmt.Fprintf(w, "\nMadang ceiling — %s mode, %d CPUs, open files limit %d, p99 limit %s, a page per member every %s, a comment every %s; took %s\n\n",
		rep.Mode, rep.CPUs, rep.NoFile[0], rep.Config.P99Limit, rep.Config.PageEvery, rep.Config.CommentEvery,
		(time.Duration(rep.Seconds) * time.Second).Round(time.Second))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "connections\tboard/s\tp99 ms\tpost/s\tp99 ms\tcomment/s\tp99 ms\terrors\tRSS MB\tKB/conn\tserver fds\tserver CPU %\tclient CPU %\tmachine busy %\trow writes/s\tevents\tcounters %\tload\tresult\t")
	for _, st := range rep.Steps {
		result := "pass"
		if !st.Pass {
			result = st.RanOut
		}
		fmt.Fprintf(tw, "%d\t%.1f\t%.0f\t%.1f\t%.0f\t%.1f\t%.0f\t%d\t%.0f\t%.1f\t%d\t%.0f\t%.0f\t%.0f\t%.1f\t%d\t%.0f\t%s\t%s\t\n",
			st.Connections, st.Rates["board"], st.P99ms["board"], st.Rates["post"], st.P99ms["post"],
			st.Rates["comment"], st.P99ms["comment"], st.Errors, st.RSSMB, st.KBPerConn, st.ServerFDs,
			st.ServerCPU, st.ClientCPU, st.MachineBusy, st.RowWrites, total(st.Events), 100*st.CounterShare, st.Load, result)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nrealtime events received in each window, by topic (and the streams reopened after the server ended them):")
	for _, st := range rep.Steps {
		var parts []string
		for _, t := range eventTopics {
			parts = append(parts, fmt.Sprintf("%s %d", t, st.Events[t]))
		}
		fmt.Fprintf(w, "  %6d connections: %s\n", st.Connections, strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "\nSQLite physical limit: %.0f single-row insert tx/s\n%s\n", rep.Physical, rep.Summary)
}
