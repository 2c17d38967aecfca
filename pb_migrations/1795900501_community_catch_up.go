package migrations

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Catch-up of 1795900500, edited three times after it landed (2026-12-01),
// for the data dirs that ran an earlier text (PocketBase runs a migration
// file once; until 2026-12-03 a ce0cbd7 data dir stopped every later
// version at 1795900620, "unknown field anonymous_author", and the others
// started with a schema unlike a new install's, saying nothing):
//   - 22a2f20: posts.anonymous_author and comments.anonymous_author, and
//     the content rules' "own" read as author or anonymous writer
//     (anonymousRules) in the posts, comments, post_likes and bookmarks
//     rules;
//   - 9914aed: users.blocking, and the block check reading it (notBlocked)
//     instead of joining blocks for every row;
//   - 0b68397: the feeds' index idx_posts_visible_created.
//
// Each is made only where it is missing, and rules change in place, by the
// old text's own parts: on a data dir whose later migrations ran before
// this one (a 22a2f20 or 9914aed data dir upgraded without it) those
// migrations' additions stay. users.blocking is filled from the blocks
// records, as the community package keeps it. On a data dir that ran the
// present text this changes nothing. Nothing to undo on the way down:
// 1795900500's own revert removes all of it.

// blockJoinBefore is notBlocked's check as ce0cbd7 and 22a2f20 wrote it.
const blockJoinBefore = ` && (@request.auth.id = "" || @request.auth.role = "admin" || author.blocks_via_blocked.user != @request.auth.id)`

// blockListNow is notBlocked's check now.
var blockListNow = strings.TrimPrefix(notBlocked(""), "()")

func init() {
	m.Register(func(app core.App) error {
		all := map[string]*core.Collection{}
		for _, name := range []string{"users", "posts", "comments", "post_likes", "chats", "bookmarks"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("catching up 1795900500, which made %s: %w", name, err)
			}
			all[name] = c
		}
		users, posts, comments := all["users"], all["posts"], all["comments"]

		for _, c := range []*core.Collection{posts, comments} {
			missing := c.Fields.GetByName("anonymous_author") == nil
			if missing {
				// where 1795900500 puts it: before posts.category, after comments.parent
				at := slices.IndexFunc(c.Fields, func(f core.Field) bool { return f.GetName() == "category" })
				if at < 0 {
					at = len(c.Fields)
				}
				c.Fields.AddAt(at, anonymousAuthorField(users))
			}
			noIndex := c == posts && c.GetIndex("idx_posts_visible_created") == ""
			if noIndex {
				// as 1795900500 adds it
				c.AddIndex("idx_posts_visible_created", false, "created", "is_visible = TRUE")
			}
			if !missing && !noIndex {
				continue
			}
			if err := app.Save(c); err != nil {
				return err
			}
		}

		if users.Fields.GetByName("blocking") == nil {
			// as 1795900500 adds it, after notify_mute
			at := slices.IndexFunc(users.Fields, func(f core.Field) bool { return f.GetName() == "notify_mute" }) + 1
			if at == 0 {
				at = len(users.Fields)
			}
			users.Fields.AddAt(at, &core.RelationField{Name: "blocking", CollectionId: users.Id, MaxSelect: 2147483647, Hidden: true,
				Help: "Server-set from the blocks collection: whom this user blocks (the read rules use it). Block and unblock with blocks records."})
			if err := app.Save(users); err != nil {
				return err
			}
			// each blocker's blocks records, oldest first (community, registerBlocks)
			_, err := app.DB().NewQuery(`UPDATE {{users}} SET [[blocking]] = (
					SELECT json_group_array([[blocked]]) FROM (
						SELECT [[blocked]] FROM {{blocks}} WHERE [[user]] = {{users}}.[[id]] ORDER BY [[created]], [[id]]))
				WHERE EXISTS (SELECT 1 FROM {{blocks}} WHERE [[user]] = {{users}}.[[id]])`).Execute()
			if err != nil {
				return err
			}
		}

		// the rules: the block check on posts, comments and chats (and
		// whatever later migrations wrapped around it), and "own" in the
		// rules that have no anonymous writer yet
		anonymous := map[string]bool{"posts": true, "comments": true, "post_likes": true, "bookmarks": true}
		for _, name := range []string{"posts", "comments", "post_likes", "chats", "bookmarks"} {
			c := all[name]
			changed := false
			for _, rule := range []**string{&c.ListRule, &c.ViewRule, &c.CreateRule, &c.UpdateRule, &c.DeleteRule} {
				if *rule == nil {
					continue
				}
				r := strings.ReplaceAll(**rule, blockJoinBefore, blockListNow)
				if anonymous[name] && !strings.Contains(r, "anonymous_author") {
					r = anonymousRules(contentRules{postRead: r}).postRead
				}
				if r != **rule {
					*rule, changed = &r, true
				}
			}
			if changed {
				if err := app.Save(c); err != nil {
					return err
				}
			}
		}
		return nil
	}, nil)
}
