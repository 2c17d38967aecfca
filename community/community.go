// Package community is what Korean users expect of the boards they live in,
// on top of boards, chat and AI: notifications (with @mentions), reports and
// a moderation queue, the moderation log, blocking, bookmarks, categories
// (말머리), feeds, and members' own data (export, account deletion).
//
// Permissions are the collections' API rules (pb_migrations/
// 1795900500_community.go); this package adds what rules cannot say, and
// shows records through internal/access like every other path.
package community

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// Collection names, spelled as in the migration.
const (
	Notifications = "notifications"
	Reports       = "reports"
	ModerationLog = "moderation_log"
	Blocks        = "blocks"
	Bookmarks     = "bookmarks"
	Categories    = "board_categories"
)

// Register binds the community hooks and routes to app. Call it once,
// before app.Start (internal/madang.Bind does, after hooks, chat and ai).
func Register(app core.App) {
	bindBoardFacts(app)
	registerAnonymous(app)
	registerNotifications(app)
	registerMentions(app)
	registerModerationLog(app)
	registerReports(app)
	registerModerationAssist(app)
	registerBlocks(app)
	registerBookmarks(app)
	registerCategories(app)
	registerFeeds(app)
	registerAccountData(app)
	registerNameSuggestions(app)
	access.ServerSet(app, Blocks, access.Requester("user", "Sign in to block someone."), "user", "blocked")
	access.ServerSet(app, Bookmarks, access.Requester("user", "Sign in to bookmark a post."), "user", "post")
}
