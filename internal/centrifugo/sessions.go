package centrifugo

import (
	"sync"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/realtime"
)

// minted remembers, for each user who was given a connection token by
// this process, the session tag the token carries. A password change or
// sign-out everywhere saved here disconnects the user at once
// (realtime.CloseUser); one saved by another process (the CLI) is seen
// by realtime's watch of users saved elsewhere, which has no old token
// key to compare with for tier users: this is it. Until 2026-12-07 such a
// change closed the user's SSE connections but left their tier
// connections delivering until their tokens ran out.
type minted struct {
	mu   sync.Mutex
	tags map[string]string // user id → session tag of the last token minted
}

const mintedKey = "madang.centrifugo.minted"

func mintedOf(app core.App) *minted {
	return app.Store().GetOrSet(mintedKey, func() any { return &minted{tags: map[string]string{}} }).(*minted)
}

// followSessionsEndedElsewhere binds minted's watch (BindConfig, with the
// tier on).
func followSessionsEndedElsewhere(app core.App) {
	m := mintedOf(app)
	realtime.OnUserSavedElsewhere(app, func(user *core.Record) { m.followElsewhere(app, user) })
}

// remember notes the session tag of a token just minted for user.
func (m *minted) remember(user, tag string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tags[user] = tag
}

// followElsewhere disconnects user from the tier when their token key
// changed since their last token was minted here. (A ban saved
// elsewhere realtime disconnects itself.)
func (m *minted) followElsewhere(app core.App, user *core.Record) {
	c := ConfigOf(app)
	m.mu.Lock()
	tag, ok := m.tags[user.Id]
	changed := ok && tag != SessionTag(c, user.TokenKey())
	if changed {
		delete(m.tags, user.Id)
	}
	m.mu.Unlock()
	if t := realtime.TierOf(app); changed && t != nil {
		_ = t.Disconnect(user.Id) // logged by the tier
	}
}
