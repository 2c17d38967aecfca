package access

import (
	"strconv"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// BanMessage is what a banned user is told when refused.
func BanMessage(user *core.Record) string {
	msg := "This account is banned permanently."
	if until := user.GetDateTime("banned_until"); !until.IsZero() {
		msg = "This account is banned until " + until.Time().UTC().Format("2006-01-02 15:04 UTC") + "."
	}
	if reason := user.GetString("ban_reason"); reason != "" {
		msg += " Reason: " + reason
	}
	return msg
}

// BanTerms says how long and why user is banned, for operators and the
// moderation log: `until 2030-01-01 00:00 UTC, reason "spam"`, `permanent,
// no reason`.
func BanTerms(user *core.Record) string {
	terms := "permanent"
	if until := user.GetDateTime("banned_until"); !until.IsZero() {
		terms = "until " + until.Time().UTC().Format("2006-01-02 15:04 UTC")
	}
	if reason := user.GetString("ban_reason"); reason != "" {
		return terms + ", reason " + strconv.Quote(reason)
	}
	return terms + ", no reason"
}

// BanData is the machine-readable side of a ban refusal, so clients can say
// it in their own language: data.banned = {code: "account_banned", message,
// params: {until, reason}} (until: "" when permanent). PocketBase keeps only
// error items with a code in an answer's data, hence this shape.
//
// An error with params renders its message as a Go template, so the
// message (which holds the admin's reason) goes in as a template that
// prints it as written: until 2026-12-04 a reason with "{{" made the
// banned member's sign-in a 500, and "{{.until}}" printed the end date.
func BanData(user *core.Record) validation.Errors {
	literal := strings.ReplaceAll(BanMessage(user), "{{", `{{"{{"}}`)
	return validation.Errors{"banned": validation.NewError("account_banned", literal).
		SetParams(map[string]any{"until": user.GetString("banned_until"), "reason": user.GetString("ban_reason")})}
}
