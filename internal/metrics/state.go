package metrics

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/prometheus/client_golang/prometheus"

	"madang/ai"
	"madang/chat"
	"madang/hooks"
	"madang/internal/realtime"
	"madang/internal/sqlite"
)

// stateCollector reads, at each scrape, what the other packages count
// themselves (internal/realtime's Stats, chat's connections, ai's Load,
// hooks' view buffer, internal/sqlite's checkpoints, database/sql's pools), so they need no Prometheus of their own and
// /api/ai/stats shows the same queue figures.
type stateCollector struct {
	app core.App

	sse, sseSlow, ws              *prometheus.Desc
	aiQueue, aiFinished           *prometheus.Desc
	viewsPending, viewsRemembered *prometheus.Desc
	checkpoints, checkpointTime   *prometheus.Desc
	walFrames                     *prometheus.Desc
	conns, connsClosed            *prometheus.Desc
}

func newStateCollector(app core.App) *stateCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
	}
	return &stateCollector{
		app: app,
		sse: desc("realtime_connections", "SSE (realtime) clients connected now."),
		sseSlow: desc("realtime_slow_clients_total",
			"SSE clients disconnected for reading too slowly, by the limit that noticed: queue_full (128 events waiting) "+
				"or write_timeout (one event's write blocked 10 s).", "reason"),
		ws: desc("chat_ws_connections", "Chat WebSocket bridge connections open now."),
		aiQueue: desc("ai_queue_tasks", "AI tasks in the in-process queues now, by queue (jobs, training) and state (waiting, running).",
			"queue", "state"),
		aiFinished: desc("ai_jobs_finished_total",
			"AI jobs that reached a final state since the start, by that state (succeeded, failed, canceled).", "status"),
		viewsPending: desc("views_pending", "Post views counted in memory, not yet added to posts.views_count (flushed every second)."),
		viewsRemembered: desc("views_remembered",
			"(post, viewer) pairs remembered so a viewer counts once per post per 24 hours (bounded at 1,000,000)."),
		checkpoints: desc("sqlite_checkpoints_total",
			"Background checkpoints of a SQLite database's write-ahead log (run once 1,000 pages of it wait to be copied), by database (data, auxiliary).", "db"),
		checkpointTime: desc("sqlite_checkpoint_seconds_total", "Time spent in those checkpoints, by database.", "db"),
		walFrames: desc("sqlite_wal_frames",
			"Pages in a database's write-ahead log at the checkpointer's last look (every 100 ms), by database.", "db"),
		conns: desc("sqlite_connections",
			"Read connections of a database's pool now, by database and state (in_use, idle).", "db", "state"),
		connsClosed: desc("sqlite_connections_closed_total",
			"Read connections the pool closed since the start, by database and reason: max_idle (handed back to a full "+
				"idle pool: the next query opens a new one) or max_idle_time (unused that long).", "db", "reason"),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sse, c.sseSlow, c.ws, c.aiQueue, c.aiFinished, c.viewsPending, c.viewsRemembered,
		c.checkpoints, c.checkpointTime, c.walFrames, c.conns, c.connsClosed} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	rt := realtime.StatsOf(c.app)
	gauge(c.sse, rt.Connections)
	ch <- prometheus.MustNewConstMetric(c.sseSlow, prometheus.CounterValue, float64(rt.SlowQueueFull), "queue_full")
	ch <- prometheus.MustNewConstMetric(c.sseSlow, prometheus.CounterValue, float64(rt.SlowWriteTimeout), "write_timeout")
	gauge(c.ws, chat.Connections(c.app))

	if load, ok := ai.LoadOf(c.app); ok {
		gauge(c.aiQueue, load.JobsWaiting, "jobs", "waiting")
		gauge(c.aiQueue, load.JobsRunning, "jobs", "running")
		gauge(c.aiQueue, load.TrainingWaiting, "training", "waiting")
		gauge(c.aiQueue, load.TrainingRunning, "training", "running")
		for status, n := range load.Finished {
			ch <- prometheus.MustNewConstMetric(c.aiFinished, prometheus.CounterValue, float64(n), status)
		}
	}

	pending, remembered := hooks.ViewBuffer(c.app)
	gauge(c.viewsPending, pending)
	gauge(c.viewsRemembered, remembered)

	data, aux := sqlite.Checkpoints(c.app)
	for db, st := range map[string]sqlite.CheckpointStats{"data": data, "auxiliary": aux} {
		ch <- prometheus.MustNewConstMetric(c.checkpoints, prometheus.CounterValue, float64(st.Runs), db)
		ch <- prometheus.MustNewConstMetric(c.checkpointTime, prometheus.CounterValue, st.Time.Seconds(), db)
		ch <- prometheus.MustNewConstMetric(c.walFrames, prometheus.GaugeValue, float64(st.Log), db)
	}
	for db, pool := range map[string]dbx.Builder{"data": c.app.ConcurrentDB(), "auxiliary": c.app.AuxConcurrentDB()} {
		d, ok := pool.(*dbx.DB)
		if !ok {
			continue
		}
		st := d.DB().Stats()
		gauge(c.conns, st.InUse, db, "in_use")
		gauge(c.conns, st.Idle, db, "idle")
		ch <- prometheus.MustNewConstMetric(c.connsClosed, prometheus.CounterValue, float64(st.MaxIdleClosed), db, "max_idle")
		ch <- prometheus.MustNewConstMetric(c.connsClosed, prometheus.CounterValue, float64(st.MaxIdleTimeClosed), db, "max_idle_time")
	}
}
