package realtime_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"madang/internal/testapp"
)

// TestARecordsEventsArriveInTheOrderOfItsSaves: a record saved many times
// in a row reaches an SSE subscriber once per save, in the order of the
// saves, on its own topic and on its collection's. Until 2026-12-04
// PocketBase's broadcast sent every message from a goroutine of its own
// (routine.FireAndForget), so saves close together could arrive swapped: a
// reader was left with an older state than the stored one (an AI job shown
// running after its success event), and a test's sentinel could overtake
// the event it was meant to follow.
func TestARecordsEventsArriveInTheOrderOfItsSaves(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	board := testapp.ID(testapp.BoardPublic)
	sse := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "boards/"+board, "boards/*")
	record, err := app.FindRecordById("boards", board)
	if err != nil {
		t.Fatal(err)
	}
	const saves = 300
	for i := range saves {
		record.Set("information", fmt.Sprintf("save %03d", i))
		if err := app.Save(record); err != nil {
			t.Fatal(err)
		}
	}
	next := map[string]int{"boards/" + board: 0, "boards/*": 0}
	for got := 0; got < 2*saves; got++ {
		ev, ok := sse.Next(10 * time.Second)
		if !ok {
			t.Fatalf("%d of %d events arrived: %v", got, 2*saves, next)
		}
		want := fmt.Sprintf("save %03d", next[ev.Name])
		if info := ev.Record()["information"]; info != want {
			t.Fatalf("event %d on %s shows %q, want %q: the saves arrived out of order", got, ev.Name, info, want)
		}
		next[ev.Name]++
	}
}

// TestConcurrentSavesLeaveReadersOnTheStoredState: when many requests save
// one record at once, the last event a subscriber gets shows the state
// stored. (Their updated times need not rise with the commits: each is
// taken before its write waits for SQLite's lock.) Until
// 2026-12-04 each save's event went out from its own request in any
// order: 30 simultaneous edits of one post left readers on an older state
// in 4 runs of 5 (probe p22).
func TestConcurrentSavesLeaveReadersOnTheStoredState(t *testing.T) {
	app := testapp.NewWithContent(t)
	base := testapp.Serve(t, app)
	post := testapp.VisiblePost(testapp.BoardPublic)
	sse := testapp.OpenSSE(t, base, testapp.Token(testapp.Alice), "posts/"+post, testapp.SentinelTopic)
	for round := range 5 {
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Go(func() {
				r := testapp.Call(t, http.MethodPatch, base+"/api/collections/posts/records/"+post, testapp.Token(testapp.Gina),
					map[string]any{"content": fmt.Sprintf("round %d, edit %02d", round, i)})
				if r.Status != http.StatusOK {
					t.Errorf("edit %d: %d %s", i, r.Status, r.Raw)
				}
			})
		}
		wg.Wait()
		var last map[string]any
		for _, ev := range sse.Before(t, testapp.Sentinel(t, app)) {
			if ev.Topic() == "posts/"+post { // not the board's own events
				last = ev.Record()
			}
		}
		stored, err := app.FindRecordById("posts", post)
		if err != nil {
			t.Fatal(err)
		}
		// two saves stamped in the same millisecond cannot be told apart
		// (sendInOrder): the last event is the stored save or its twin
		if want := stored.GetDateTime("updated").String(); last == nil || last["updated"] != want {
			t.Errorf("round %d: readers were left on %v (updated %v), the stored state is %q (updated %s)",
				round, last["content"], last["updated"], stored.GetString("content"), want)
		}
	}
}
