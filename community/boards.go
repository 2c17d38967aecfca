package community

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/access"
	"madang/internal/txn"
)

// registerBlocks keeps users.blocking, the list the read rules check (a
// blocked author's posts, comments and messages leave the blocker's lists,
// search and PocketBase's realtime; chat/sse.go asks access.HidesAuthor for
// Madang's own chat delivery), equal to the blocker's blocks records, in
// the transaction of each block and unblock. The list is written with SQL,
// not by saving the user: the save's update event of the blocker's record
// went to everyone subscribed to it (the users view rule is public) at the
// moment they blocked or unblocked someone, with nothing visible changed
// (until 2026-12-03). No save is needed for realtime either: a rule reads
// @request.auth.blocking by joining the users row (PocketBase resolves
// every auth field but id and collection that way), not from the
// connection's copy of the auth record. Blocks are private to the blocker,
// and never of an admin.
func registerBlocks(app core.App) {
	access.ServerSet(app, access.CollectionNameUsers, func(e *core.RecordRequestEvent) error {
		e.Record.Set("blocking", nil)
		return nil
	}, "blocking")
	// after the write, each blocker involved gets the list of their blocks
	// records (a superuser may move a block to another pair in the
	// dashboard: then the old blocker's list changes too)
	sync := func(e *core.RecordEvent) error {
		return txn.Around(e, func(tx core.App) error {
			users := []string{e.Record.GetString("user")}
			if before := e.Record.Original().GetString("user"); before != "" && before != users[0] {
				users = append(users, before)
			}
			for _, id := range users {
				blocked := []string{}
				err := tx.DB().Select("blocked").From(Blocks).Where(dbx.HashExp{"user": id}).OrderBy("created", "id").Column(&blocked)
				if err != nil {
					return err
				}
				list, err := json.Marshal(blocked)
				if err != nil {
					return err
				}
				// no row when the blocker is being deleted
				_, err = tx.DB().Update(access.CollectionNameUsers, dbx.Params{"blocking": string(list)}, dbx.HashExp{"id": id}).Execute()
				if err != nil {
					return fmt.Errorf("keeping users.blocking of %s: %w", id, err)
				}
			}
			return nil
		})
	}
	app.OnRecordCreateExecute(Blocks).BindFunc(sync)
	app.OnRecordUpdateExecute(Blocks).BindFunc(sync)
	app.OnRecordDeleteExecute(Blocks).BindFunc(sync)
	// A member who becomes an admin is blocked by nobody, as no admin can be
	// (the blocks create rule): their blocks go in the role change's
	// transaction, whoever makes it (a superuser over the API or in the
	// dashboard), and sync takes them out of each blocker's users.blocking,
	// so the rules and access.HasBlocked agree. They stay gone if the admin
	// steps down. Until 2026-12-03 such a block stayed, and hid the admin's
	// posts and moderation notices from the blocker.
	app.OnRecordUpdateExecute(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("role") != access.RoleAdmin || e.Record.Original().GetString("role") == access.RoleAdmin {
			return e.Next()
		}
		return txn.Around(e, func(tx core.App) error {
			blocks, err := tx.FindAllRecords(Blocks, dbx.HashExp{"blocked": e.Record.Id})
			if err != nil {
				return err
			}
			for _, b := range blocks {
				if err := tx.Delete(b); err != nil {
					return fmt.Errorf("removing block %s of new admin %s: %w", b.Id, e.Record.Id, err)
				}
			}
			return nil
		})
	})
}

// registerBookmarks: bookmarks are rules only (pb_migrations): the owner's,
// and only while they can read the post.
func registerBookmarks(core.App) {}

