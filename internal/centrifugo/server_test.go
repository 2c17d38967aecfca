package centrifugo_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/centrifugo"
	"madang/internal/testapp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testapp.Cleanup()
	os.Exit(code)
}

// installHint says how to get the binary the tests run.
const installHint = "install it with `GOTOOLCHAIN=go1.27.3 go install github.com/centrifugal/centrifugo/v6@v6.9.1` " +
	"(test.sh does when it is missing) or point MADANG_CENTRIFUGO_BIN at one"

// centrifugoBin is $MADANG_CENTRIFUGO_BIN, else $(go env GOPATH)/bin/centrifugo.
func centrifugoBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("MADANG_CENTRIFUGO_BIN")
	if bin == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			gopath = build.Default.GOPATH
		}
		bin = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin", "centrifugo")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the Centrifugo tier's tests need a real Centrifugo v6.9.1, not found at %s: %s", bin, installHint)
	}
	return bin
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tier is a Madang test app served with the Centrifugo tier on, and its
// Centrifugo, started for the test on free loopback ports.
type tier struct {
	app  *tests.TestApp
	base string // Madang
	ws   string // Centrifugo's WebSocket endpoint
	cfg  centrifugo.Config
}

// startTier configures app's tier, serves app, then starts Centrifugo with
// a generated configuration: the API key, the token secret, personal
// channels, the subscribe proxy to this Madang, presence on shared channels.
func startTier(t *testing.T, app *tests.TestApp) *tier {
	t.Helper()
	bin := centrifugoBin(t)
	port := freePort(t)
	cfg := centrifugo.Config{
		APIURL:      fmt.Sprintf("http://127.0.0.1:%d/api", port),
		APIKey:      "test-api-key-" + t.Name(),
		TokenSecret: "test-token-secret-" + t.Name(),
		WSURL:       fmt.Sprintf("ws://127.0.0.1:%d/connection/websocket", port),
		TokenTTL:    time.Minute,
	}
	centrifugo.BindConfig(app, cfg)
	base := testapp.Serve(t, app)

	conf := centrifugo.NodeConfig(centrifugo.Node{Port: port, Address: "127.0.0.1", AllowedOrigins: []string{base},
		MadangURL: base, APIKey: cfg.APIKey, TokenSecret: cfg.TokenSecret})
	conf["log"] = map[string]any{"level": "warn"}
	raw, _ := json.MarshalIndent(conf, "", "  ")
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config", path)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("centrifugo log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if apiCall(cfg, "info", map[string]any{}) == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("centrifugo exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("centrifugo did not answer in 20 s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &tier{app: app, base: base, ws: cfg.WSURL, cfg: cfg}
}

// apiCall posts one server API command (readiness).
func apiCall(cfg centrifugo.Config, method string, body any) error {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, cfg.APIURL+"/"+method, bytes.NewReader(raw))
	req.Header.Set("X-API-Key", cfg.APIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", res.StatusCode)
	}
	return nil
}

// token asks Madang for a connection token with a PocketBase auth token.
func (tr *tier) token(t testing.TB, authToken string) testapp.Response {
	t.Helper()
	return testapp.Call(t, http.MethodPost, tr.base+"/api/realtime/token", authToken, nil)
}

// client is a real Centrifugo client (JSON protocol over WebSocket, as
// centrifuge-js speaks it), read in the background: personal-channel
// messages arrive on Events as testapp events (topic, data).
type client struct {
	conn    *websocket.Conn
	Events  chan testapp.Event // closed when the connection ends
	replies chan map[string]json.RawMessage
	mu      sync.Mutex
	nextID  int
	closed  chan struct{}
	code    websocket.StatusCode // the close code, once closed
	reason  string
}

// connect fetches a token as authToken's user and connects with it.
func (tr *tier) connect(t *testing.T, authToken string) *client {
	t.Helper()
	r := tr.token(t, authToken)
	if r.Status != http.StatusOK {
		t.Fatalf("token: %d %s", r.Status, r.Raw)
	}
	if r.Body["url"] != tr.ws {
		t.Fatalf("token url %v, want %s", r.Body["url"], tr.ws)
	}
	c, err := tr.dial(t, r.Body["token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// proxy asks the subscribe proxy as Centrifugo does (with the key).
func (tr *tier) proxy(t testing.TB, body any) testapp.Response {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, tr.base+"/api/realtime/subscribe", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(centrifugo.ProxyKeyHeader, tr.cfg.APIKey)
	return testapp.Do(t, req, "")
}

// dial opens a connection with a connection token and subscribes it to
// its user's personal channel.
func (tr *tier) dial(t *testing.T, token string) (*client, error) {
	t.Helper()
	c, err := tr.dialOnly(t, token)
	if err != nil {
		return nil, err
	}
	// as the web client does (pb_public/js/live.js): the personal channel,
	// through the subscribe proxy
	if err := c.subscribe(centrifugo.PersonalChannel(tokenSubject(token))); err != nil {
		return c, fmt.Errorf("the personal channel: %w", err)
	}
	return c, nil
}

// dialOnly opens a connection with a connection token, subscribed to
// nothing.
func (tr *tier) dialOnly(t *testing.T, token string) (*client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, tr.ws, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {tr.base}}})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	c := &client{conn: conn, Events: make(chan testapp.Event, 256), replies: make(chan map[string]json.RawMessage, 16),
		closed: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { c.conn.CloseNow() })
	if _, err := c.command("connect", map[string]any{"token": token, "name": "madang-test"}); err != nil {
		return nil, err
	}
	return c, nil
}

