package migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The chat rules ask "is the requester a member" as members ~ (the id in
// the stored list's text) instead of members:each ?= (a join of the record
// with every id of the list), and the notifications rules as
// session.members ~ instead of session.members.id ?= (a join with every
// member's users row).
//
// Both forms give the same answer: a users id is exactly 15 characters of
// a-z0-9 (the id field's length and pattern, which hooks/contract.go keeps
// from being changed) and the list is stored as ["id","id",…], so 15 such
// characters in a row are one whole id of the list, and an id of the list
// is found in it. The `@request.auth.blocking !~ author` clauses read the
// blocking list the same way since they were written. Every rule that uses
// it first requires a signed-in user (an empty id would be found in any
// text).
//
// The join is the rule's whole cost in a large chat, and it grows with the
// messages times the members: on 2026-12-06 the web client's chat view
// opening a 1,000-member group as its last member took 18.2 ms of the
// server's CPU a page, 4.0 ms in this form (BenchmarkChatPage); one message
// checked for one reader (BenchmarkChatReadRule, the last member of 1,000)
// 1.04 ms, 0.43 ms in this form. The rule text is rewritten in place, so a rule an operator extended
// keeps the extension.
const (
	memberByText       = `members ~ @request.auth.id`
	noticeMemberByJoin = `session.members.id ?= @request.auth.id`
	noticeMemberByText = `session.members ~ @request.auth.id`
)

func init() {
	m.Register(func(app core.App) error {
		if err := usersIDsAreWhole(app); err != nil {
			return err
		}
		if err := rewriteChatRules(app, memberByEach, memberByText); err != nil {
			return err
		}
		return rewriteRules(app, "notifications", noticeMemberByJoin, noticeMemberByText)
	}, func(app core.App) error {
		if err := rewriteChatRules(app, memberByText, memberByEach); err != nil {
			return err
		}
		return rewriteRules(app, "notifications", noticeMemberByText, noticeMemberByJoin)
	})
}

// rewriteRules replaces old with new in every API rule of collection name.
func rewriteRules(app core.App, name, old, new string) error {
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		return err
	}
	for _, rule := range []*string{c.ListRule, c.ViewRule, c.CreateRule, c.UpdateRule, c.DeleteRule} {
		if rule != nil {
			*rule = strings.ReplaceAll(*rule, old, new)
		}
	}
	return app.Save(c)
}

// usersIDsAreWhole refuses the upgrade while a stored users id is not 15
// characters of a-z0-9 (PocketBase validates every id it saves so; one
// written into the database some other way could be found inside a
// member's id, and its holder read that member's chats).
func usersIDsAreWhole(app core.App) error {
	var odd []string
	err := app.DB().NewQuery(`SELECT id FROM users WHERE length(id) != 15 OR id GLOB '*[^a-z0-9]*' LIMIT 5`).Column(&odd)
	if err != nil {
		return err
	}
	if len(odd) > 0 {
		return fmt.Errorf("users ids %q are not 15 characters of a-z0-9, which Madang's chat and notification rules need "+
			"(they find a member's id in the stored list's text); give those users such ids, then upgrade again", odd)
	}
	return nil
}