// registerCategories keeps a category on its board, for every writer (the
// posts carrying it were checked against that board; until 2026-12-03 a
// superuser's move left them with another board's category), its name
// trimmed, and a post's category one of its board's, and required where the
// board says so, when a post is created or its category changes. A save
// that leaves the category as it was (a hide, a pin, an auto-hide inside a
// report's transaction, an edit of the text) is not asked again: a post may
// have none on a category_required board — it was written before the board
// required one, or its category was deleted (the delete empties
// posts.category) — and until 2026-12-03 such a post could no longer be
// hidden, pinned or reported on an auto-hiding board.
func registerCategories(app core.App) {
	access.Fixed(app, Categories, "board")
	access.Trimmed(app, Categories, "name")
	access.Names(app, Categories, "name")
	app.OnRecordValidate(access.CollectionNamePosts).BindFunc(func(e *core.RecordEvent) error {
		category := e.Record.GetString("category")
		if !e.Record.IsNew() && category == e.Record.Original().GetString("category") &&
			e.Record.GetString("board") == e.Record.Original().GetString("board") {
			return e.Next()
		}
		board, err := e.App.FindRecordById(access.CollectionNameBoards, e.Record.GetString("board"))
		if err != nil {
			return e.Next() // the board field's own error
		}
		if category == "" {
			if board.GetBool("category_required") {
				return validation.Errors{"category": validation.NewError("validation_required",
					"This board needs a category (말머리) on every post.")}
			}
			return e.Next()
		}
		c, err := e.App.FindRecordById(Categories, category)
		if err != nil || c.GetString("board") != board.Id {
			return validation.Errors{"category": validation.NewError("validation_invalid_category",
				"Pick one of this board's categories.")}
		}
		return e.Next()
	})
}

// PopularDays is how far back the popular feed looks.
const PopularDays = 7

// popularScore weighs a post's engagement for the popular feed: a like
// counts 3, a comment 2, a view 0.1 (views are cheap, likes deliberate).
const popularScore = "([[posts.likes_count]] * 3 + [[posts.comments_count]] * 2 + [[posts.views_count]] * 0.1)"

// registerFeeds: GET /api/feed/recent and /api/feed/popular, each a posts
// list (page, perPage, filter, expand, fields; never a count) through
// access.List, so each item is what the list API returns for the
// requester: the visible posts of every board they can read, newest first;
// or of the last PopularDays days, by popularScore. A filter narrows the
// feed (one board, one category) under the list API's checks; a sort is
// refused, since the feed is an order. Until 2026-12-03 both were checked
// and then ignored: a filter that passed the checks changed nothing.
func registerFeeds(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.GET("/api/feed/recent", func(e *core.RequestEvent) error {
			return feed(e, func(q *dbx.SelectQuery) {
				q.AndWhere(dbx.NewExp("[[posts.is_visible]] = TRUE")).OrderBy("[[posts.created]] DESC", "[[posts.id]] DESC")
			})
		})
		e.Router.GET("/api/feed/popular", func(e *core.RequestEvent) error {
			since := types.NowDateTime().Add(-PopularDays * 24 * time.Hour).String()
			return feed(e, func(q *dbx.SelectQuery) {
				q.AndWhere(dbx.NewExp("[[posts.is_visible]] = TRUE AND [[posts.created]] >= {:since}", dbx.Params{"since": since})).
					OrderBy(popularScore+" DESC", "[[posts.created]] DESC")
			})
		})
		return e.Next()
	})
}

func feed(e *core.RequestEvent, order func(*dbx.SelectQuery)) error {
	posts, err := e.App.FindCachedCollectionByNameOrId(access.CollectionNamePosts)
	if err != nil {
		return err
	}
	in := e.Request.URL.Query()
	params := url.Values{search.SkipTotalQueryParam: {"1"}}
	if in.Get(search.SortQueryParam) != "" {
		return e.BadRequestError("A feed keeps its own order (recent: newest first; popular: by likes, comments and views); "+
			"leave sort out, or list posts with /api/collections/posts/records?sort=….", nil)
	}
	for _, k := range []string{search.PageQueryParam, search.PerPageQueryParam, search.FilterQueryParam, "expand", "fields"} {
		if v := in.Get(k); v != "" {
			params.Set(k, v)
		}
	}
	if p := in.Get(search.PageQueryParam); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 500 {
			return e.BadRequestError("page must be a whole number from 1 to 500.", nil)
		}
	}
	result, err := access.List(e, posts, order, params)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, result)
}
