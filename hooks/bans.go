package hooks

import (
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/access"
	"madang/internal/realtime"
)

func registerBans(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "madangRejectStaleAuth",
			Priority: apis.DefaultLoadAuthTokenMiddlewarePriority + 1,
			Func:     rejectStaleAuth,
		})
		return e.Next()
	})
	app.OnRecordCreate(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		if err := settleBanFields(e.Record); err != nil {
			return err
		}
		return e.Next()
	})
	app.OnRecordUpdate(access.CollectionNameUsers).BindFunc(enforceBan)
	// a deleted account's live connections end as a banned one's do (until
	// 2026-12-04 its tier connections stayed open, delivering nothing)
	app.OnRecordAfterDeleteSuccess(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		realtime.CloseUser(e.Context, e.App, e.Record.Id)
		return e.Next()
	})
	app.OnRecordAuthRequest(access.CollectionNameUsers).BindFunc(refuseBannedSignIn)
	app.Cron().MustAdd("madang_lift_expired_bans", "* * * * *", func() {
		if n, err := LiftExpiredBans(app); err != nil {
			app.Logger().Error("lifting expired bans failed", slog.String("error", err.Error()))
		} else if n > 0 {
			app.Logger().Info("lifted expired bans", slog.Int("users", n))
		}
	})
}

// signInPath matches, as "METHOD /path", the routes that take credentials
// instead of a token, sign-up (a guest's create of a user) and the health
// check: a client still holding a dead token must be able to use them.
var signInPath = regexp.MustCompile(`^(\S+ /api/collections/[^/]+/(auth-with-|auth-methods|request-|confirm-)|` +
	`POST /api/collections/(users|_pb_users_auth_)/records/?$|(GET|HEAD) /api/health/?$)`)

// rejectStaleAuth answers 401 to a request whose token no longer works
// (expired, rotated by a ban or a password change) or belongs to a banned
// user. PocketBase alone would quietly treat such a request as a guest's,
// so a banned user's open page would keep reading as a guest.
func rejectStaleAuth(e *core.RequestEvent) error {
	token := e.Request.Header.Get("Authorization")
	if token == "" || signInPath.MatchString(e.Request.Method+" "+e.Request.URL.Path) {
		return e.Next()
	}
	if e.Auth == nil {
		return apis.NewUnauthorizedError("Your session has ended; please sign in again.", nil)
	}
	if e.Auth.Collection().Name == access.CollectionNameUsers && e.Auth.GetBool("banned") {
		return apis.NewUnauthorizedError(access.BanMessage(e.Auth), access.BanData(e.Auth))
	}
	return e.Next()
}

// enforceBan makes a new ban take effect at once, whoever writes it (API,
// dashboard or CLI): rotating the token key kills every issued token, and the
// user's realtime connections are closed. The same closing follows any
// rotation of the key — signing out everywhere, and the one PocketBase makes
// itself while executing a password or email change: a connection must not
// outlive the token that opened it. Until 2026-12-03 a password change left
// the account's SSE streams open, as a guest's: a device that lost the
// session kept showing a signed-in page, and fed; now it reconnects, finds
// its token dead (401) and signs in again, as after signing out everywhere.
func enforceBan(e *core.RecordEvent) error {
	if err := settleBanFields(e.Record); err != nil {
		return err
	}
	newlyBanned := e.Record.GetBool("banned") && !e.Record.Original().GetBool("banned")
	if newlyBanned {
		e.Record.RefreshTokenKey()
	}
	before := e.Record.Original().TokenKey() // blank for a record never read back
	if err := e.Next(); err != nil {
		return err
	}
	if newlyBanned || before != "" && e.Record.TokenKey() != before {
		// Done here, inside the save, because PocketBase's own after-save hook
		// forgets the clients' auth once the token key changed, and with it
		// which connections were this user's.
		// SSE and, when on, the Centrifugo tier (realtime.CloseUser)
		realtime.CloseUser(e.Context, e.App, e.Record.Id)
	}
	return nil
}

// settleBanFields keeps a user's ban fields one ban's, whoever writes them
// (API, dashboard, CLI, the expiry job): a user who is not banned keeps no
// end nor reason — until 2026-12-03 an unban through the API or the
// dashboard left them, and a later permanent ban inherited the old end (and
// the minute job lifted it, or it became temporary) — and a ban whose end
// is set or changed must end in the future (400 naming banned_until). A ban
// left as it was may have run out: the expiry job lifts it. A reason or an
// end written for a user who is not banned is refused, 400 naming it: until
// 2026-12-07 it was dropped and the save answered 200, as if it were kept.
func settleBanFields(user *core.Record) error {
	if !user.GetBool("banned") {
		original := user.Original()
		problems := validation.Errors{}
		if reason := user.GetString("ban_reason"); reason != "" && reason != original.GetString("ban_reason") {
			problems["ban_reason"] = validation.NewError("validation_ban_detail_without_ban",
				"ban_reason belongs to a ban: send banned: true with it, or leave it out.")
		}
		if until := user.GetDateTime("banned_until"); !until.IsZero() && !until.Equal(original.GetDateTime("banned_until")) {
			problems["banned_until"] = validation.NewError("validation_ban_detail_without_ban",
				"banned_until belongs to a ban: send banned: true with it, or leave it out.")
		}
		if len(problems) > 0 {
			return problems
		}
		user.Set("ban_reason", "")
		user.Set("banned_until", "")
		return nil
	}
	original := user.Original()
	set := !original.GetBool("banned") || !user.GetDateTime("banned_until").Equal(original.GetDateTime("banned_until"))
	if set && BanExpired(user, time.Now()) {
		return validation.Errors{"banned_until": validation.NewError("validation_ban_in_past",
			"A ban must end in the future: banned_until is in the past (leave it empty for a permanent ban).")}
	}
	return nil
}

// refuseBannedSignIn runs after the credentials were verified, for every
// auth method, so it never tells a stranger whether an account is banned.
func refuseBannedSignIn(e *core.RecordAuthRequestEvent) error {
	if !e.Record.GetBool("banned") {
		return e.Next()
	}
	if BanExpired(e.Record, time.Now()) {
		if err := liftBan(e.App, e.Record); err != nil {
			return err
		}
		return e.Next()
	}
	return apis.NewForbiddenError(access.BanMessage(e.Record), access.BanData(e.Record))
}

// BanExpired reports whether a temporary ban has run out at now.
func BanExpired(user *core.Record, now time.Time) bool {
	until := user.GetDateTime("banned_until")
	return !until.IsZero() && !until.Time().After(now)
}

// LiftExpiredBans unbans every user whose banned_until has passed and
// returns how many it unbanned.
func LiftExpiredBans(app core.App) (int, error) {
	now := types.NowDateTime().String()
	users, err := app.FindAllRecords("users",
		dbx.HashExp{"banned": true},
		dbx.NewExp("banned_until != '' AND banned_until <= {:now}", dbx.Params{"now": now}),
	)
	if err != nil {
		return 0, fmt.Errorf("finding expired bans: %w", err)
	}
	for _, u := range users {
		if err := liftBan(app, u); err != nil {
			return 0, err
		}
	}
	return len(users), nil
}

// liftBan unbans user; the save clears the ban's end and reason
// (settleBanFields).
func liftBan(app core.App, user *core.Record) error {
	user.Set("banned", false)
	if err := app.Save(user); err != nil {
		return fmt.Errorf("lifting the ban of user %s: %w", user.Id, err)
	}
	return nil
}
