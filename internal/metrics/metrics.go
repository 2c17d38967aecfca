// Package metrics serves Madang's Prometheus metrics at GET /api/metrics:
// request latency by route, SSE and WebSocket connections, the AI queues,
// the view buffer and SQLite write latency, every name prefixed madang_
// (the README's "Metrics" lists them). Each app has its own registry, so
// test apps in one process do not share counts.
//
// Only a superuser, or whoever holds the operator's MADANG_METRICS_TOKEN
// (as "Authorization: Bearer <token>", for a Prometheus scraper), reads
// them: route names, queue depths and connection counts say how the
// community is used.
package metrics

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Route is where the metrics are served.
const Route = "/api/metrics"

// TokenEnv names the environment variable holding the scrape token; unset
// or empty, only superusers read the metrics.
const TokenEnv = "MADANG_METRICS_TOKEN"

// MinTokenLength is the shortest scrape token serve accepts: the token is
// compared as it is, so a short one can be guessed.
const MinTokenLength = 16

// Bind registers app's metrics and, on serve, the route and the request
// timing middleware. internal/madang.Bind calls it.
func Bind(app core.App) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newStateCollector(app))
	prefixed := prometheus.WrapRegistererWithPrefix(namespace+"_", reg)
	prefixed.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	requests := newRequestTimer()
	reg.MustRegister(requests.seconds)
	writes := newWriteTimer()
	reg.MustRegister(writes.seconds)
	writes.bind(app)

	// a token of spaces only is a short one, not none: until 2026-12-04
	// it was trimmed to nothing, and serve started with no scrape token
	set := os.Getenv(TokenEnv) != ""
	token := strings.TrimSpace(os.Getenv(TokenEnv))
	serve := metricsHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if set && utf8.RuneCountInString(token) < MinTokenLength {
			return fmt.Errorf("%s is shorter than %d characters (spaces around it do not count); set a long random one (e.g. openssl rand -hex 32) or unset it", TokenEnv, MinTokenLength)
		}
		e.Router.Bind(requests.middleware())
		e.Router.GET(Route, serve).Bind(scraperAuth(token))
		return e.Next()
	})
}

const namespace = "madang"

const (
	scraperKey    = "madangMetricsScraper"
	wrongTokenKey = "madangMetricsWrongToken"
)

// scraperAuth recognises the scrape token before PocketBase reads the
// Authorization header as an auth token (and hooks/bans.go refuses it as
// a dead session): it marks the request and takes the header away. A
// header that is neither the scrape token nor a valid auth token is taken
// away and marked too, so metricsHandler names the scrape token (a wrong
// scraper token used to be answered "Your session has ended"), and the
// request meets the rate limits as a guest's.
func scraperAuth(token string) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "madangMetricsToken",
		Priority: apis.DefaultLoadAuthTokenMiddlewarePriority - 1,
		Func: func(e *core.RequestEvent) error {
			switch {
			case bearerIs(e.Request, token):
				e.Request.Header.Del("Authorization")
				e.Set(scraperKey, true)
			case e.Request.Header.Get("Authorization") != "" && !isAuthToken(e):
				e.Request.Header.Del("Authorization")
				e.Set(wrongTokenKey, true)
			}
			return e.Next()
		},
	}
}

// isAuthToken tells whether r's Authorization header holds a valid auth
// token, read as PocketBase's auth middleware reads it ("Bearer " optional).
func isAuthToken(e *core.RequestEvent) bool {
	header := e.Request.Header.Get("Authorization")
	if len(header) > 7 && strings.EqualFold(header[:7], "Bearer ") {
		header = header[7:]
	}
	_, err := e.App.FindAuthRecordByToken(header, core.TokenTypeAuth)
	return err == nil
}

// metricsHandler lets superusers and the scraper through to h.
func metricsHandler(h http.Handler) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		if scraper, _ := e.Get(scraperKey).(bool); !scraper && !e.HasSuperuserAuth() {
			if e.Auth != nil {
				return e.ForbiddenError("Only superusers and the metrics scraper may read the metrics.", nil)
			}
			if wrong, _ := e.Get(wrongTokenKey).(bool); wrong {
				return e.UnauthorizedError("The token is neither the metrics token ("+TokenEnv+
					") nor a superuser's auth token; send \"Authorization: Bearer <"+TokenEnv+">\".", nil)
			}
			return e.UnauthorizedError("Sign in as a superuser, or send the metrics token ("+TokenEnv+
				") as \"Authorization: Bearer <token>\".", nil)
		}
		h.ServeHTTP(e.Response, e.Request)
		return nil
	}
}

// bearerIs tells whether r carries "Authorization: Bearer token"; never
// for an empty token.
func bearerIs(r *http.Request, token string) bool {
	if token == "" {
		return false
	}
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}
