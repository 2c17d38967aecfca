package community

// QueueItem is one target of GET /api/reports/queue, named for
// internal/tstypes, which derives the web client's TypeScript definitions
// from it by reflection.
type QueueItem = queueItem
