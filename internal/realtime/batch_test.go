package realtime

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// countingClient counts the messages sent to it.
type countingClient struct {
	subscriptions.Client
	got []string
}

func (c *countingClient) Send(m subscriptions.Message) { c.got = append(c.got, string(m.Data)) }

// preparedIn is a Prepared of one message to each of clients in batch b,
// as Prepare makes it.
func preparedIn(b *batch, clients ...*countingClient) Prepared {
	for _, c := range clients {
		b.msgs = append(b.msgs, outgoing{client: c, msg: subscriptions.Message{Name: "chats/*", Data: []byte("m")}})
	}
	return Prepared{sse: b, gen: b.take()}
}

func preparedFor(clients ...*countingClient) Prepared {
	return preparedIn(batches.Get().(*batch), clients...)
}

// A Prepared's list goes back to the pool once it is sent or discarded, so
// only its first Send or Discard may use it: a copy sent again sends
// nothing, even once its batch holds another event's messages, and a
// discarded one never sends.
func TestAPreparedSendsOnce(t *testing.T) {
	a, b := &countingClient{Client: subscriptions.NewDefaultClient()}, &countingClient{Client: subscriptions.NewDefaultClient()}
	p := preparedFor(a, b)
	copied := p
	p.Send()
	next := &countingClient{Client: subscriptions.NewDefaultClient()}
	reused := preparedIn(p.sse, next) // the pool handed the batch to the next event
	copied.Send()
	p.Discard()
	if len(a.got) != 1 || len(b.got) != 1 {
		t.Fatalf("sent twice: a got %d, b got %d; want 1 each", len(a.got), len(b.got))
	}
	if len(next.got) != 0 {
		t.Fatalf("a stale copy sent the next event's %d messages", len(next.got))
	}
	reused.Send()
	if len(next.got) != 1 {
		t.Fatalf("the next event sent %d messages, want 1", len(next.got))
	}

	c := &countingClient{Client: subscriptions.NewDefaultClient()}
	d := preparedFor(c)
	d.Discard()
	d.Send()
	if len(c.got) != 0 {
		t.Fatalf("a discarded Prepared sent %d messages", len(c.got))
	}

	var none Prepared // nothing prepared: Send and Discard do nothing
	none.Discard()
	none.Send()
}

// A released batch keeps no client or request alive in the pool.
func TestAReleasedBatchHoldsNothing(t *testing.T) {
	a := &countingClient{Client: subscriptions.NewDefaultClient()}
	p := preparedFor(a)
	b := p.sse
	b.infos = append(b.infos, make([]core.RequestInfo, infoSlab))
	b.infos[0][0].Auth = core.NewRecord(core.NewAuthCollection("users"))
	r := requests{b: b}
	r.keep()
	r.done(b.msgs)
	p.Send()
	if len(b.msgs) != 0 || cap(b.msgs) == 0 {
		t.Fatalf("released list: len %d cap %d, want empty with its room kept", len(b.msgs), cap(b.msgs))
	}
	if b.msgs[:1][0].client != nil {
		t.Fatal("the released list still holds its client")
	}
	if b.infos[0][0].Auth != nil {
		t.Fatal("the released batch still holds a request's auth record")
	}
}
