// Package centrifugo is Madang's optional realtime tier on Centrifugo
// (v6): clients hold a WebSocket to a Centrifugo cluster instead of an SSE
// connection to Madang, so the number of live connections scales with the
// Centrifugo nodes, not Madang's. The embedded SSE stays the default and
// stays on beside it.
//
// Madang keeps every decision (internal/realtime, internal/access): who may
// receive an event, and how the record looks to them. This package only
// carries the outcome:
//
//   - each user's connection subscribes to the user's personal channel
//     ("personal:#ID") through the subscribe proxy, which allows it to
//     that user only, on a connection of a session that has not ended
//     (Token's session tag); an event goes, for each
//     distinct payload, in ONE broadcast call to the personal channels of
//     its recipients, as {topic, data} — the SSE message's name and data;
//   - posts, comments and boards, which any number of readers follow, are
//     followed through shared channels named as the SSE topic ("posts/ID",
//     "posts/*"): Centrifugo asks Madang (the subscribe proxy,
//     POST /api/realtime/subscribe) whether the user may follow the topic,
//     and each event goes to the followers the rule lets read it (found
//     with Centrifugo's presence), again on their personal channels;
//   - connection tokens are JWTs (HS256, sub = user id, short exp, the
//     session's tag in meta) minted by GET/POST /api/realtime/token for a
//     signed-in, not banned user;
//   - a ban or a rotated token key (password change, sign-out everywhere)
//     disconnects the user at once (realtime.CloseUser → the server API's
//     disconnect). Removal from a chat session needs no call: the removed
//     member is no longer among the session's readers, so no further
//     message is sent to their personal channel.
//
// Configuration is by environment (Config); the tier is off when
// MADANG_CENTRIFUGO_API_URL is unset.
package centrifugo

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/realtime"
)

// PersonalNamespace is the Centrifugo namespace of the personal channels
// (NodeConfig: subscribed to through the subscribe proxy).
const PersonalNamespace = "personal"

// ProxyKeyHeader carries the API key on Centrifugo's proxy requests
// (channel.proxy.subscribe.http.static_headers), so Madang knows the
// subscribe question comes from its Centrifugo.
const ProxyKeyHeader = "X-Madang-Centrifugo-Key"

// DefaultTokenTTL is how long a connection token lives; the client asks a
// new one (centrifuge-js getToken) before it expires.
const DefaultTokenTTL = 5 * time.Minute

// Config is the tier's configuration.
type Config struct {
	APIURL      string        // MADANG_CENTRIFUGO_API_URL: the server API, e.g. http://127.0.0.1:9000/api (its internal port)
	APIKey      string        // MADANG_CENTRIFUGO_API_KEY: http_api.key; also the proxy requests' ProxyKeyHeader
	TokenSecret string        // MADANG_CENTRIFUGO_TOKEN_SECRET: client.token.hmac_secret_key
	WSURL       string        // MADANG_CENTRIFUGO_WS_URL: what browsers connect to, e.g. wss://rt.example.com/connection/websocket
	TokenTTL    time.Duration // MADANG_CENTRIFUGO_TOKEN_TTL (a Go duration), default DefaultTokenTTL
}

// Enabled tells whether the tier is configured.
func (c Config) Enabled() bool { return c.APIURL != "" }

// envVars are the tier's variables; another MADANG_CENTRIFUGO_* name in
// the environment is most likely one of them misspelt (MADANG_CENTRIFUGO_BIN
// is the tests' and the benchmark's binary).
var envVars = []string{"MADANG_CENTRIFUGO_API_URL", "MADANG_CENTRIFUGO_API_KEY", "MADANG_CENTRIFUGO_TOKEN_SECRET",
	"MADANG_CENTRIFUGO_WS_URL", "MADANG_CENTRIFUGO_TOKEN_TTL", "MADANG_CENTRIFUGO_BIN"}

