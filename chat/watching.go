package chat

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/realtime"
)

// Watching tells whether userID has sessionID open right now: joined over
// the WebSocket bridge, or following its typing indicators over SSE (what
// the web client does for the chat it shows). Notifications of new
// messages skip who is watching.
func Watching(app core.App, sessionID, userID string) bool {
	if h, ok := app.Store().Get(hubStoreKey).(*hub); ok {
		for _, c := range h.roomConns(sessionID) {
			if c.userID == userID {
				return true
			}
		}
	}
	return realtime.Watching(app, userID, TypingTopic(sessionID))
}
