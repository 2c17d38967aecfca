package chat

// The WebSocket bridge's frames, named for internal/tstypes, which derives
// the web client's TypeScript definitions from them by reflection.
type (
	ClientFrame = clientFrame
	ServerFrame = serverFrame
)
