package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"madang/internal/access"
)

// refusal is why the server did not do what a WebSocket client asked, in
// words for the user.
type refusal struct {
	message     string
	status      int  // for HTTP answers; 0 means 400
	endsSession bool // the user's auth is dead (ban, new token key): the connection closes
}

func (r *refusal) Error() string { return r.message }

func errNoSession(sessionID string) error {
	return &refusal{message: "Chat " + sessionID + " does not exist or you are not one of its participants.", status: http.StatusNotFound}
}

func errClosed(sessionID string) error {
	return &refusal{message: "Chat " + sessionID + " is closed: it is read-only."}
}

// apiError answers an HTTP request with a refusal's status and message.
func apiError(err error) error {
	var r *refusal
	if !errors.As(err, &r) {
		return err
	}
	status := r.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	return router.NewApiError(status, r.message, nil)
}

// serve registers the chat routes, then keeps the app's finished router for
// createMessage.
func (h *hub) serve(e *core.ServeEvent) error {
	h.routes(e.Router)
	if err := e.Next(); err != nil {
		return err
	}
	var handler http.Handler
	if e.Server != nil && e.Server.Handler != nil {
		handler = e.Server.Handler
	} else { // test servers build their own mux
		mux, err := e.Router.BuildMux()
		if err != nil {
			return fmt.Errorf("building the chat message dispatcher: %w", err)
		}
		handler = mux
	}
	h.handler.Store(&handler)
	return nil
}

// createMessage saves a message sent over WebSocket by dispatching
// POST /api/collections/chats/records, as the user, through the app's own
// router. The message so meets everything an SDK create meets: the
// middlewares (the ban and dead-token check, rate limits, body limit,
// request log), the chats CreateRule, the request hooks (server-set author,
// visible by default) and the model hooks (last_message_at, delivery to SSE
// and WebSocket clients). Checking CreateRule with app.CanAccessRecord in a
// transaction would have skipped the middlewares and request hooks, and any
// added later; this costs one in-memory HTTP round trip per message instead.
func (h *hub) createMessage(c *conn, sessionID, content string) error {
	handler := h.handler.Load()
	if handler == nil {
		return &refusal{message: "The chat server is still starting; send the message again in a moment."}
	}
	user, err := h.app.FindRecordById(access.CollectionNameUsers, c.userID)
	if err != nil {
		return &refusal{message: "Your account no longer exists.", endsSession: true}
	}
	token, err := user.NewAuthToken()
	if err != nil {
		return fmt.Errorf("signing a token for user %s: %w", user.Id, err)
	}
	body, err := json.Marshal(map[string]string{"session": sessionID, "content": content})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/api/collections/"+Messages+"/records", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Host = c.host
	req.RemoteAddr = c.remoteAddr
	for name, values := range c.proxyHeaders {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)

	res := &responseBuffer{header: http.Header{}}
	(*handler).ServeHTTP(res, req)
	if res.status >= 200 && res.status < 300 {
		return nil
	}
	return h.explainRefusedMessage(res, sessionID, user)
}

// explainRefusedMessage turns a refused create into a sentence. A failed
// rule says only "Failed to create record.": the session tells why.
func (h *hub) explainRefusedMessage(res *responseBuffer, sessionID string, user *core.Record) error {
	var apiErr struct {
		Message string `json:"message"`
		Data    map[string]struct {
			Message string `json:"message"`
		} `json:"data"`
	}
	_ = json.Unmarshal(res.body.Bytes(), &apiErr)
	switch {
	case res.status == http.StatusUnauthorized:
		return &refusal{message: apiErr.Message, endsSession: true}
	case res.status == http.StatusTooManyRequests:
		return &refusal{message: "Too many requests; wait a moment and send the message again."}
	case res.status == http.StatusBadRequest && len(apiErr.Data) > 0:
		fields := make([]string, 0, len(apiErr.Data))
		for name, e := range apiErr.Data {
			fields = append(fields, name+": "+e.Message)
		}
		slices.Sort(fields)
		return &refusal{message: "The message was not sent. " + strings.Join(fields, " ")}
	case res.status == http.StatusBadRequest || res.status == http.StatusForbidden || res.status == http.StatusNotFound:
		return h.whyRuleRefused(sessionID, user)
	}
	return &refusal{message: fmt.Sprintf("The message could not be sent (%d %s); try again.", res.status, apiErr.Message)}
}

// whyRuleRefused says why the chats CreateRule refused user's message to
// the session: a session they cannot read (never whether it exists), a
// closed one, or else that they may not write there.
func (h *hub) whyRuleRefused(sessionID string, user *core.Record) error {
	if !h.mayRead(sessionID, user) {
		return errNoSession(sessionID)
	}
	if session, err := h.app.FindRecordById(Sessions, sessionID); err == nil && session.GetBool("is_closed") {
		return errClosed(sessionID)
	}
	return &refusal{message: "You cannot write in chat " + sessionID + "."}
}

// explainRefusedCreate gives an SDK's POST /api/collections/chats/records
// the sentence a WebSocket send gets (whyRuleRefused) when the CreateRule
// refused it: PocketBase checks the rule before any record hook runs and
// answers 400 "Failed to create record." naming nothing. The status stays
// 400. Until 2026-12-04 a message to a closed chat got that bare answer.
func (h *hub) explainRefusedCreate(e *core.RequestEvent) error {
	err := e.Next()
	if err == nil || e.Request.Method != http.MethodPost || e.Auth == nil ||
		(e.Request.URL.Path != "/api/collections/"+Messages+"/records" && e.Request.URL.Path != "/api/collections/"+messagesCollectionID(e.App)+"/records") {
		return err
	}
	var apiErr *router.ApiError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || len(apiErr.Data) > 0 {
		return err // a field's problem is named already
	}
	info, infoErr := e.RequestInfo()
	if infoErr != nil {
		return err
	}
	sessionID, _ := info.Body["session"].(string)
	if sessionID == "" {
		return err
	}
	var why *refusal
	if errors.As(h.whyRuleRefused(sessionID, e.Auth), &why) {
		return router.NewBadRequestError(why.message, nil)
	}
	return err
}

// messagesCollectionID is the chats collection's id ("" if it is missing):
// the SDK may name a collection by either.
func messagesCollectionID(app core.App) string {
	c, err := app.FindCachedCollectionByNameOrId(Messages)
	if err != nil {
		return ""
	}
	return c.Id
}

// responseBuffer records a dispatched response.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseBuffer) Header() http.Header { return w.header }

func (w *responseBuffer) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseBuffer) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}
