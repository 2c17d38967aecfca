package chat

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/realtime"
)

// Watching tells, for each of userIDs, whether they have sessionID open
// right now: joined over the WebSocket bridge, or following its typing
// indicators over SSE or the tier (what the web client does for the chat
// it shows). Notifications of new messages skip them. Each side is asked
// once for all of userIDs, however many connections the server holds.
func Watching(app core.App, sessionID string, userIDs []string) []bool {
	watching := realtime.Following(app, TypingTopic(sessionID), userIDs)
	if h, _ := app.Store().Get(hubStoreKey).(*hub); h != nil {
		if joined := h.joinedUsers(sessionID); len(joined) > 0 {
			for i, id := range userIDs {
				watching[i] = watching[i] || joined[id]
			}
		}
	}
	return watching
}
