package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// sseTopic is what the web client's pb.collection('chats').subscribe('*')
// asks for. Until 2026-12-03 it passed { expand: 'author' }, which the SDK
// sends in the topic (chats/*?options=%7B%22query%22%3A%7B%22expand%22%3A%22author%22%7D%7D)
// and which makes every reader's event an encoding of its own: S5 with it
// read p99 2,994 ms against Centrifugo's 25.7 ms, 64 µs of server CPU a
// delivery (README, Performance, "The web client's own subscription").
const sseTopic = "chats/*"

// chatViewTopics are the subscriptions of a page of the web client with a
// chat open, as the SDK sends them: one POST with every topic. The chat
// view (pb_public/js/views/chat.js) follows the messages, the sessions,
// the chat's presence and typing; the header's notification bell follows
// notifications (notifications.js) and every page its own user record
// (app.js watchSession). A member following them has the chat open, so
// the server sends them its messages and no "new messages" notification.
func chatViewTopics(session, userID string) []string {
	return []string{"users/" + userID, "notifications/*", sseTopic, "chat_sessions/*",
		"chat_presence/" + session, "chat_typing/" + session}
}

// S5: Subscribers members have one chat open — on Madang half over SSE
// (the web client's chat view: chatViewTopics) and half over the WebSocket
// bridge (joined), on the baseline all over SSE with a public rule, on
// Centrifugo all over its WebSocket, subscribed to one channel, on
// madang-tier all over its Centrifugo's WebSocket (subscribeTier) —
// while one member posts Messages messages at MessageRate a second (on
// Centrifugo through its server API's publish). Each delivery's latency
// runs from just before the publishing request to its arrival at the
// subscriber. With tabs > 1 (S5b) every member follows the chat from that
// many connections (browser tabs), alternating SSE and WebSocket on Madang.
func chatFanout(r *run, tabs int) (*sample, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conns := r.cfg.Subscribers * tabs
	streams := newClient(conns + 8)
	streams.Timeout = 0 // streams live as long as ctx
	defer streams.CloseIdleConnections()

	f := &fanout{epoch: time.Now(), sent: make([]atomic.Int64, r.cfg.Messages), byKind: map[string][]time.Duration{},
		first: make([]atomic.Int64, r.cfg.Messages), last: make([]atomic.Int64, r.cfg.Messages)}
	rssBefore := r.sumKB("VmRSS")
	var readers sync.WaitGroup
	sse, ws, err := f.connect(ctx, r, streams, &readers, tabs)
	if err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond) // let the server settle before reading its memory
	rssAfter := r.sumKB("VmRSS")

	s := &sample{Extra: map[string]float64{}}
	stopPerf := func() {}
	if r.perfFile != "" {
		// the messages only: the connections' setup would be most of a
		// whole run's samples (1,999 Hz: the phase lasts about 2 s)
		// madang-tier: both processes (perf report --sort comm,symbol)
		if stopPerf, err = recordPerf(r.perfFile, 1999, r.procs()...); err != nil {
			return nil, err
		}
		time.Sleep(300 * time.Millisecond) // perf attaches
	}
	t0, server0, client0 := time.Now(), r.cpu(), procCPU(os.Getpid())
	var peer0 float64
	if r.peer != nil {
		peer0 = procCPU(r.peer.cmd.Process.Pid)
	}
	writes0 := r.writes()
	publishLat := f.publish(r, s)
	expected := int64(r.cfg.Messages * conns)
	for deadline := time.Now().Add(90 * time.Second); f.delivered.Load() < expected && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	stopPerf()
	// who had the cores: the server, and the subscribers' side (this process)
	took := time.Since(t0).Seconds()
	s.Extra["server_cpu_pct"] = 100 * (r.cpu() - server0) / took
	s.Extra["client_cpu_pct"] = 100 * (procCPU(os.Getpid()) - client0) / took
	// the server's work per delivery, whatever else the machine was doing:
	// its CPU, and its write syscalls (fewer than one when it batches);
	// "the server" of madang-tier is both its processes
	if n := f.delivered.Load(); n > 0 {
		s.Extra["server_cpu_us_per_delivery"] = 1e6 * (r.cpu() - server0) / float64(n)
		s.Extra["server_writes_per_delivery"] = (r.writes() - writes0) / float64(n)
		if r.peer != nil { // of which the tier's Centrifugo
			s.Extra["tier_centrifugo_cpu_us_per_delivery"] = 1e6 * (procCPU(r.peer.cmd.Process.Pid) - peer0) / float64(n)
		}
	}
	cancel()
	readers.Wait()

	f.mu.Lock()
	s.Latencies = f.latencies
	f.mu.Unlock()
	s.Ops = len(s.Latencies)
	s.Elapsed = max(time.Duration(f.lastDelivery.Load())-time.Duration(f.sent[0].Load()), 0)
	if missing := expected - int64(s.Ops); missing > 0 {
		s.Errors += int(missing)
		if s.FirstErr == "" {
			s.FirstErr = "deliveries missing"
		}
		s.Problems = append(s.Problems, fmt.Sprintf("%d of %d deliveries missing", missing, expected))
	}
	s.Extra["sse_subscribers"] = float64(sse)
	s.Extra["ws_subscribers"] = float64(ws)
	s.Extra["mem_per_conn_kb"] = float64(rssAfter-rssBefore) / float64(conns)
	s.Extra["publish_p50_ms"] = ms(percentile(publishLat, 0.50))
	s.Extra["publish_p99_ms"] = ms(percentile(publishLat, 0.99))
	// one message's deliveries are a hundredth of S5's: the slowest
	// message alone can be the p99
	s.Extra["publish_max_ms"] = ms(percentile(publishLat, 1))
	// each message's first and last delivery: the first is what its own
	// request costs before any reader gets it (Madang saves and checks
	// the message; Centrifugo's publish only broadcasts it), the time from
	// first to last is the fan-out itself
	first, last := f.spans()
	width := widths(first, last)
	for _, q := range []struct {
		name string
		at   float64
	}{{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}} {
		s.Extra["first_delivery_"+q.name+"_ms"] = ms(percentile(first, q.at))
		s.Extra["last_delivery_"+q.name+"_ms"] = ms(percentile(last, q.at))
		s.Extra["fanout_width_"+q.name+"_ms"] = ms(percentile(width, q.at))
	}
	for kind, lat := range f.byKind {
		s.Extra[kind+"_p50_ms"] = ms(percentile(lat, 0.50))
		s.Extra[kind+"_p99_ms"] = ms(percentile(lat, 0.99))
	}
	return s, nil
}

