package realtime_test

import (
	"fmt"
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
