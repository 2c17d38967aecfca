package hooks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/trustelem/zxcvbn/frequency"

	"madang/internal/access"
	"madang/internal/keyrate"
	"madang/internal/realtime"
)

// Account routes: signing out of every device, and the moderators'
// explicit actions on a member's own fields.
func registerAccounts(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		users := apis.RequireAuth(access.CollectionNameUsers)
		e.Router.POST("/api/users/sign-out-everywhere", signOutEverywhere).Bind(users)
		e.Router.POST("/api/users/{id}/moderate", moderateUser).Bind(apis.RequireAuth())
		e.Router.BindFunc(explainRefusedSignUp)
		return e.Next()
	})
}

// SignOutEverywhere ends every session of user: the token key rotates, so
// every token issued before stops working (401), and the user's realtime
// and chat connections close (hooks/bans.go, chat). The CLI's `users
// sign-out` and POST /api/users/sign-out-everywhere both call it. When
// the key rotated but the realtime tier could not close the user's
// connections, the error wraps realtime.ErrTierNotClosed (the save stays).
func SignOutEverywhere(app core.App, user *core.Record) error {
	user.RefreshTokenKey()
	ctx, notClosed := realtime.WithCloseReport(context.Background())
	if err := app.SaveWithContext(ctx, user); err != nil {
		return fmt.Errorf("rotating the token key of user %s: %w", user.Id, err)
	}
	return notClosed()
}

// signOutEverywhere answers POST /api/users/sign-out-everywhere with 204.
func signOutEverywhere(e *core.RequestEvent) error {
	user, err := e.App.FindRecordById(access.CollectionNameUsers, e.Auth.Id)
	if err != nil {
		return e.NotFoundError("", err)
	}
	// a tier that could not disconnect is logged and on stderr; the
	// tokens are dead, and its connections end with their token's life
	if err := SignOutEverywhere(e.App, user); err != nil && !errors.Is(err, realtime.ErrTierNotClosed) {
		return err
	}
	return e.NoContent(http.StatusNoContent)
}

// Moderation actions on a member's own fields (contract: moderation_log's
// avatar_remove and name_reset).
const (
	ActionAvatarRemove = "avatar_remove"
	ActionNameReset    = "name_reset"
)

// moderateUser answers POST /api/users/{id}/moderate {action, reason} for
// admins (on members) and superusers: the one way a moderator changes a
// member's own fields — it removes an offensive avatar, or replaces an
// offensive name with a neutral one the member can change again. It answers
// the user record as the requester sees it.
func moderateUser(e *core.RequestEvent) error {
	if !e.HasSuperuserAuth() && !access.IsAdmin(e.Auth) {
		return e.ForbiddenError("Only admins can moderate accounts.", nil)
	}
	var body struct {
		Action string `json:"action" form:"action"`
		Reason string `json:"reason" form:"reason"`
	}
	if err := e.BindBody(&body); err != nil {
		return e.BadRequestError("Send JSON {action, reason}.", err)
	}
	if body.Action != ActionAvatarRemove && body.Action != ActionNameReset {
		msg := "The action must be " + ActionAvatarRemove + " or " + ActionNameReset + "."
		return e.BadRequestError(msg, validation.Errors{"action": validation.NewError("validation_invalid_action", msg)})
	}
	if utf8.RuneCountInString(body.Reason) > 512 {
		msg := "The reason must be at most 512 characters."
		return e.BadRequestError(msg, validation.Errors{"reason": validation.NewError("validation_max_text_constraint", msg)})
	}
	if err := access.ControlCharacterError("reason", body.Reason); err != nil { // the log's reason (until 2026-12-04 unchecked)
		return e.BadRequestError(err.Error(), validation.Errors{"reason": err})
	}
	user, err := e.App.FindRecordById(access.CollectionNameUsers, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("There is no such user.", nil)
	}
	if !e.HasSuperuserAuth() && user.GetString("role") == access.RoleAdmin {
		return e.ForbiddenError("Admins cannot moderate other admins; ask a superuser.", nil)
	}
	switch body.Action {
	case ActionAvatarRemove:
		user.Set("avatar", nil)
	case ActionNameReset:
		name, err := neutralName(e.App, user)
		if err != nil {
			return err
		}
		user.Set("name", name)
	}
	moderator := access.ActorOf(e.Auth)
	moderator.Reason = body.Reason
	if err := access.As(user, moderator, func() error { return e.App.Save(user) }); err != nil {
		return fmt.Errorf("moderating user %s (%s): %w", user.Id, body.Action, err)
	}
	if err := apis.EnrichRecord(e, user); err != nil {
		return err
	}
	return e.JSON(http.StatusOK, user)
}

