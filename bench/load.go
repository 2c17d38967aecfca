package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// run is one scenario run against one server.
type run struct {
	cfg      config
	fx       *fixture
	target   string
	srv      *server
	peer     *server // madang-tier: the Centrifugo beside Madang
	http     *http.Client
	dir      string // the server's data dir
	stopPerf func() // ends the perf recording, with --perf
	perfFile string // with --perf, where a fan-out records its message phase
	jobs     *jobTrace
}

func newRun(cfg config, fx *fixture, target string, srv *server) *run {
	return &run{cfg: cfg, fx: fx, target: target, srv: srv, http: newClient(2*max(cfg.Likers, cfg.Subscribers) + 64)}
}

func (r *run) close() { r.http.CloseIdleConnections() }

// isMadang tells whether the target is Madang, with or without its tier.
func (r *run) isMadang() bool { return r.target == madang || r.target == madangTier }

// procs are the target's processes: Madang and, for madang-tier, its
// Centrifugo.
func (r *run) procs() []*server {
	if r.peer != nil {
		return []*server{r.srv, r.peer}
	}
	return []*server{r.srv}
}

// cpu is the seconds the target's processes have run on a CPU.
func (r *run) cpu() (sec float64) {
	for _, s := range r.procs() {
		sec += procCPU(s.cmd.Process.Pid)
	}
	return sec
}

// writes is how many write syscalls the target's processes have made.
func (r *run) writes() (n float64) {
	for _, s := range r.procs() {
		n += procWrites(s.cmd.Process.Pid)
	}
	return n
}

// sumKB is a kB field of /proc/PID/status (VmRSS, VmHWM) summed over the
// target's processes.
func (r *run) sumKB(field string) (kb int64) {
	for _, s := range r.procs() {
		kb += s.statusKB(field)
	}
	return kb
}

// newClient is a keep-alive HTTP/1.1 client for loopback load, with room
// for conns idle connections.
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			Proxy:               nil, // loopback only
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     2 * time.Minute,
			DisableCompression:  true,
		},
	}
}

// call sends one request; a non-2xx answer is an error naming status and body.
func (r *run) call(method, path, token string, body any, out any) error {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, r.srv.base+path, reader)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
		req.Header.Set(memberAddrHeader, memberAddr(token))
	}
	res, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		if len(data) > 300 {
			data = data[:300]
		}
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// sample is what one run measured.
type sample struct {
	Latencies []time.Duration    // one per counted operation
	Ops       int                // operations counted
	Errors    int                // failed operations
	FirstErr  string             // the first failure, for the report
	Elapsed   time.Duration      // the timed window
	PeakRSSKB int64              // server VmHWM at the end of the run
	Extra     map[string]float64 // scenario-specific figures
	Problems  []string           // broken invariants
}

func (s *sample) rps() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Ops) / s.Elapsed.Seconds()
}

func (s *sample) summary() string {
	p50, p99 := percentile(s.Latencies, 0.50), percentile(s.Latencies, 0.99)
	line := fmt.Sprintf("%8.1f/s  p50 %7.2fms  p99 %7.2fms", s.rps(), ms(p50), ms(p99))
	if s.PeakRSSKB > 0 {
		line += fmt.Sprintf("  peak RSS %4d MB", s.PeakRSSKB/1024)
	}
	if s.Errors > 0 {
		line += fmt.Sprintf("  %d errors (first: %s)", s.Errors, s.FirstErr)
	}
	for _, p := range s.Problems {
		line += "  PROBLEM: " + p
	}
	return line
}

func (s *sample) fail(err error) {
	if s.Errors == 0 {
		s.FirstErr = err.Error()
	}
	s.Errors++
}

// operation is one request of a steady load, made by worker.
type operation func(worker int, rng *rand.Rand) error

// merge adds o's operations to s (slices of one steady load).
func (s *sample) merge(o *sample) {
	s.Latencies = append(s.Latencies, o.Latencies...)
	s.Ops += o.Ops
	if s.Errors == 0 {
		s.FirstErr = o.FirstErr
	}
	s.Errors += o.Errors
	s.Elapsed += o.Elapsed
}

// forDuration runs op from workers goroutines for warmup (not counted), then
// for window; operations started inside the window are counted, and the
// window ends when the last of them returns.
func forDuration(workers int, warmup, window time.Duration, op operation) *sample {
	start := time.Now()
	from := start.Add(warmup)
	until := from.Add(window)
	type part struct {
		lat    []time.Duration
		errs   []error
		finish time.Time
	}
	parts := make([]part, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(start.UnixNano())))
			p := &parts[w]
			for {
				t0 := time.Now()
				if !t0.Before(until) {
					return
				}
				err := op(w, rng)
				t1 := time.Now()
				if t0.Before(from) {
					continue
				}
				p.finish = t1
				if err != nil {
					p.errs = append(p.errs, err)
					continue
				}
				p.lat = append(p.lat, t1.Sub(t0))
			}
		})
	}
	wg.Wait()
	s := &sample{Elapsed: window, Extra: map[string]float64{}}
	for _, p := range parts {
		s.Latencies = append(s.Latencies, p.lat...)
		for _, err := range p.errs {
			s.fail(err)
		}
		if d := p.finish.Sub(from); d > s.Elapsed {
			s.Elapsed = d
		}
	}
	s.Ops = len(s.Latencies)
	return s
}

// atOnce runs n operations from n goroutines released together; the window
// runs from the release to the last answer.
func atOnce(n int, op func(i int) error) *sample {
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	release := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := range n {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-release
			t0 := time.Now()
			errs[i] = op(i)
			lat[i] = time.Since(t0)
		})
	}
	ready.Wait()
	start := time.Now()
	close(release)
	done.Wait()
	s := &sample{Elapsed: time.Since(start), Extra: map[string]float64{}}
	for i := range n {
		if errs[i] != nil {
			s.fail(errs[i])
			continue
		}
		s.Latencies = append(s.Latencies, lat[i])
	}
	s.Ops = len(s.Latencies)
	return s
}

// percentile of unsorted durations (nearest rank); 0 when empty.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// memberAddrHeader carries each member's own address to the server, which
// trusts it (the seeded settings' trusted proxy headers), as a deployment
// behind a reverse proxy does.
const memberAddrHeader = "X-Real-IP"

// memberAddr is a stable address per account (per token), in 10.0.0.0/8.
func memberAddr(token string) string {
	h := fnv.New32a()
	h.Write([]byte(token))
	n := h.Sum32()
	return fmt.Sprintf("10.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff)
}
