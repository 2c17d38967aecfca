package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	mcentrifugo "madang/internal/centrifugo"
)

// The S5 peer: Centrifugo, a dedicated real-time server, given the same
// subscribers and the same messages as Madang's chat (issue 14). It is a
// third target of S5 and S5b only, run in the same alternation.
const (
	centrifugo        = "centrifugo"
	centrifugoVersion = "v6.9.1"
	centrifugoInstall = "GOTOOLCHAIN=go1.27.3 go install github.com/centrifugal/centrifugo/v6@" + centrifugoVersion

	// centrifugoChannel is the one channel every subscriber follows.
	centrifugoChannel = "bench-room"
	// centrifugoKey is the server API key of the generated configs (and
	// the subscribe proxy's key on the tier).
	centrifugoKey = "bench-api-key"
	// tierTokenSecret signs the tier's connection tokens.
	tierTokenSecret = "bench-token-secret"
)

// findCentrifugo is the Centrifugo binary: $MADANG_CENTRIFUGO_BIN, else
// $(go env GOPATH)/bin/centrifugo; "" (and why) when there is none.
func findCentrifugo() (bin, version, why string) {
	bin = os.Getenv("MADANG_CENTRIFUGO_BIN")
	if bin == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			return "", "", "go env GOPATH: " + err.Error()
		}
		gopath := strings.TrimSpace(string(out))
		if i := strings.IndexRune(gopath, os.PathListSeparator); i >= 0 {
			gopath = gopath[:i]
		}
		bin = filepath.Join(gopath, "bin", "centrifugo")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", "", fmt.Sprintf("no Centrifugo binary at %s (install: %s, or set MADANG_CENTRIFUGO_BIN)", bin, centrifugoInstall)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		return "", "", fmt.Sprintf("%s version: %v", bin, err)
	}
	version = strings.TrimSpace(string(out))
	// go install leaves the version it prints at v0.0.0; the module's is in the build info
	if info, err := exec.Command("go", "version", "-m", bin).Output(); err == nil {
		for line := range strings.SplitSeq(string(info), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "mod" && strings.HasPrefix(f[1], "github.com/centrifugal/centrifugo") {
				version = "Centrifugo " + f[2]
			}
		}
	}
	return bin, version, ""
}

// peerConfig is the S5 peer's Centrifugo config: anonymous clients allowed
// (client.insecure: the peer runs no permission check, as the baseline's
// public rule), the server API behind a key, loopback only, no usage
// statistics.
func peerConfig(port int) map[string]any {
	return map[string]any{
		"http_server": map[string]any{"address": "127.0.0.1", "port": port},
		"client":      map[string]any{"insecure": true},
		"http_api":    map[string]any{"key": centrifugoKey},
		"health":      map[string]any{"enabled": true},
		"log":         map[string]any{"level": "warn"},
		"usage_stats": map[string]any{"disabled": true},
	}
}

// tierConfig is the Centrifugo of the madang-tier target: the README's
// one-node configuration of Madang's realtime tier (Scaling), on loopback,
// its subscribe proxy calling the Madang at madangBase. Clients connect
// with Madang's connection tokens only.
func tierConfig(port int, madangBase string) map[string]any {
	conf := mcentrifugo.NodeConfig(mcentrifugo.Node{Port: port, Address: "127.0.0.1", MadangURL: madangBase,
		APIKey: centrifugoKey, TokenSecret: tierTokenSecret})
	conf["health"] = map[string]any{"enabled": true}
	conf["log"] = map[string]any{"level": "warn"}
	return conf
}

// tierEnv is Madang's environment for a tier on the Centrifugo at port
// (tierConfig).
func tierEnv(port int) []string {
	base := "127.0.0.1:" + strconv.Itoa(port)
	return []string{
		"MADANG_CENTRIFUGO_API_URL=http://" + base + "/api",
		"MADANG_CENTRIFUGO_API_KEY=" + centrifugoKey,
		"MADANG_CENTRIFUGO_TOKEN_SECRET=" + tierTokenSecret,
		"MADANG_CENTRIFUGO_WS_URL=ws://" + base + "/connection/websocket",
	}
}

// startCentrifugo writes conf for dir and starts Centrifugo on port with it.
func startCentrifugo(bin, dir string, port int, conf map[string]any) (*server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(confPath, data, 0o644); err != nil {
		return nil, err
	}
	logPath := dir + ".log"
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--config", confPath)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting centrifugo: %w", err)
	}
	s := &server{target: centrifugo, cmd: cmd, base: "http://127.0.0.1:" + strconv.Itoa(port), health: "/health",
		log: logPath, exited: make(chan error, 1)}
	go func() { s.exited <- cmd.Wait() }()
	if err := s.waitHealthy(30 * time.Second); err != nil {
		s.kill()
		return nil, fmt.Errorf("centrifugo did not start: %w (log: %s)", err, s.logTail())
	}
	return s, nil
}

// publishCentrifugo publishes message seq through the server HTTP API
// (POST /api/publish), which answers 200 with an error field on failure.
// The publication's data is what Madang's Centrifugo tier publishes for a
// chat message (internal/realtime/tier.go): the realtime event, the
// record as the records API shows it. Until 2026-12-05 the peer published
// the content alone, {"content": …}, a tenth of the bytes every Madang
// reader gets.
func publishCentrifugo(r *run, seq int, content string) error {
	var out struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body := map[string]any{"channel": centrifugoChannel, "data": chatEvent(r, seq, content)}
	if err := r.call(http.MethodPost, "/api/publish", "apikey "+centrifugoKey, body, &out); err != nil {
		return err
	}
	if out.Error != nil {
		return fmt.Errorf("centrifugo publish: %d %s", out.Error.Code, out.Error.Message)
	}
	return nil
}

