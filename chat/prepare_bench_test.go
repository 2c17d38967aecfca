package chat_test

import (
	"fmt"
	"testing"
	"time"

	"madang/chat"
	"madang/internal/testapp"
)

// BenchmarkPrepareMessage is the deciding of one chat message's SSE events
// for prepareReaders members who follow what the web client's chat view
// follows (the bench's chatViewTopics: their account, notifications, chats,
// chat sessions, the chat's presence and typing), without sending them:
// the per-reader work a message's request does after its commit, apart
// from the network. ns/op is one message; ns/reader one reader's share.
// Measured 2026-12-06 (2 cores, -benchtime 2000x -benchmem, alternating
// builds): 975–990 ns a reader, 168 KB and 2,390 allocations a message
// when each subscriber's request was allocated and the prepared list
// copied; 565–607 ns, 7 KB and 122 allocations since (realtime's batches).
// Run it with: go test ./chat/ -run '^$' -bench PrepareMessage -benchmem
func BenchmarkPrepareMessage(b *testing.B) {
	const prepareReaders = 1000
	app := testapp.New(b)
	base := testapp.Serve(b, app)
	session, ids, tokens := benchGroup(b, app, "reader", prepareReaders)
	readers := make([]*testapp.SSE, len(tokens))
	for i, token := range tokens {
		readers[i] = testapp.OpenSSE(b, base, token, "users/"+ids[i], "notifications/*", "chats/*",
			"chat_sessions/*", "chat_presence/"+session, "chat_typing/"+session)
	}
	message := saveMessage(b, app, "", session, ids[0], "prepare 0", true)
	drain(b, readers, message.Id) // every reader got the stored message: the answers are warm

	b.ResetTimer()
	for b.Loop() {
		chat.PrepareMessageEvents(app, message)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/prepareReaders, "ns/reader")
}

// drain waits until every reader received the chats event of message id.
func drain(b *testing.B, readers []*testapp.SSE, id string) {
	b.Helper()
	for i, r := range readers {
		timeout := time.After(30 * time.Second)
		for got := false; !got; {
			select {
			case ev, ok := <-r.Events:
				if !ok {
					b.Fatalf("reader %d: stream ended", i)
				}
				got = ev.Topic() == "chats/*" && ev.Record()["id"] == id
			case <-timeout:
				b.Fatal(fmt.Sprintf("reader %d never got message %s", i, id))
			}
		}
	}
}