// tokenSubject is a connection token's user (its sub claim), unverified.
func tokenSubject(token string) string {
	var claims struct {
		Sub string `json:"sub"`
	}
	if parts := strings.Split(token, "."); len(parts) == 3 {
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(payload, &claims)
	}
	return claims.Sub
}

func (c *client) read() {
	defer close(c.Events)
	defer close(c.closed)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				c.code, c.reason = ce.Code, ce.Reason
			}
			return
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			var frame map[string]json.RawMessage
			if json.Unmarshal(line, &frame) != nil {
				continue
			}
			switch {
			case len(frame) == 0: // the server's ping: answer pong
				_ = c.conn.Write(context.Background(), websocket.MessageText, []byte("{}"))
			case frame["id"] != nil:
				c.replies <- frame
			case frame["push"] != nil:
				c.push(frame["push"])
			}
		}
	}
}

func (c *client) push(raw json.RawMessage) {
	var push struct {
		Channel string `json:"channel"`
		Pub     *struct {
			Data centrifugo.Message `json:"data"`
		} `json:"pub"`
		Disconnect *struct {
			Code   int    `json:"code"`
			Reason string `json:"reason"`
		} `json:"disconnect"`
	}
	if json.Unmarshal(raw, &push) != nil {
		return
	}
	if push.Disconnect != nil {
		c.code, c.reason = websocket.StatusCode(push.Disconnect.Code), push.Disconnect.Reason
		return
	}
	if push.Pub == nil {
		return
	}
	ev := testapp.Event{Name: push.Pub.Data.Topic}
	_ = json.Unmarshal(push.Pub.Data.Data, &ev.Data)
	c.Events <- ev
}

// command sends one command and returns its reply's result, or its error.
func (c *client) command(method string, params any) (json.RawMessage, error) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.mu.Unlock()
	raw, _ := json.Marshal(map[string]any{"id": id, method: params})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, raw); err != nil {
		return nil, err
	}
	select {
	case reply := <-c.replies:
		if e := reply["error"]; e != nil {
			return nil, fmt.Errorf("%s refused: %s", method, e)
		}
		return reply[method], nil
	case <-c.closed:
		return nil, fmt.Errorf("%s: connection closed (%d %s)", method, c.code, c.reason)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: no reply", method)
	}
}

// subscribe asks for a shared channel (the subscribe proxy decides).
func (c *client) subscribe(channel string) error {
	_, err := c.command("subscribe", map[string]any{"channel": channel})
	return err
}

// next returns the next event, or false after timeout or at the end.
func (c *client) next(timeout time.Duration) (testapp.Event, bool) {
	select {
	case ev, ok := <-c.Events:
		return ev, ok
	case <-time.After(timeout):
		return testapp.Event{}, false
	}
}

// expect waits for an event on topic, skipping those on other topics
// (notifications that follow a chat message…), and returns its record.
func (c *client) expect(t testing.TB, topic string) testapp.Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev, ok := c.next(time.Until(deadline))
		if !ok {
			t.Fatalf("no event on %s", topic)
		}
		if ev.Name == topic {
			return ev
		}
	}
}

// expectOnly waits for the sentinel and fails on any event before it.
func (c *client) expectOnly(t testing.TB, sentinel func(testapp.Event) bool) {
	t.Helper()
	ev, ok := c.next(5 * time.Second)
	if !ok {
		t.Fatal("no event: the sentinel did not arrive")
	}
	if !sentinel(ev) {
		t.Fatalf("unexpected event before the sentinel: %s %v", ev.Name, ev.Data)
	}
}

// expectUntil waits for the sentinel, failing on an event refused says
// must not come before it.
func (c *client) expectUntil(t testing.TB, sentinel func(testapp.Event) bool, refused func(testapp.Event) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev, ok := c.next(time.Until(deadline))
		if !ok {
			t.Fatal("no event: the sentinel did not arrive")
		}
		if sentinel(ev) {
			return
		}
		if refused(ev) {
			t.Fatalf("unexpected event before the sentinel: %s %v", ev.Name, ev.Data)
		}
	}
}

// expectEnd waits for the server to end the connection and returns the
// close code.
func (c *client) expectEnd(t testing.TB) websocket.StatusCode {
	t.Helper()
	select {
	case <-c.closed:
		return c.code
	case <-time.After(5 * time.Second):
		t.Fatal("the Centrifugo connection stayed open")
		return 0
	}
}
