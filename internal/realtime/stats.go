package realtime

import (
	"sync/atomic"

	"github.com/pocketbase/pocketbase/core"
)

// Stats is one app's SSE delivery, for the operator's metrics
// (internal/metrics reads it at every scrape).
type Stats struct {
	Connections int // SSE clients connected now
	// Clients disconnected since the start for being too slow, by which
	// limit noticed first: QueueSize events waiting, or one event's write
	// blocked for WriteTimeout. Each client counts once.
	SlowQueueFull, SlowWriteTimeout uint64
}

// counters are the app's running totals; clients add to them.
type counters struct {
	queueFull, writeTimeout atomic.Uint64
}

const countersKey = "madang.realtime.counters"

func countersOf(app core.App) *counters {
	c, _ := app.Store().GetOrSet(countersKey, func() any { return &counters{} }).(*counters)
	return c
}

// StatsOf returns app's SSE delivery now.
func StatsOf(app core.App) Stats {
	c := countersOf(app)
	return Stats{
		Connections:      app.SubscriptionsBroker().TotalClients(),
		SlowQueueFull:    c.queueFull.Load(),
		SlowWriteTimeout: c.writeTimeout.Load(),
	}
}

// countSlow adds c to counter unless it was counted already: a full queue
// aborts the write in progress, which then fails on its deadline too.
func (c *client) countSlow(counter *atomic.Uint64) {
	if c.slow.CompareAndSwap(false, true) {
		counter.Add(1)
	}
}
