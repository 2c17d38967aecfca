package chat

import (
	"errors"
	"net/http"
	"strings"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/access"
)

func (h *hub) routes(r *router.Router[*core.RequestEvent]) {
	r.BindFunc(h.explainRefusedCreate)
	g := r.Group("/api/chat")
	g.POST("/ticket", h.issueTicket).Bind(apis.RequireAuth(access.CollectionNameUsers))
	g.GET("/ws", h.connect).Bind(apis.SkipSuccessActivityLog())
	g.POST("/sessions/{id}/typing", h.typingRequest).Bind(apis.RequireAuth(access.CollectionNameUsers))
	g.POST("/sessions/{id}/read", markRead).Bind(apis.RequireAuth(access.CollectionNameUsers))
	g.POST("/sessions/{id}/leave", leaveSession).Bind(apis.RequireAuth(access.CollectionNameUsers))
	g.GET("/unread", unread).Bind(apis.RequireAuth(access.CollectionNameUsers))
}

// issueTicket answers POST /api/chat/ticket: {"ticket","expires"}.
func (h *hub) issueTicket(e *core.RequestEvent) error {
	ticket, expires, err := h.tickets.issue(e.Auth, TicketTTL)
	if errors.Is(err, errTooManyTickets) {
		return e.TooManyRequestsError(err.Error(), nil)
	}
	if err != nil {
		return e.InternalServerError("Could not issue a chat ticket; try again.", err)
	}
	exp, err := types.ParseDateTime(expires)
	if err != nil {
		return e.InternalServerError("Could not issue a chat ticket; try again.", err)
	}
	return e.JSON(http.StatusOK, map[string]string{"ticket": ticket, "expires": exp.String()})
}

// connect answers GET /api/chat/ws?ticket=…: the ticket is checked before
// the upgrade, so refusals are plain HTTP errors.
func (h *hub) connect(e *core.RequestEvent) error {
	if !strings.EqualFold(e.Request.Header.Get("Upgrade"), "websocket") {
		return e.BadRequestError("This address speaks WebSocket only: open it with new WebSocket(url).", nil)
	}
	raw := e.Request.URL.Query().Get("ticket")
	if raw == "" {
		return e.UnauthorizedError("Add ?ticket=… from POST /api/chat/ticket to open the chat WebSocket.", nil)
	}
	user, err := h.tickets.redeem(e.App, raw)
	if err != nil {
		return e.UnauthorizedError(err.Error(), nil)
	}
	if user.GetBool("banned") {
		return e.UnauthorizedError(access.BanMessage(user), nil)
	}
	if !h.reserve(user.Id) {
		return e.TooManyRequestsError("You have too many chat connections open; close one first.", nil)
	}
	// The ticket, not a cookie, authenticates, so a page from any origin may
	// connect (PocketBase's API is open to any origin the same way).
	w := &batchingWriter{ResponseWriter: e.Response, timeout: h.writeTimeout}
	ws, err := websocket.Accept(w, e.Request, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		h.release(user.Id)
		return nil // Accept has answered the client
	}
	ws.SetReadLimit(maxFrameBytes)
	c := newConn(h, ws, w.conn, user, e.Request)
	h.register(c)
	// The connection lives on in goroutines of its own: the handler's
	// goroutine sits below PocketBase's whole middleware chain, and kept
	// that deep stack for the connection's life (the hijacked socket does
	// not need the handler).
	go c.run()
	return nil
}
