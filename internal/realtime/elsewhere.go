package realtime

import (
	"log/slog"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/access"
)

// ElsewhereEvery is how often a serving process looks for users saved by
// another process on its data dir: the operators' CLI (madang users ban,
// sign-out, grant, revoke …) saves through its own app, whose hooks
// reach its own connections — none. Until 2026-12-03 a ban or a sign-out
// from the CLI left the user's open SSE streams and chat WebSockets
// delivering, to a banned user, until they left.
const ElsewhereEvery = time.Second

// elsewhereOverlap is how far back each look reaches again: a transaction
// stamps updated when it writes the row and may commit a little later.
const elsewhereOverlap = 5 * time.Second

// UserSaved is told of a users record saved, here or elsewhere: the
// connections it keeps (the chat WebSocket bridge) follow the record as
// PocketBase's own after-save hooks do for SSE.
type UserSaved func(user *core.Record)

type elsewhere struct {
	mu       sync.Mutex
	handlers []UserSaved
	seen     map[string]string // user id → the updated value already handled
	since    string            // the newest updated value handled
}

const elsewhereKey = "madang.realtime.elsewhere"

func elsewhereOf(app core.App) *elsewhere {
	w, _ := app.Store().GetOrSet(elsewhereKey, func() any {
		return &elsewhere{seen: map[string]string{}}
	}).(*elsewhere)
	return w
}

// OnUserSavedElsewhere adds fn to what runs for a users record another
// process saved (after this process's connections followed it). Call it
// before the app serves.
func OnUserSavedElsewhere(app core.App, fn UserSaved) {
	w := elsewhereOf(app)
	w.mu.Lock()
	w.handlers = append(w.handlers, fn)
	w.mu.Unlock()
}

// watchElsewhere starts the look for users saved by other processes; it
// stops when the app terminates.
func watchElsewhere(app core.App) {
	w := elsewhereOf(app)
	w.since = time.Now().UTC().Add(-elsewhereOverlap).Format(types.DefaultDateLayout)
	Every(app, ElsewhereEvery, func() {
		if err := FollowUsersSavedElsewhere(app); err != nil {
			app.Logger().Warn("realtime: reading users saved by other processes failed", slog.String("error", err.Error()))
		}
	})
}

// Every runs fn every d, from now until app terminates; a run in flight
// finishes before the terminate goes on (and the database closes). A
// terminate may come twice (tests trigger one, then their cleanup).
func Every(app core.App, d time.Duration, fn func()) {
	stop, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		ticker := time.NewTicker(d)
		defer ticker.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ticker.C:
				fn()
			}
		}
	}()
	var once sync.Once
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		once.Do(func() { close(stop); <-exited })
		return e.Next()
	})
}

// FollowUsersSavedElsewhere makes this process's connections follow the
// users saved since its last look, by anyone: a connection whose user is
// banned or whose token key changed closes (SSE, the chat WebSocket
// bridge; on the tier, a ban disconnects), the others take the saved
// record as their auth, as PocketBase does after a save here. What this
// process saved itself it already followed; doing it again changes
// nothing. The server looks every ElsewhereEvery; tests call it not to
// wait.
func FollowUsersSavedElsewhere(app core.App) error {
	w := elsewhereOf(app)
	w.mu.Lock()
	defer w.mu.Unlock()
	var rows []struct {
		ID      string `db:"id"`
		Updated string `db:"updated"`
	}
	err := app.DB().Select("id", "updated").From(access.CollectionNameUsers).
		Where(dbx.NewExp("[[updated]] > {:since}", dbx.Params{"since": w.since})).All(&rows)
	if err != nil {
		return err
	}
	newest := w.since
	for _, r := range rows {
		if w.seen[r.ID] == r.Updated {
			continue
		}
		w.seen[r.ID] = r.Updated
		newest = max(newest, r.Updated)
		user, err := app.FindRecordById(access.CollectionNameUsers, r.ID)
		if err != nil {
			continue // deleted since
		}
		followUser(app, user)
		for _, fn := range w.handlers {
			fn(user)
		}
	}
	// look again from a little before the newest, forgetting what is older
	cut, err := time.Parse(types.DefaultDateLayout, newest)
	if err == nil {
		w.since = max(w.since, cut.Add(-elsewhereOverlap).Format(types.DefaultDateLayout))
	}
	for id, updated := range w.seen {
		if updated <= w.since {
			delete(w.seen, id)
		}
	}
	return nil
}

// followUser closes the SSE connections user's record no longer
// authorizes and gives the others its current state.
func followUser(app core.App, user *core.Record) {
	banned := user.GetBool("banned")
	for _, c := range clientsOf(app) {
		auth, _ := c.Get(apis.RealtimeClientAuthKey).(*core.Record)
		if auth == nil || auth.Id != user.Id || auth.Collection().Name != access.CollectionNameUsers {
			continue
		}
		if banned || auth.TokenKey() != user.TokenKey() {
			c.Discard()
			app.SubscriptionsBroker().Unregister(c.Id())
		} else {
			c.Set(apis.RealtimeClientAuthKey, user)
		}
	}
	if t := TierOf(app); t != nil && banned {
		_ = t.Disconnect(user.Id) // logged by the tier
	}
}