// FromEnv reads the configuration: all of API URL, API key, token secret
// and WebSocket URL, or none of the first four (the tier is off); the URLs
// must be URLs (http(s) for the API, ws(s) for browsers). Until 2026-12-03
// only the API URL's absence was checked: three variables with the API
// URL's name misspelt left the tier silently off, and a URL without its
// scheme started a tier that could not send anything. Another
// MADANG_CENTRIFUGO_* name beside the tier's (a misspelling) is refused.
func FromEnv() (Config, error) {
	c := Config{
		APIURL:      strings.TrimRight(os.Getenv("MADANG_CENTRIFUGO_API_URL"), "/"),
		APIKey:      os.Getenv("MADANG_CENTRIFUGO_API_KEY"),
		TokenSecret: os.Getenv("MADANG_CENTRIFUGO_TOKEN_SECRET"),
		WSURL:       os.Getenv("MADANG_CENTRIFUGO_WS_URL"),
		TokenTTL:    DefaultTokenTTL,
	}
	if ttl := os.Getenv("MADANG_CENTRIFUGO_TOKEN_TTL"); ttl != "" {
		d, err := time.ParseDuration(ttl)
		// tokens carry their expiry in whole seconds: under one second,
		// every token would be dead when issued and the tier never connect
		if err != nil || d < time.Second {
			return Config{}, fmt.Errorf("MADANG_CENTRIFUGO_TOKEN_TTL=%q is not a duration of at least 1s", ttl)
		}
		c.TokenTTL = d
	}
	var set, missing []string
	for _, v := range [][2]string{{"MADANG_CENTRIFUGO_API_URL", c.APIURL}, {"MADANG_CENTRIFUGO_API_KEY", c.APIKey},
		{"MADANG_CENTRIFUGO_TOKEN_SECRET", c.TokenSecret}, {"MADANG_CENTRIFUGO_WS_URL", c.WSURL}} {
		if v[1] == "" {
			missing = append(missing, v[0])
		} else {
			set = append(set, v[0])
		}
	}
	if len(set) == 0 {
		return Config{}, nil
	}
	if len(missing) > 0 {
		err := fmt.Sprintf("%s set, so the Centrifugo tier also needs %s (or unset them all to serve without it)",
			strings.Join(set, ", "), strings.Join(missing, ", "))
		if unknown := unknownEnv(); len(unknown) > 0 {
			err += "; is " + strings.Join(unknown, ", ") + " one of them misspelt?"
		}
		return Config{}, errors.New(err)
	}
	// with the four set, a misspelt MADANG_CENTRIFUGO_TOKEN_TTL left the
	// default TTL without a word until 2026-12-04
	if unknown := unknownEnv(); len(unknown) > 0 {
		return Config{}, fmt.Errorf("%s: not one of the Centrifugo tier's variables (%s); rename it if it is one of them misspelt, or unset it",
			strings.Join(unknown, ", "), strings.Join(envVars[:5], ", "))
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Config{}, errors.New("MADANG_CENTRIFUGO_API_URL is not an http(s) URL with a host: set it to Centrifugo's server API, e.g. http://127.0.0.1:9000/api (its internal port)")
	}
	if u, err := url.Parse(c.WSURL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return Config{}, errors.New("MADANG_CENTRIFUGO_WS_URL is not a ws(s) URL with a host: set it to what browsers connect to, e.g. wss://rt.example.com/connection/websocket")
	}
	return c, nil
}

// unknownEnv lists the MADANG_CENTRIFUGO_* names in the environment that
// are not the tier's (and set: an empty one sets nothing).
func unknownEnv() []string {
	var unknown []string
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "MADANG_CENTRIFUGO_") && !slices.Contains(envVars, name) && value != "" {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	return unknown
}

const configKey = "madang.centrifugo.config"

// ConfigOf returns the tier's configuration in app (zero when off).
func ConfigOf(app core.App) Config {
	c, _ := app.Store().Get(configKey).(Config)
	return c
}

const configErrKey = "madang.centrifugo.configError"

// ConfigError is why the environment's configuration was refused (nil when
// it was not): serve stops on it; the CLI's sign-out and ban, which work
// without the tier, say they could not disconnect it.
func ConfigError(app core.App) error {
	err, _ := app.Store().Get(configErrKey).(error)
	return err
}

// Bind turns the tier on with the environment's configuration (off when
// unset; a half-set or malformed configuration, or a server API that does
// not take the key (Check), stops the server from serving) and adds its
// routes, which answer either way. Call it once, before the app serves,
// after realtime.Bind (internal/madang.Bind does).
func Bind(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		bindRoutes(e)
		return e.Next()
	})
	c, err := FromEnv()
	if err != nil {
		app.Store().Set(configErrKey, err)
		app.OnServe().BindFunc(func(e *core.ServeEvent) error { return err })
		return
	}
	BindConfig(app, c)
	if c.Enabled() {
		app.OnServe().BindFunc(func(e *core.ServeEvent) error {
			if err := Check(c); errors.Is(err, ErrUnreachable) {
				// not up yet, perhaps: the broadcasts' failures say so on
				// stderr until it answers
				fmt.Fprintln(os.Stderr, "Warning: "+err.Error())
				app.Logger().Warn(err.Error())
			} else if err != nil {
				return err
			}
			return e.Next()
		})
	}
}

// BindConfig turns the tier on with c (tests, and Bind); a zero c leaves
// it off. Call it at most once, before the app serves.
func BindConfig(app core.App, c Config) {
	app.Store().Set(configKey, c)
	if !c.Enabled() {
		return
	}
	api := newAPI(app, c)
	realtime.SetTier(app, api)
	followSessionsEndedElsewhere(app, api)
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		api.stop()
		return e.Next()
	})
}

// ConnectOrigin is the origin browsers open the tier's WebSocket to
// ("wss://rt.example.com"), for the web client's Content-Security-Policy
// (connect-src); "" when the tier is off or its URL is not a ws(s) URL.
func ConnectOrigin(app core.App) string {
	c := ConfigOf(app)
	if !c.Enabled() {
		return ""
	}
	u, err := url.Parse(c.WSURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" ||
		strings.ContainsAny(u.Host, " ;,'\"") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
