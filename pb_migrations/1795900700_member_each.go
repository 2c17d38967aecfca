package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The chat rules ask "is the requester a member" as members:each ?=
// instead of members.id ?=. Both read the same ids: :each compares the
// members JSON array's values, .id joins users on each of them first to
// read back the id it already has. For a member at the end of a
// 1,000-member list the join was a fifth of the rule's query
// (BenchmarkChatReadRule: 2.34 against 1.81 ms), and every message runs the
// create rule before it is saved. The rule text is rewritten in place, so a
// rule an operator extended keeps the extension.
const (
	memberByJoin = `members.id ?= @request.auth.id`
	memberByEach = `members:each ?= @request.auth.id`
)

func init() {
	m.Register(func(app core.App) error {
		return rewriteChatRules(app, memberByJoin, memberByEach)
	}, func(app core.App) error {
		return rewriteChatRules(app, memberByEach, memberByJoin)
	})
}

// rewriteChatRules replaces old with new in every API rule of the chat
// collections.
func rewriteChatRules(app core.App, old, new string) error {
	for _, name := range []string{"chat_sessions", "chats"} {
		if err := rewriteRules(app, name, old, new); err != nil {
			return err
		}
	}
	return nil
}