// fanout is the shared state of one S5 run.
type fanout struct {
	epoch        time.Time
	sent         []atomic.Int64 // message seq → send time since epoch
	first, last  []atomic.Int64 // message seq → its first and last delivery's latency (0: none yet)
	delivered    atomic.Int64
	lastDelivery atomic.Int64 // since epoch

	mu        sync.Mutex
	latencies []time.Duration
	byKind    map[string][]time.Duration // "sse", "ws" → latencies
}

// connect opens every subscriber's tabs (32 at a time) and returns how many
// use SSE and WebSocket once all are subscribed.
func (f *fanout) connect(ctx context.Context, r *run, streams *http.Client, readers *sync.WaitGroup, tabs int) (sse, ws int, err error) {
	conns := r.cfg.Subscribers * tabs
	errs := make(chan error, conns)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range conns {
		useWS := r.target == centrifugo || r.target == madangTier || r.target == madang && i%2 == 1
		if useWS {
			ws++
		} else {
			sse++
		}
		member := r.fx.users[i/tabs]
		token := member.token
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			switch {
			case r.target == centrifugo:
				errs <- subscribeCentrifugo(ctx, r, streams, f.arrive, readers)
			case r.target == madangTier:
				errs <- subscribeTier(ctx, r, streams, member, f.arrive, readers)
			case useWS:
				errs <- subscribeWS(ctx, r, streams, token, f.deliver, readers)
			default:
				errs <- subscribeSSE(ctx, r, streams, member, f.deliver, readers)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		if e != nil {
			return 0, 0, fmt.Errorf("subscribing: %w", e)
		}
	}
	return sse, ws, nil
}

// deliver records the arrival of a message event (kind "sse") or frame
// ("ws"), a record whose content is "bench message N". It finds N without
// decoding the JSON: at 50,000 deliveries a second the load generator
// shares the cores with the server, and decoding every event cost it more
// than the server spent sending it.
func (f *fanout) deliver(kind string, data []byte) {
	at := time.Now()
	if seq, ok := messageSeq(data); ok {
		f.arrive(kind, seq, at)
	}
}

// messagePrefix starts the content of every published message.
var messagePrefix = []byte("bench message ")

// messageSeq is N of the first "bench message N" in data.
func messageSeq(data []byte) (int, bool) {
	i := bytes.Index(data, messagePrefix)
	if i < 0 {
		return 0, false
	}
	n, digits := 0, 0
	for _, c := range data[i+len(messagePrefix):] {
		if c < '0' || c > '9' {
			break
		}
		n, digits = n*10+int(c-'0'), digits+1
	}
	return n, digits > 0
}

// arrive records the arrival at at of message seq.
func (f *fanout) arrive(kind string, seq int, at time.Time) {
	now := at.Sub(f.epoch)
	if seq < 0 || seq >= len(f.sent) {
		return
	}
	lat := now - time.Duration(f.sent[seq].Load())
	f.delivered.Add(1)
	for first := &f.first[seq]; ; {
		was := first.Load()
		if was != 0 && was <= int64(lat) || first.CompareAndSwap(was, int64(lat)) {
			break
		}
	}
	for last := &f.last[seq]; ; {
		was := last.Load()
		if was >= int64(lat) || last.CompareAndSwap(was, int64(lat)) {
			break
		}
	}
	for {
		last := f.lastDelivery.Load()
		if int64(now) <= last || f.lastDelivery.CompareAndSwap(last, int64(now)) {
			break
		}
	}
	f.mu.Lock()
	f.latencies = append(f.latencies, lat)
	f.byKind[kind] = append(f.byKind[kind], lat)
	f.mu.Unlock()
}

// spans returns, for every message delivered at least once, the latency
// of its first and of its last delivery.
func (f *fanout) spans() (first, last []time.Duration) {
	for seq := range f.first {
		if l := f.last[seq].Load(); l > 0 {
			first = append(first, time.Duration(f.first[seq].Load()))
			last = append(last, time.Duration(l))
		}
	}
	return first, last
}

// widths is, for each message, the time from its first delivery to its
// last (first and last as spans returns them).
func widths(first, last []time.Duration) []time.Duration {
	w := make([]time.Duration, len(first))
	for i := range first {
		w[i] = last[i] - first[i]
	}
	return w
}

// publish posts the messages on schedule, MessageRate a second, each from
// its own goroutine (open loop: a slow answer does not delay the next
// message, as with many people chatting), as the first user (the chat's
// owner), through the records API (Centrifugo: its publish API). It
// returns each request's latency.
func (f *fanout) publish(r *run, s *sample) []time.Duration {
	publisher := r.fx.users[0]
	interval := time.Duration(float64(time.Second) / r.cfg.MessageRate)
	start := time.Now()
	lat := make([]time.Duration, r.cfg.Messages)
	errs := make([]error, r.cfg.Messages)
	var wg sync.WaitGroup
	for i := range r.cfg.Messages {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		body := map[string]any{"session": r.fx.session, "content": fmt.Sprintf("bench message %d", i)}
		if !r.isMadang() {
			body["author"], body["is_visible"] = publisher.id, true
		}
		t0 := time.Now()
		f.sent[i].Store(int64(t0.Sub(f.epoch)))
		wg.Go(func() {
			if r.target == centrifugo {
				errs[i] = publishCentrifugo(r, i, body["content"].(string))
			} else {
				errs[i] = r.call(http.MethodPost, "/api/collections/chats/records", publisher.token, body, nil)
			}
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	var ok []time.Duration
	for i, err := range errs {
		if err != nil {
			s.fail(err)
			continue
		}
		ok = append(ok, lat[i])
	}
	return ok
}

// subscribeSSE connects like the web client's chat view — GET
// /api/realtime, then POST its subscriptions with the member's token — and
// hands each message event to deliver.
func subscribeSSE(ctx context.Context, r *run, streams *http.Client, member benchUser, deliver func(kind string, data []byte), readers *sync.WaitGroup) error {
	token := member.token
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.base+"/api/realtime", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set(memberAddrHeader, memberAddr(token)) // PocketBase subscribes a stream from its own address only
	res, err := streams.Do(req)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return fmt.Errorf("GET /api/realtime: %d", res.StatusCode)
	}
	events := bufio.NewReaderSize(res.Body, 16<<10)
	name, data, err := readEvent(events)
	if err != nil || name != "PB_CONNECT" {
		res.Body.Close()
		return fmt.Errorf("no PB_CONNECT event (%q, %v)", name, err)
	}
	var hello struct {
		ClientID string `json:"clientId"`
	}
	if err := json.Unmarshal(data, &hello); err != nil {
		res.Body.Close()
		return err
	}
	err = r.call(http.MethodPost, "/api/realtime", token,
		map[string]any{"clientId": hello.ClientID, "subscriptions": chatViewTopics(r.fx.session, member.id)}, nil)
	if err != nil {
		res.Body.Close()
		return err
	}
	readers.Go(func() {
		defer res.Body.Close()
		for {
			name, data, err := readEvent(events)
			if err != nil {
				return
			}
			if name == sseTopic {
				deliver("sse", data)
			}
		}
	})
	return nil
}

// readEvent reads one server-sent event: its name and data.
func readEvent(r *bufio.Reader) (name string, data []byte, err error) {
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return "", nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			if name != "" || data != nil {
				return name, data, nil
			}
		case bytes.HasPrefix(line, []byte("event:")):
			name = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			data = append(data, line[len("data:"):]...)
		}
	}
}

// subscribeWS opens Madang's chat WebSocket with a fresh ticket, joins the
// chat and hands each message frame to deliver.
func subscribeWS(ctx context.Context, r *run, streams *http.Client, token string, deliver func(kind string, data []byte), readers *sync.WaitGroup) error {
	var ticket struct {
		Ticket string `json:"ticket"`
	}
	if err := r.call(http.MethodPost, "/api/chat/ticket", token, nil, &ticket); err != nil {
		return err
	}
	u := "ws" + strings.TrimPrefix(r.srv.base, "http") + "/api/chat/ws?ticket=" + url.QueryEscape(ticket.Ticket)
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: streams})
	if err != nil {
		return fmt.Errorf("dialing the chat WebSocket: %w", err)
	}
	c.SetReadLimit(1 << 20)
	join, _ := json.Marshal(map[string]string{"type": "join", "session": r.fx.session})
	if err := c.Write(ctx, websocket.MessageText, join); err != nil {
		c.CloseNow()
		return err
	}
	type frame struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			c.CloseNow()
			return err
		}
		var f frame
		json.Unmarshal(data, &f)
		if f.Type == "error" {
			c.CloseNow()
			return errors.New("join refused: " + f.Message)
		}
		if f.Type == "joined" {
			break
		}
	}
	readers.Go(func() {
		defer c.CloseNow()
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if bytes.Contains(data, []byte(`"type":"message"`)) {
				deliver("ws", data)
			}
		}
	})
	return nil
}
