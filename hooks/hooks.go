// Package hooks holds the rules that PocketBase's declarative API rules cannot
// express: privileged user fields, bans, counters, derived fields and computed
// response fields, and the posts search route. Every invariant is bound to a
// model-level hook so that the API, the dashboard and the CLI keep it alike.
// Who may see what is internal/access's; hooks only calls it.
package hooks

import "github.com/pocketbase/pocketbase/core"

// Register binds every Madang hook of boards content and users to app. Call
// it once, before app.Start (internal/madang.Bind does, in order).
func Register(app core.App) {
	registerUsers(app)
	registerAccounts(app)
	registerBans(app)
	registerBoards(app)
	registerPosts(app)
	registerComments(app)
	registerLikes(app)
	registerViews(app)
	registerSearch(app)
	registerStorageFailures(app)
	registerMailTimeout(app)
	registerBodyLimits(app)
	registerFieldsCheck(app)
	registerImageLimits(app)
	registerParentChecks(app)
	registerContractFields(app)
	registerWebClientHeaders(app)
}