// chatEvent is the realtime event of a new chat message, shaped and sized
// as Madang sends it: the record's fields, a 15-character id, the
// collection's id and name, and PocketBase's timestamps.
func chatEvent(r *run, seq int, content string) map[string]any {
	now := time.Now().UTC().Format("2006-01-02 15:04:05.000Z")
	return map[string]any{"action": "create", "record": map[string]any{
		"collectionId": "pbc_3861817060", "collectionName": "chats", "id": fmt.Sprintf("m%014d", seq),
		"session": r.fx.session, "author": r.fx.users[0].id, "content": content, "is_visible": true,
		"created": now, "updated": now,
	}}
}

// centrifugoReply is a reply to a command in Centrifugo's JSON client
// protocol (v2), one line of a frame; other lines are pushes ({"push":
// {"channel", "pub": {"data"}}}) and pings ({}).
type centrifugoReply struct {
	ID    uint32 `json:"id"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// subscribeCentrifugo connects like centrifuge-js over WebSocket with the
// JSON protocol — a connect command (no token: insecure mode), then a
// subscribe command for the channel — answers the server's pings, and
// hands each publication's content to deliver.
func subscribeCentrifugo(ctx context.Context, r *run, streams *http.Client, deliver func(kind string, seq int, at time.Time), readers *sync.WaitGroup) error {
	u := "ws" + strings.TrimPrefix(r.srv.base, "http") + "/connection/websocket"
	return readCentrifugo(ctx, u, streams, centrifugo, []string{
		`{"id":1,"connect":{"name":"madang-bench"}}`,
		`{"id":2,"subscribe":{"channel":"` + centrifugoChannel + `"}}`,
	}, nil, deliver, readers)
}

// subscribeTier connects a member as the web client does with the tier on
// and a chat open (pb_public/js/live.js): a connection token from Madang
// (POST /api/realtime/token), a connect command with it, a subscribe
// command for the member's personal channel, where Madang broadcasts the
// chat's messages, and one for the
// chat's typing channel, which Madang's subscribe proxy allows and which
// tells Madang the member has the chat open (no notification of its
// messages, as S5's SSE members). It hands each chat message's
// publication to deliver.
func subscribeTier(ctx context.Context, r *run, streams *http.Client, member benchUser, deliver func(kind string, seq int, at time.Time), readers *sync.WaitGroup) error {
	var conn struct {
		URL   string `json:"url"`
		Token string `json:"token"`
	}
	if err := r.call(http.MethodPost, "/api/realtime/token", member.token, nil, &conn); err != nil {
		return err
	}
	token, _ := json.Marshal(conn.Token)
	personal, _ := json.Marshal(mcentrifugo.PersonalChannel(member.id))
	typing, _ := json.Marshal("chat_typing/" + r.fx.session)
	return readCentrifugo(ctx, conn.URL, streams, "tier", []string{
		`{"id":1,"connect":{"token":` + string(token) + `,"name":"madang-bench"}}`,
		`{"id":2,"subscribe":{"channel":` + string(personal) + `}}`,
		`{"id":3,"subscribe":{"channel":` + string(typing) + `}}`,
	}, []byte(`"topic":"chats/`), deliver, readers)
}

// readCentrifugo dials the Centrifugo WebSocket at u, sends commands one by
// one, each awaiting its reply, then reads until ctx ends, answering
// pings, and hands each publication (whose data holds topic, when not nil)
// to deliver as kind.
func readCentrifugo(ctx context.Context, u string, streams *http.Client, kind string, commands []string, topic []byte,
	deliver func(kind string, seq int, at time.Time), readers *sync.WaitGroup) error {
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: streams})
	if err != nil {
		return fmt.Errorf("dialing Centrifugo: %w", err)
	}
	c.SetReadLimit(1 << 20)
	for i, cmd := range commands {
		if err := c.Write(ctx, websocket.MessageText, []byte(cmd)); err != nil {
			c.CloseNow()
			return err
		}
		if err := awaitReply(ctx, c, uint32(i+1)); err != nil {
			c.CloseNow()
			return err
		}
	}
	readers.Go(func() {
		defer c.CloseNow()
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			at := time.Now()
			for line := range bytes.SplitSeq(data, []byte("\n")) {
				line = bytes.TrimSpace(line)
				if len(line) == 0 {
					continue
				}
				if bytes.Equal(line, []byte("{}")) { // ping: pong
					c.Write(ctx, websocket.MessageText, []byte("{}"))
					continue
				}
				// a push of a publication; found, as in deliver, without decoding
				if bytes.Contains(line, []byte(`"pub":`)) && (topic == nil || bytes.Contains(line, topic)) {
					if seq, ok := messageSeq(line); ok {
						deliver(kind, seq, at)
					}
				}
			}
		}
	})
	return nil
}

// awaitReply reads frames until the reply to command id, answering pings.
func awaitReply(ctx context.Context, c *websocket.Conn, id uint32) error {
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return err
		}
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if bytes.Equal(line, []byte("{}")) {
				c.Write(ctx, websocket.MessageText, []byte("{}"))
				continue
			}
			var rep centrifugoReply
			if json.Unmarshal(line, &rep) != nil || rep.ID != id {
				continue
			}
			if rep.Error != nil {
				return fmt.Errorf("centrifugo command %d: %d %s", id, rep.Error.Code, rep.Error.Message)
			}
			return nil
		}
	}
}