// neutralName is a free name for a user whose name was reset: "user-" and
// the start of their id, longer if that is taken (in any case: anyone may
// register USER-ab12cd ahead of a reset).
func neutralName(app core.App, user *core.Record) (string, error) {
	for n := 6; n <= len(user.Id); n++ {
		name := "user-" + strings.ToLower(user.Id[:n])
		if _, err := access.FindByName(app, access.CollectionNameUsers, name); err != nil {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free neutral name for user %s", user.Id)
}

// commonPasswords are the most common passwords of at least 8 characters
// among the first 10,000 of zxcvbn's list (NIST SP 800-63B: refuse
// passwords known to be common; no composition rules), lowercased.
var commonPasswords = func() map[string]bool {
	list := frequency.FrequencyLists["passwords"]
	set := map[string]bool{}
	for _, p := range list[:min(10_000, len(list))] {
		if len(p) >= 8 {
			set[strings.ToLower(p)] = true
		}
	}
	return set
}()

// MaxPasswordBytes is the longest password bcrypt hashes, and
// MaxPasswordChars the longest PocketBase's password field takes: 71
// letters or digits, 24 Hangul syllables (3 bytes each in UTF-8).
const (
	MaxPasswordBytes = 72
	MaxPasswordChars = 71
)

// checkNewPassword refuses a new password of a member or a superuser that
// is on the common list or longer than MaxPasswordBytes, whoever sets it
// (sign-up, change, reset, CLI, dashboard), naming the field
// (passwordProblem).
func checkNewPassword(e *core.RecordEvent) error {
	if pw, ok := e.Record.GetRaw(core.FieldNamePassword).(*core.PasswordFieldValue); ok {
		if problem := passwordProblem(pw.Plain); problem != nil {
			return validation.Errors{core.FieldNamePassword: problem}
		}
	}
	return e.Next()
}

// passwordProblem says what keeps plain from being a new password; nil if
// nothing does (or it is empty: not being changed). PocketBase counts the
// length in characters, bcrypt in bytes, and bcrypt's error for a longer
// password came back as "Failed to create record." or "Invalid value."
// (until 2026-12-07: a 25-syllable Korean passphrase is 75 bytes).
func passwordProblem(plain string) validation.Error {
	switch {
	case plain == "":
		return nil
	case utf8.RuneCountInString(plain) > MaxPasswordChars || len(plain) > MaxPasswordBytes:
		return validation.NewError("validation_password_too_long",
			fmt.Sprintf("The password has %d characters in %d bytes; at most %d characters in %d bytes are allowed "+
				"(71 letters or digits, 24 Hangul syllables). 비밀번호는 영문·숫자 71자, 한글 24자까지 쓸 수 있습니다.",
				utf8.RuneCountInString(plain), len(plain), MaxPasswordChars, MaxPasswordBytes))
	case commonPasswords[strings.ToLower(plain)]:
		return validation.NewError("validation_password_too_common",
			"This password is one of the most common and easy to guess; choose another. "+
				"(너무 흔한 비밀번호라 쉽게 추측됩니다. 다른 비밀번호를 쓰세요.)")
	}
	return nil
}

// explainRefusedSignUp names a sign-up's password that bcrypt cannot hash
// (passwordProblem): PocketBase hashes it as it reads the form and, checking
// its create rule on a copy of the record before any record hook runs,
// answers bcrypt's error with a bare "Failed to create record.".
func explainRefusedSignUp(e *core.RequestEvent) error {
	err := e.Next()
	if err == nil || e.Request.Method != http.MethodPost || e.Request.Pattern != "POST /api/collections/{collection}/records" {
		return err
	}
	refused, ok := errors.AsType[*router.ApiError](err)
	if !ok || refused.Status != http.StatusBadRequest || len(refused.Data) > 0 {
		return err // a field's problem is named already
	}
	if collection, findErr := e.App.FindCachedCollectionByNameOrId(e.Request.PathValue("collection")); findErr != nil ||
		collection.Name != access.CollectionNameUsers {
		return err
	}
	info, infoErr := e.RequestInfo()
	if infoErr != nil {
		return err
	}
	plain, _ := info.Body[core.FieldNamePassword].(string)
	if problem := passwordProblem(plain); problem != nil {
		return apis.NewBadRequestError("Failed to create record.", validation.Errors{core.FieldNamePassword: problem})
	}
	return err
}

// Old-password guesses: a password change checks the old password at
// bcrypt's speed, and a stolen token (a shared computer, an XSS elsewhere)
// could guess it there, outside sign-in's per-address limit, to keep the
// account past the token's life. A per-address limit on users edits was
// tried and dropped (it stopped an admin's grants to a class of 40,
// pb_migrations/1795900902). Wrong old passwords are counted per account
// instead: OldPasswordGuesses in a row, then one more every
// OldPasswordGuessEvery; a right one costs nothing.
const (
	OldPasswordGuesses    = 5
	OldPasswordGuessEvery = 2 * time.Minute
	oldPasswordGuessesKey = "madang.oldPasswordGuesses"
	maxIdleGuessCounters  = 1024 // counters kept before the idle ones go
)

// guessCountersOf returns app's counters of wrong old passwords, by account.
func guessCountersOf(app core.App) *keyrate.Limits {
	return app.Store().GetOrSet(oldPasswordGuessesKey, func() any {
		return keyrate.New(OldPasswordGuessEvery, OldPasswordGuesses, maxIdleGuessCounters)
	}).(*keyrate.Limits)
}

// limitOldPasswordGuesses counts a password change's wrong old password
// against the account, and refuses (429) a change while the account's
// allowance is spent, before the old password is checked.
func limitOldPasswordGuesses(e *core.RecordRequestEvent) error {
	if e.HasSuperuserAuth() {
		return e.Next() // no old password asked
	}
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	if s, _ := info.Body["password"].(string); s == "" {
		if s, _ := info.Body["passwordConfirm"].(string); s == "" {
			return e.Next() // no password change, no old password checked
		}
	}
	giveBack, wait := guessCountersOf(e.App).Reserve(e.Record.Id, time.Now())
	if giveBack == nil {
		minutes := int(math.Ceil(wait.Minutes()))
		return e.TooManyRequestsError(fmt.Sprintf("Too many wrong old passwords for this account; try again in %d "+
			"minute(s), or reset the password by mail. 기존 비밀번호가 여러 번 틀렸습니다. %d분 뒤에 다시 하거나 "+
			"메일로 비밀번호를 재설정하세요.", minutes, minutes), nil)
	}
	err = e.Next()
	if !wrongOldPassword(err) {
		giveBack() // only wrong old passwords count
	}
	return err
}

// wrongOldPassword tells whether err is PocketBase's refusal of the old
// password (forms.RecordUpsert's validation_invalid_old_password).
func wrongOldPassword(err error) bool {
	var refused *router.ApiError
	if !errors.As(err, &refused) {
		return false
	}
	item, _ := refused.Data["oldPassword"].(map[string]any)
	return item["code"] == "validation_invalid_old_password"
}
