package chat_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

// BenchmarkFanout puts fanoutClients SSE subscribers and as many WebSocket
// clients (one of each per member) in one group session, posts
// fanoutMessages messages through the SDK route, and reports the delivery
// latency (from just before the POST to the frame's arrival) at p50 and p99
// for each transport, and the memory (heap and stacks) and goroutines a
// connection takes. Clients and server share the process, so these count
// both ends of a connection.
// Run it with: go test ./chat/ -run '^$' -bench Fanout -benchtime 1x
func BenchmarkFanout(b *testing.B) {
	const (
		fanoutClients  = 500
		fanoutMessages = 100
	)
	app := testapp.New(b)
	base := testapp.Serve(b, app)
	session, _, tokens := benchGroup(b, app, "fan", fanoutClients)

	var sent [fanoutMessages]atomic.Int64 // unix nanos, set before each POST
	var remaining sync.WaitGroup
	sseLatency := make([][]time.Duration, fanoutClients)
	wsLatency := make([][]time.Duration, fanoutClients)
	for i := range fanoutClients {
		sseLatency[i] = make([]time.Duration, 0, fanoutMessages)
		wsLatency[i] = make([]time.Duration, 0, fanoutMessages)
	}
	record := func(latencies *[]time.Duration, content string) {
		n, err := strconv.Atoi(strings.TrimPrefix(content, "fan-out "))
		if err != nil || n < 0 || n >= fanoutMessages {
			return
		}
		*latencies = append(*latencies, time.Duration(time.Now().UnixNano()-sent[n].Load()))
		remaining.Done()
	}

	// memory and goroutines of each transport, both ends of the connections
	measure := func() (uint64, int) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse + m.StackInuse, runtime.NumGoroutine()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mem0, g0 := measure()
	for i := range fanoutClients {
		openBenchSSE(b, ctx, base, tokens[i], func(content string) { record(&sseLatency[i], content) })
	}
	mem1, g1 := measure()
	for i := range fanoutClients {
		openBenchWS(b, ctx, base, tokens[i], session, func(content string) { record(&wsLatency[i], content) })
	}
	mem2, g2 := measure()
	perConn := func(delta uint64) float64 { return float64(delta) / fanoutClients }

	b.ResetTimer()
	for range b.N {
		remaining.Add(2 * fanoutClients * fanoutMessages)
		for n := range fanoutMessages {
			sent[n].Store(time.Now().UnixNano())
			r := testapp.Call(b, http.MethodPost, base+chatsURL, tokens[0],
				map[string]any{"session": session, "content": fmt.Sprintf("fan-out %d", n)})
			if r.Status != http.StatusOK {
				b.Fatalf("posting: %d %s", r.Status, r.Raw)
			}
		}
		waitGroup(b, &remaining, time.Minute)
	}
	b.StopTimer()

	// reported after the loop: ResetTimer forgets earlier metrics
	b.ReportMetric(perConn(mem1-mem0), "sse-B/conn")
	b.ReportMetric(perConn(mem2-mem1), "ws-B/conn")
	b.ReportMetric(float64(g1-g0)/fanoutClients, "sse-goroutines/conn")
	b.ReportMetric(float64(g2-g1)/fanoutClients, "ws-goroutines/conn")

	for name, perClient := range map[string][][]time.Duration{"sse": sseLatency, "ws": wsLatency} {
		all := slices.Concat(perClient...)
		slices.Sort(all)
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, name+"-p50-ms")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, name+"-p99-ms")
	}
}

// benchGroup creates n members (names start with prefix) and a group
// session of all of them, owned by the first; it returns the session and
// the members' ids and tokens.
func benchGroup(b *testing.B, app core.App, prefix string, n int) (session string, ids, tokens []string) {
	b.Helper()
	users, tokens := testapp.CreateMembers(b, app, prefix, n)
	ids = make([]string, len(users))
	for i, u := range users {
		ids[i] = u.Id
	}
	return saveSession(b, app, "", prefix+" group", "group", ids[0], false, ids[1:]...).Id, ids, tokens
}

func waitGroup(b *testing.B, wg *sync.WaitGroup, timeout time.Duration) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		b.Fatal("not every client received every message")
	}
}

// openBenchSSE is a lean SSE subscriber to chats/*: it keeps no events,
// only hands each message's content to got.
func openBenchSSE(b *testing.B, ctx context.Context, base, token string, got func(content string)) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	lines := bufio.NewReader(res.Body)
	clientID := ""
	for clientID == "" {
		line, err := lines.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		if id, ok := strings.CutPrefix(line, "id:"); ok {
			clientID = strings.TrimSpace(id)
		}
	}
	r := testapp.Call(b, http.MethodPost, base+"/api/realtime", token,
		map[string]any{"clientId": clientID, "subscriptions": []string{"chats/*"}})
	if r.Status != http.StatusNoContent {
		b.Fatalf("subscribe: %d %s", r.Status, r.Raw)
	}
	go func() {
		defer res.Body.Close()
		var event struct {
			Record struct {
				Content string `json:"content"`
			} `json:"record"`
		}
		for {
			line, err := lines.ReadSlice('\n')
			if err != nil {
				return
			}
			if data, ok := strings.CutPrefix(string(line), "data:"); ok && json.Unmarshal([]byte(data), &event) == nil {
				got(event.Record.Content)
			}
		}
	}()
}

// openBenchWS is a lean WebSocket client joined to session.
func openBenchWS(b *testing.B, ctx context.Context, base, token, session string, got func(content string)) {
	conn, _, err := websocket.Dial(ctx, wsURL(base, ticketFor(b, base, token)), nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"type":"join","session":"`+session+`"}`)); err != nil {
		b.Fatal(err)
	}
	if _, joined, err := conn.Read(ctx); err != nil || !strings.Contains(string(joined), `"joined"`) {
		b.Fatalf("join: %s %v", joined, err)
	}
	go func() {
		defer conn.CloseNow()
		var f struct {
			Type   string `json:"type"`
			Record struct {
				Content string `json:"content"`
			} `json:"record"`
		}
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			if json.Unmarshal(data, &f) == nil && f.Type == "message" {
				got(f.Record.Content)
			}
		}
	}()
}
