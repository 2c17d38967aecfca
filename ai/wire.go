package ai

// The AI routes' request and answer types, named for internal/tstypes,
// which derives the web client's TypeScript definitions from them by
// reflection (so a field added here reaches the client's types).
type (
	InferBody     = inferBody
	StatsResponse = aiStats
)
