package chat

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/realtime"
)

// Watching returns a test of whether a user has sessionID open right now:
// joined over the WebSocket bridge, or following its typing indicators
// over SSE or the tier (what the web client does for the chat it shows).
// Notifications of new messages skip them. A test looks at the user's own
// connections only, however many the server holds.
func Watching(app core.App, sessionID string) func(userID string) bool {
	h, _ := app.Store().Get(hubStoreKey).(*hub)
	follows := realtime.Follower(app, TypingTopic(sessionID))
	return func(userID string) bool {
		return h != nil && h.inRoom(sessionID, userID) || follows(userID)
	}
}
