package centrifugo

import (
	"slices"
	"sync"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/realtime"
)

// minted remembers, for each user who was given connection tokens by this
// process, the session tags those tokens carry (the last maxTagsPerUser
// distinct ones). A password change or sign-out everywhere saved here
// disconnects the user at once (realtime.CloseUser); one saved by another
// process (the CLI) is seen by realtime's watch of users saved elsewhere,
// which has no old token key to compare with for tier users: these are
// they. When one of them is no longer the user's, every connection of the
// user is made to connect again (api.Recheck), and the subscribe proxy
// closes those of the ended session. Until 2026-12-07 such a change
// closed the user's SSE connections but left their tier connections
// delivering until their tokens ran out; the first fix kept only the last
// tag, and a sign-in within the watch's second after the CLI's sign-out
// hid the change (a helper's probe: 6 of 6 messages delivered).
//
// A restart forgets the tags: a CLI sign-out without the tier's
// variables, after a restart of Madang but not of Centrifugo, reaches the
// tier connections opened before the restart only when their tokens
// expire (README, Scaling).
type minted struct {
	mu   sync.Mutex
	tags map[string][]string // user id → session tags of the tokens minted
}

const (
	mintedKey      = "madang.centrifugo.minted"
	maxTagsPerUser = 8
)

func mintedOf(app core.App) *minted {
	return app.Store().GetOrSet(mintedKey, func() any { return &minted{tags: map[string][]string{}} }).(*minted)
}

// followSessionsEndedElsewhere binds minted's watch (BindConfig, with the
// tier on).
func followSessionsEndedElsewhere(app core.App, a *api) {
	m := mintedOf(app)
	realtime.OnUserSavedElsewhere(app, func(user *core.Record) {
		if m.ended(user.Id, SessionTag(ConfigOf(app), user.TokenKey())) {
			_ = a.Recheck(user.Id) // logged by the api
		}
	})
}

// remember notes the session tag of a token just minted for user.
func (m *minted) remember(user, tag string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tags := m.tags[user]
	if slices.Contains(tags, tag) {
		return
	}
	if len(tags) == maxTagsPerUser {
		tags = tags[1:]
	}
	m.tags[user] = append(slices.Clip(tags), tag)
}

// forget drops user's tags: every connection of theirs was closed for
// good (api.Disconnect).
func (m *minted) forget(user string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tags, user)
}

// ended tells whether a token was minted here for user with a session
// other than current's, and forgets those sessions.
func (m *minted) ended(user, current string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	tags := m.tags[user]
	if len(tags) == 0 || len(tags) == 1 && tags[0] == current {
		return false
	}
	if slices.Contains(tags, current) {
		m.tags[user] = []string{current}
	} else {
		delete(m.tags, user)
	}
	return true
}
