package realtime

import (
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// A Latest event drops the one of its subscription and record still
// waiting and goes last; other records' and other subscriptions' events,
// and ordinary ones, stay where they were.
func TestSendLatestKeepsOrder(t *testing.T) {
	c := newClient(subscriptions.NewDefaultClient(), &counters{}, func() {})
	msg := func(name, data string) subscriptions.Message {
		return subscriptions.Message{Name: name, Data: []byte(data)}
	}
	c.sendLatest(msg("ai_logs/a", "a1"), "logs/a")
	c.Send(msg("ai_logs/a", "running"))
	c.sendLatest(msg("ai_logs/*", "a1 on *"), "logs/a")
	c.sendLatest(msg("ai_logs/b", "b1"), "logs/b")
	c.sendLatest(msg("ai_logs/a", "a2"), "logs/a")
	c.sendLatest(msg("ai_logs/b", "b2"), "logs/b")
	c.sendLatest(msg("ai_logs/a", "a3"), "logs/a")
	want := []string{"running", "a1 on *", "b2", "a3"}
	if got := datas(c.pending); !slices.Equal(got, want) {
		t.Fatalf("waiting %q, want %q", got, want)
	}

	// what serve took is being written: a Latest event after it is new
	batch, _ := c.take()
	c.sendLatest(msg("ai_logs/a", "a4"), "logs/a")
	c.sendLatest(msg("ai_logs/a", "a5"), "logs/a")
	if got := datas(batch); !slices.Equal(got, want) {
		t.Fatalf("taken %q, want %q", got, want)
	}
	if got := datas(c.pending); !slices.Equal(got, []string{"a5"}) {
		t.Fatalf("waiting after take %q, want [a5]", got)
	}
}

func datas(msgs []subscriptions.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, string(m.Data))
	}
	return out
}
