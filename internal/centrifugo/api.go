package centrifugo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// queueSize bounds the broadcasts waiting for the server API; past it a
// broadcast is dropped and logged (a stalled Centrifugo must not hold
// Madang's writes), as a full SSE queue drops its client.
const queueSize = 4096

// callTimeout bounds one server API call.
const callTimeout = 5 * time.Second

// drainTimeout bounds the whole drain of the queue when the app stops:
// past it the call under way is abandoned and what is still queued is
// dropped, so a hung Centrifugo cannot hold the shutdown (Docker's stop
// gives 10 s before SIGKILL). Until 2026-12-03 every queued broadcast had
// its own callTimeout: 42.7 s for 10 events, hours for a full queue.
const drainTimeout = 3 * time.Second

// presenceTimeout bounds a presence call: Followers may be asked inside a
// write's transaction (who has a chat open, for its notifications); no
// answer in time counts as no follower.
const presenceTimeout = time.Second

// api is the Centrifugo server API (HTTP, JSON) and realtime.Tier.
// Broadcasts are sent in order by one goroutine, so events reach a user in
// the order Madang delivered them (a sentinel sent after an event arrives
// after it); Disconnect and Followers answer at once.
type api struct {
	app    core.App
	c      Config
	client *http.Client

	queue  chan broadcast
	done   chan struct{}
	drain  time.Duration // drainTimeout; shorter in tests
	stderr io.Writer     // os.Stderr: what the operator must see (docker logs), beside the app's log
	// abandon is cancelled when the drain outlives drain: the call under
	// way gives up, and the rest of the queue is counted, not sent
	abandon  context.Context
	giveUp   context.CancelFunc
	stopOnce sync.Once
	// sending guards queue against its close: a Send racing the app's
	// stop (an announcer's late event) finds it stopped, not closed
	sending sync.RWMutex
	stopped bool
}

type broadcast struct {
	Channels []string        `json:"channels"`
	Data     json.RawMessage `json:"data"`
}

func newAPI(app core.App, c Config) *api {
	a := &api{app: app, c: c, client: &http.Client{Timeout: callTimeout},
		queue: make(chan broadcast, queueSize), done: make(chan struct{}), drain: drainTimeout, stderr: os.Stderr}
	a.abandon, a.giveUp = context.WithCancel(context.Background())
	go a.run()
	return a
}

func (a *api) run() {
	defer close(a.done)
	dropped, failing := 0, 0
	for b := range a.queue {
		if a.abandon.Err() != nil {
			dropped++
			continue
		}
		err := a.call(a.abandon, "broadcast", b, nil)
		switch {
		case err != nil && a.abandon.Err() != nil:
			dropped++ // the call under way when the drain ran out
		case err != nil:
			a.app.Logger().Warn("centrifugo broadcast failed", slog.Int("channels", len(b.Channels)), slog.String("error", err.Error()))
			if failing == 0 { // once per outage on stderr; each failure in the app's log
				fmt.Fprintf(a.stderr, "centrifugo: broadcasts are failing (%v): the tier's clients miss events until it recovers\n", err)
			}
			failing++
		case failing > 0:
			fmt.Fprintf(a.stderr, "centrifugo: broadcasts are sent again, after %d failed\n", failing)
			failing = 0
		}
	}
	if dropped > 0 {
		fmt.Fprintf(a.stderr, "centrifugo: the server stopped before its queue was sent: %d broadcasts dropped after %s\n", dropped, a.drain)
		a.app.Logger().Error("centrifugo: the server stopped before the queue was sent; broadcasts dropped",
			slog.Int("dropped", dropped), slog.Duration("drain", a.drain))
	}
}

// stop sends what is queued, for drain at most, and ends the sender.
func (a *api) stop() {
	a.stopOnce.Do(func() {
		a.sending.Lock()
		a.stopped = true
		close(a.queue)
		a.sending.Unlock()
		timer := time.NewTimer(a.drain)
		defer timer.Stop()
		select {
		case <-a.done:
		case <-timer.C:
			a.giveUp()
			<-a.done
		}
		a.giveUp()
	})
}

// PersonalChannel is user's personal channel, as Centrifugo names it.
func PersonalChannel(user string) string { return PersonalNamespace + ":#" + user }

// Message is what a personal channel carries: the SSE message's name and data.
type Message struct {
	Topic string          `json:"topic"`
	Data  json.RawMessage `json:"data"`
}

// Send implements realtime.Tier: one broadcast to the users' personal channels.
func (a *api) Send(users []string, topic string, data []byte) {
	channels := make([]string, len(users))
	for i, u := range users {
		channels[i] = PersonalChannel(u)
	}
	payload, err := json.Marshal(Message{Topic: topic, Data: data})
	if err != nil {
		return
	}
	a.sending.RLock()
	defer a.sending.RUnlock()
	if a.stopped {
		return // the app is stopping
	}
	select {
	case a.queue <- broadcast{Channels: channels, Data: payload}:
	default:
		a.app.Logger().Warn("centrifugo queue full: broadcast dropped", slog.String("topic", topic))
	}
}

