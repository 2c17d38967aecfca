package hooks

import (
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"madang/internal/centrifugo"
)

// registerWebClientHeaders adds the browser security headers of the web
// client's pages (everything outside /api/ and PocketBase's dashboard at
// /_/, which ships its own inline code). PocketBase already sends
// X-Frame-Options: SAMEORIGIN and X-Content-Type-Options: nosniff.
//
// The policy allows only the client's own files: no inline script or
// style (the client has none; ui.js builds the DOM with text, never
// innerHTML), no eval, and connections to this origin only (the API, its
// SSE, the chat WebSocket).
func registerWebClientHeaders(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "madangWebClientHeaders",
			Priority: apis.DefaultSecurityHeadersMiddlewarePriority + 1,
			Func: func(e *core.RequestEvent) error {
				path := e.Request.URL.Path
				if !strings.HasPrefix(path, "/api/") && path != "/_" && !strings.HasPrefix(path, "/_/") {
					h := e.Response.Header()
					csp := contentSecurityPolicy(e.Request.Host)
					if origin := centrifugo.ConnectOrigin(e.App); origin != "" { // the optional realtime tier's WebSocket
						csp = strings.Replace(csp, "connect-src 'self'", "connect-src 'self' "+origin, 1)
					}
					h.Set("Content-Security-Policy", csp)
					h.Set("Referrer-Policy", "same-origin") // file tokens in URLs never leave the site
					h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()")
				}
				return e.Next()
			},
		})
		return e.Next()
	})
}

// contentSecurityPolicy is the web client's policy for a page served as
// host (a Host header that is not a plain host[:port] gets none of its own).
func contentSecurityPolicy(host string) string {
	sockets := " ws://" + host + " wss://" + host
	if host == "" || strings.ContainsFunc(host, func(r rune) bool {
		return !(r == '.' || r == ':' || r == '-' || r == '[' || r == ']' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'))
	}) {
		sockets = ""
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data: blob:",
		"font-src 'self'",
		"connect-src 'self'" + sockets,
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'self'",
	}, "; ")
}
