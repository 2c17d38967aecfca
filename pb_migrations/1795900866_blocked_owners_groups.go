package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A member does not see the chat sessions owned by someone they blocked:
// not the session (lists, views, realtime), its messages (the chats rules,
// which also refuse writing there), nor the notices about it. Until
// 2026-12-03 a blocked member kept putting the blocker into group chats
// whose names were the messages (create with members: [blocker], then
// renames, each reaching the blocker live). As with a blocked member's
// posts, the blocked member sees no difference: the create and the renames
// succeed, the blocker stays in members, and nothing tells them who blocked
// them. Admins see everything, as in notBlocked; a support session's only
// member is its owner, whom nobody blocks themself.
//
// The chat package's delivery caches "may read the session" per reader
// (chat/hub.go), from these same rules; it drops a blocker's answers at
// each block and unblock (chat/blocks.go).
const (
	sessionOwnerNotBlocked = ` && (@request.auth.role = "admin" || owner = "" || @request.auth.blocking !~ owner)`
	chatOwnerNotBlocked    = ` && (@request.auth.role = "admin" || session.owner = "" || @request.auth.blocking !~ session.owner)`
	noticeOwnerNotBlocked  = ` && (session = "" || @request.auth.role = "admin" || session.owner = "" || @request.auth.blocking !~ session.owner)`
)

func init() {
	m.Register(func(app core.App) error {
		return rewriteBlockedOwnerRules(app, func(rule, clause string) string { return andClause(rule, clause, true) })
	}, func(app core.App) error {
		return rewriteBlockedOwnerRules(app, func(rule, clause string) string { return withoutClause(rule, clause, true) })
	})
}

// rewriteBlockedOwnerRules rewrites, with each collection's clause, the
// chat_sessions read rules, every chats rule and the notifications read
// rules (a nil rule stays nil).
func rewriteBlockedOwnerRules(app core.App, rewrite func(rule, clause string) string) error {
	for _, c := range []struct {
		name   string
		clause string
		all    bool // every rule, not only list and view
	}{
		{"chat_sessions", sessionOwnerNotBlocked, false},
		{"chats", chatOwnerNotBlocked, true},
		{"notifications", noticeOwnerNotBlocked, false},
	} {
		collection, err := app.FindCollectionByNameOrId(c.name)
		if err != nil {
			return err
		}
		rules := []**string{&collection.ListRule, &collection.ViewRule}
		if c.all {
			rules = append(rules, &collection.CreateRule, &collection.UpdateRule, &collection.DeleteRule)
		}
		for _, rule := range rules {
			if *rule != nil {
				r := rewrite(**rule, c.clause)
				*rule = &r
			}
		}
		if err := app.Save(collection); err != nil {
			return err
		}
	}
	return nil
}
