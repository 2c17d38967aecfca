package migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// PocketBase's "*:auth" rule limits the password, OTP and OAuth2 sign-ins
// of every auth collection; 1795900002 narrowed it to users:auth, and until
// 2026-12-03 the dashboard's superuser sign-in took 60 wrong passwords in
// 3.7 s from one address. The reset rules widen the same way (a superuser's
// reset mails had no limit either). PocketBase's "/api/batch" rule comes
// back: batches are off, but an operator who turns them on lets each
// request carry 50 writes. Its global "/api/" and "*:create" rules stay
// out: members behind one carrier NAT share an address.
//
// Rules are edited in the dashboard, so an existing rule keeps its numbers
// and only changes label.
var widenedRateLimits = map[string]string{
	"users:auth":                 "*:auth",
	"users:requestPasswordReset": "*:requestPasswordReset",
	"users:confirmPasswordReset": "*:confirmPasswordReset",
}

var batchRateLimit = core.RateLimitRule{Label: "/api/batch", MaxRequests: 3, Duration: 1}

func init() {
	m.Register(func(app core.App) error {
		settings := app.Settings()
		rules := settings.RateLimits.Rules
		for narrow, wide := range widenedRateLimits {
			rules = relabelRateLimit(rules, narrow, wide)
		}
		if !hasRateLimit(rules, batchRateLimit.Label) {
			rules = append(rules, batchRateLimit)
		}
		settings.RateLimits.Rules = rules
		return app.Save(settings)
	}, func(app core.App) error {
		settings := app.Settings()
		rules := settings.RateLimits.Rules
		for narrow, wide := range widenedRateLimits {
			rules = relabelRateLimit(rules, wide, narrow)
		}
		settings.RateLimits.Rules = slices.DeleteFunc(rules, func(r core.RateLimitRule) bool { return r == batchRateLimit })
		return app.Save(settings)
	})
}

// relabelRateLimit gives the rules labelled from the label to, unless a
// rule already has it (two rules of one label are refused).
func relabelRateLimit(rules []core.RateLimitRule, from, to string) []core.RateLimitRule {
	if hasRateLimit(rules, to) {
		return rules
	}
	rules = slices.Clone(rules)
	for i := range rules {
		if rules[i].Label == from {
			rules[i].Label = to
		}
	}
	return rules
}

func hasRateLimit(rules []core.RateLimitRule, label string) bool {
	return slices.ContainsFunc(rules, func(r core.RateLimitRule) bool { return r.Label == label })
}
