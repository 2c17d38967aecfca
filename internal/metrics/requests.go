package metrics

import (
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/prometheus/client_golang/prometheus"
)

// requestTimer times every request by method, route pattern and status
// class. The route is the pattern the router matched
// ("/api/collections/{collection}/records"), never the path: ids in paths
// would make a series per record.
type requestTimer struct {
	seconds *prometheus.HistogramVec
}

func newRequestTimer() *requestTimer {
	return &requestTimer{seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace,
		Name:      "http_request_duration_seconds",
		Help: "Time from a request's arrival to its handler's return, by method, matched route pattern " +
			"and status class (2xx…5xx). Streams (SSE, WebSocket) are not timed.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route", "status"})}
}

// middleware runs first of all (PocketBase's own middlewares included), so
// the time covers auth loading, rate limits and body limits too.
func (t *requestTimer) middleware() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "madangMetrics",
		Priority: math.MinInt32,
		Func: func(e *core.RequestEvent) error {
			start := time.Now()
			err := e.Next()
			status := e.Status()
			if status == 0 && err != nil {
				status = router.ToApiError(err).Status // what the error handler is about to write
			}
			if status == 0 {
				status = http.StatusOK
			}
			if !streaming(e, status) {
				t.seconds.WithLabelValues(methodOf(e.Request), routeOf(e.Request), statusClass(status)).
					Observe(time.Since(start).Seconds())
			}
			return err
		},
	}
}

// streaming tells an SSE or WebSocket connection, whose duration is the
// client's stay rather than the server's latency.
func streaming(e *core.RequestEvent, status int) bool {
	if status == http.StatusSwitchingProtocols {
		return true
	}
	ct, _, _ := mime.ParseMediaType(e.Response.Header().Get("Content-Type"))
	return ct == "text/event-stream"
}

// methodOf keeps the label to the standard methods: the catch-all route
// matches any method a client invents.
func methodOf(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return r.Method
	}
	return "OTHER"
}

// routeOf is the matched pattern without its method ("GET /api/x" → "/api/x").
func routeOf(r *http.Request) string {
	p := r.Pattern
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[i+1:]
	}
	if p == "" {
		return "unmatched"
	}
	return p
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}
