package realtime_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/realtime"
	"madang/internal/testapp"
)

// sentTier records what the tier is handed.
type sentTier struct {
	mu   sync.Mutex
	sent map[string][]string // payload → users
	n    int                 // Sends
}

func (s *sentTier) Send(users []string, _ string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent[string(data)] = append(s.sent[string(data)], users...)
	s.n++
}
func (s *sentTier) Followers(...string) []string { return nil }
func (s *sentTier) Disconnect(...string) error   { return nil }

// TestPublishSendsEachPayloadOnceToTheTier: Publish's payload is decided
// per reader; the tier gets one Send per distinct payload, naming its
// readers, and none for the readers who get nothing.
func TestPublishSendsEachPayloadOnceToTheTier(t *testing.T) {
	app := testapp.New(t)
	alice, bob, gina, adam := testapp.ID(testapp.Alice), testapp.ID(testapp.Bob), testapp.ID(testapp.Gina), testapp.ID(testapp.Adam)
	session := testapp.SaveRecord(t, app, "chat_sessions", map[string]any{"name": "four", "kind": "group", "owner": alice, "members": []string{bob, gina, adam}})
	tier := &sentTier{sent: map[string][]string{}}
	realtime.SetTier(app, tier)

	common, own := []byte("common"), []byte("bob's own")
	realtime.Publish(app, "chat_typing/"+session.Id, func(auth *core.Record) []byte {
		switch auth.Id {
		case bob:
			return own
		case gina:
			return nil
		}
		return common
	})
	// the candidates: the session's members and the admins (ada)
	ada := testapp.ID(testapp.Ada)
	for data, want := range map[string][]string{"common": {ada, adam, alice}, "bob's own": {bob}} {
		got := slices.Sorted(slices.Values(tier.sent[data]))
		if !slices.Equal(got, want) {
			t.Errorf("%q went to %v, want %v", data, got, want)
		}
	}
	if tier.n != 2 || len(tier.sent) != 2 {
		t.Errorf("the tier got %d sends of %d payloads, want 2 of 2: %v", tier.n, len(tier.sent), tier.sent)
	}
}