// Disconnect implements realtime.Tier: every connection of each user, with
// a code that tells clients not to reconnect by themselves (4500, in the
// 4500–4999 range Centrifugo reserves for terminal application codes).
func (a *api) Disconnect(users ...string) error {
	err := a.disconnect(4500, "signed out", users...)
	// every connection of theirs is closed for good: the sessions of the
	// tokens minted so far need no check when the watch of users saved
	// elsewhere sees this save too (it would close the new session's
	// connection, opened meanwhile, for a reconnect)
	m := mintedOf(a.app)
	for _, u := range users {
		m.forget(u)
	}
	return err
}

// Recheck closes every connection of user with a code that tells clients
// to connect again at once (4000, in the 4000–4499 range of application
// codes that reconnect): each connection's subscriptions are asked of the
// subscribe proxy again, which closes for good (4500) those of an ended
// session and lets the others go on.
func (a *api) Recheck(user string) error {
	return a.disconnect(4000, "session check", user)
}

func (a *api) disconnect(code int, reason string, users ...string) error {
	var errs []error
	for _, u := range users {
		req := map[string]any{"user": u, "disconnect": map[string]any{"code": code, "reason": reason}}
		if err := a.call(context.Background(), "disconnect", req, nil); err != nil {
			fmt.Fprintf(a.stderr, "centrifugo: disconnecting user %s failed (%v): their tier connections stay open until their token expires\n", u, err)
			a.app.Logger().Warn("centrifugo disconnect failed", slog.String("user", u), slog.String("error", err.Error()))
			errs = append(errs, fmt.Errorf("Centrifugo's disconnect of user %s: %w", u, err))
		}
	}
	return errors.Join(errs...)
}

// Followers implements realtime.Tier: the users present on the topics'
// shared channels (presence is on for channels without a namespace).
func (a *api) Followers(topics ...string) []string {
	var users []string
	for _, topic := range topics {
		var res struct {
			Presence map[string]struct {
				User string `json:"user"`
			} `json:"presence"`
		}
		if err := a.call(context.Background(), "presence", map[string]string{"channel": topic}, &res); err != nil {
			a.app.Logger().Debug("centrifugo presence failed", slog.String("channel", topic), slog.String("error", err.Error()))
			continue
		}
		for _, c := range res.Presence {
			users = append(users, c.User)
		}
	}
	return users
}

// call posts one server API command; out receives its result.
func (a *api) call(ctx context.Context, method string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	timeout := callTimeout
	if method == "presence" {
		timeout = presenceTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.c.APIURL+"/"+method, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", a.c.APIKey)
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{method: method, code: resp.StatusCode, body: string(bytes.TrimSpace(reply))}
	}
	var envelope struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(reply, &envelope); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if envelope.Error != nil {
		return fmt.Errorf("%s: error %d: %s", method, envelope.Error.Code, envelope.Error.Message)
	}
	if out != nil && len(envelope.Result) > 0 {
		return json.Unmarshal(envelope.Result, out)
	}
	return nil
}

// statusError is a server API call answered with another status than 200.
type statusError struct {
	method string
	code   int
	body   string
}

func (e *statusError) Error() string {
	if e.body == "" { // Centrifugo's 401
		return fmt.Sprintf("%s: HTTP %d", e.method, e.code)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.method, e.code, e.body)
}

// checkTimeout bounds Check's call.
const checkTimeout = 5 * time.Second

// ErrUnreachable marks Check's answer when nothing answered at the API
// URL: Centrifugo may simply not be up yet (its subscribe proxy calls
// Madang, so either may start first), which serve only warns of.
var ErrUnreachable = errors.New("Centrifugo's server API did not answer")

// Check calls the server API's info method once with c's key, so that a
// wrong API URL or key stops serve with a sentence naming the variable
// (never its value) instead of a tier that sends nothing. The token secret
// cannot be checked this way: Centrifugo only uses it on the clients'
// connections (a wrong one closes each with 3500 "invalid token").
func Check(c Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	err := (&api{c: c, client: &http.Client{}}).call(ctx, "info", struct{}{}, nil)
	var status *statusError
	var transport *url.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &status) && (status.code == http.StatusUnauthorized || status.code == http.StatusForbidden):
		return fmt.Errorf("Centrifugo's server API refused MADANG_CENTRIFUGO_API_KEY (HTTP %d): set it to Centrifugo's http_api.key", status.code)
	case errors.As(err, &status):
		return fmt.Errorf("MADANG_CENTRIFUGO_API_URL answered HTTP %d to the server API's info call: set it to Centrifugo's server API, e.g. http://127.0.0.1:9000/api (its internal port)", status.code)
	case errors.As(err, &transport):
		return fmt.Errorf("%w at MADANG_CENTRIFUGO_API_URL (%v): start Centrifugo, or correct the URL", ErrUnreachable, transport.Err)
	default:
		return fmt.Errorf("Centrifugo's server API at MADANG_CENTRIFUGO_API_URL failed the info call (%v): is it Centrifugo's server API?", err)
	}
}
