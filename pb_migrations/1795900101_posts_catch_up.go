package migrations

import (
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Catch-up of 1795900100, edited twice after it landed (2026-11-29), for
// the data dirs that ran an earlier text (PocketBase runs a migration file
// once):
//   - cafbbb4 added to the posts update rule and the comments update and
//     delete rules that an author does not unhide (noUnhide). 1795900500
//     sets those rules again, but its first text (ce0cbd7) did not: a data
//     dir that went through both kept rules letting an author undo a
//     moderator's hide. A rule still exactly as the first text left it
//     gets the clause; a rule an operator rewrote is theirs.
//   - 02a8685 moved the counters from Go into SQLite triggers (countersSQL).
//     Without them nothing keeps comments_count, likes_count and
//     posts_count any more, and a data dir upgraded by a version that
//     lacked this catch-up has counters that stopped at the upgrade; so
//     where the triggers were missing they are created and every counter
//     is counted once.
//
// On a data dir that ran the present text this changes nothing. Nothing to
// undo on the way down: 1795900100's own revert drops the triggers and the
// collections.
const noUnhideClause = ` && (@request.body.is_visible:changed = false || is_visible = true)`

// recountSQL sets each counter to what its triggers count.
var recountSQL = []string{
	`UPDATE {{posts}} SET [[comments_count]] = (SELECT count(*) FROM {{comments}} WHERE [[post]] = {{posts}}.[[id]] AND [[is_visible]])`,
	`UPDATE {{posts}} SET [[likes_count]] = (SELECT count(*) FROM {{post_likes}} WHERE [[post]] = {{posts}}.[[id]])`,
	`UPDATE {{boards}} SET [[posts_count]] = (SELECT count(*) FROM {{posts}} WHERE [[board]] = {{boards}}.[[id]] AND [[is_visible]])`,
}

func init() {
	m.Register(func(app core.App) error {
		if err := addNoUnhide(app); err != nil {
			return err
		}
		var missing int
		for _, q := range countersDownSQL {
			name := strings.TrimPrefix(q, "DROP TRIGGER IF EXISTS ")
			var found int
			err := app.DB().Select("count(*)").From("sqlite_master").
				Where(dbx.HashExp{"type": "trigger", "name": name}).Row(&found)
			if err != nil {
				return err
			}
			missing += 1 - found
		}
		if missing == 0 {
			return nil
		}
		for _, q := range countersSQL {
			q = strings.Replace(q, "CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1)
			if _, err := app.DB().NewQuery(q).Execute(); err != nil {
				return err
			}
		}
		return execAll(app, recountSQL)
	}, nil)
}

// addNoUnhide gives noUnhideClause to the rules that 1795900100's first
// text left without it (a posts delete rule never equals the update rule).
func addNoUnhide(app core.App) error {
	rules := newContentRules()
	for name, want := range map[string]string{"posts": rules.postUpdate, "comments": rules.commentWrite} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		before := strings.Replace(want, noUnhideClause, "", 1)
		changed := false
		for _, rule := range []**string{&c.UpdateRule, &c.DeleteRule} {
			if *rule != nil && **rule == before {
				*rule, changed = &want, true
			}
		}
		if changed {
			if err := app.Save(c); err != nil {
				return err
			}
		}
	}
	return nil
}
