package chat

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/realtime"
)

// Watching returns a test of whether a user has sessionID open right now:
// joined over the WebSocket bridge, or following its typing indicators
// over SSE or the tier (what the web client does for the chat it shows).
// Notifications of new messages skip them. The bridge's side is read once,
// when Watching is called; a test of the SSE side is one lookup in the
// realtime index of followed topics, however many connections the server
// holds.
func Watching(app core.App, sessionID string) func(userID string) bool {
	var joined map[string]bool
	if h, _ := app.Store().Get(hubStoreKey).(*hub); h != nil {
		joined = h.joinedUsers(sessionID)
	}
	follows := realtime.Follower(app, TypingTopic(sessionID))
	return func(userID string) bool {
		return joined[userID] || follows(userID)
	}
}
