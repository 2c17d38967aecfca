package testapp

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// DialChat opens a chat WebSocket bridge connection with token (a fresh
// ticket), for the rest of the test.
func DialChat(t testing.TB, base, token string) *websocket.Conn {
	t.Helper()
	r := Call(t, http.MethodPost, base+"/api/chat/ticket", token, nil)
	ticket, _ := r.Body["ticket"].(string)
	if r.Status != http.StatusOK || ticket == "" {
		t.Fatalf("a chat ticket: %d %s", r.Status, r.Raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/chat/ws?ticket="+url.QueryEscape(ticket), nil)
	if err != nil {
		t.Fatalf("dialing the chat WebSocket: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}
