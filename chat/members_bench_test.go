package chat_test

import (
	"testing"

	"madang/chat"
	"madang/internal/testapp"
)

// BenchmarkSessionMembers reads a 1,000-member chat's members, as every
// message of it does (its notices).
func BenchmarkSessionMembers(b *testing.B) {
	app := testapp.New(b)
	session, _, _ := benchGroup(b, app, "members", 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, members, err := chat.SessionMembers(app, session); err != nil || len(members) != 1000 {
			b.Fatalf("%d members, %v", len(members), err)
		}
	}
}
