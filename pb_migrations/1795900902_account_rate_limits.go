package migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Two account routes had no limit a signed-in client could not step
// around (found 2026-12-07):
//
//   - sign-up's rule was for guests only (audience @guest), so any
//     member's token made accounts without end; it now counts everyone's
//     sign-ups (an operator who changed its numbers keeps them);
//   - a request to change one's email sends a mail to any address, and
//     PocketBase gives it no resend lock (it gives verification one): a
//     member sent 20 mails to one stranger's inbox in a second. It and the
//     verification mail get the reset mail's 3 a minute;
//
// A profile edit checks oldPassword at bcrypt's speed, so a stolen token
// can guess the password outside sign-in's limit; a limit on users edits
// (tried: 10 per 10 s, then 30 a minute) is shared by every account behind
// one address and stopped an admin granting a board to a class of 40
// members partway, so there is none: wrong old passwords are counted per
// account instead (hooks.limitOldPasswordGuesses).
//
// Per IP, as every rule; superusers are never limited (PocketBase).
var accountRateLimits = []core.RateLimitRule{
	{Label: "*:requestEmailChange", MaxRequests: 3, Duration: 60},
	{Label: "*:requestVerification", MaxRequests: 3, Duration: 60},
}

const signUpLabel = "users:create"

func init() {
	m.Register(func(app core.App) error {
		settings := app.Settings()
		rules := slices.Clone(settings.RateLimits.Rules)
		if !hasRateLimitFor(rules, signUpLabel, core.RateLimitRuleAudienceAll) {
			for i := range rules {
				if rules[i].Label == signUpLabel && rules[i].Audience == core.RateLimitRuleAudienceGuest {
					rules[i].Audience = core.RateLimitRuleAudienceAll
				}
			}
		}
		for _, rule := range accountRateLimits {
			if !hasRateLimit(rules, rule.Label) {
				rules = append(rules, rule)
			}
		}
		settings.RateLimits.Rules = rules
		return app.Save(settings)
	}, func(app core.App) error {
		settings := app.Settings()
		rules := slices.DeleteFunc(slices.Clone(settings.RateLimits.Rules), func(r core.RateLimitRule) bool {
			return slices.Contains(accountRateLimits, r)
		})
		if !hasRateLimitFor(rules, signUpLabel, core.RateLimitRuleAudienceGuest) {
			for i := range rules {
				if rules[i].Label == signUpLabel && rules[i].Audience == core.RateLimitRuleAudienceAll {
					rules[i].Audience = core.RateLimitRuleAudienceGuest
				}
			}
		}
		settings.RateLimits.Rules = rules
		return app.Save(settings)
	})
}

func hasRateLimitFor(rules []core.RateLimitRule, label, audience string) bool {
	return slices.ContainsFunc(rules, func(r core.RateLimitRule) bool { return r.Label == label && r.Audience == audience })
}
