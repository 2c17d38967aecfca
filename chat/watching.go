package chat

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/realtime"
)

// Watching returns who has sessionID open right now: joined over the
// WebSocket bridge, or following its typing indicators over SSE (what the
// web client does for the chat it shows). Notifications of new messages
// skip them. One pass over the connections, whatever the members.
func Watching(app core.App, sessionID string) map[string]bool {
	watching := map[string]bool{}
	if h, ok := app.Store().Get(hubStoreKey).(*hub); ok {
		for _, c := range h.roomConns(sessionID) {
			watching[c.userID] = true
		}
	}
	for _, id := range realtime.Followers(app, TypingTopic(sessionID)) {
		watching[id] = true
	}
	return watching
}
