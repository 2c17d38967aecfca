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
	"net/http"
	"os"
	"strings"

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

	token := strings.TrimSpace(os.Getenv(TokenEnv))
	serve := metricsHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.Bind(requests.middleware())
		e.Router.GET(Route, serve).Bind(scraperAuth(token))
		return e.Next()
	})
}

const namespace = "madang"

const scraperKey = "madangMetricsScraper"

// scraperAuth recognises the scrape token before PocketBase reads the
// Authorization header as an auth token (and hooks/bans.go refuses it as
// a dead session): it marks the request and takes the header away.
func scraperAuth(token string) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "madangMetricsToken",
		Priority: apis.DefaultLoadAuthTokenMiddlewarePriority - 1,
		Func: func(e *core.RequestEvent) error {
			if bearerIs(e.Request, token) {
				e.Request.Header.Del("Authorization")
				e.Set(scraperKey, true)
			}
			return e.Next()
		},
	}
}

// metricsHandler lets superusers and the scraper through to h.
func metricsHandler(h http.Handler) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		if scraper, _ := e.Get(scraperKey).(bool); !scraper && !e.HasSuperuserAuth() {
			if e.Auth != nil {
				return e.ForbiddenError("Only superusers and the metrics scraper may read the metrics.", nil)
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
