package migrations

import (
	"regexp"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Community (contract v2, "Community"): notifications, reports, the
// moderation log, blocks, bookmarks and board categories; new fields on
// boards, posts and users.

// postReadableFrom is "can read the post" for the post reached through
// path ("post"), the posts read rule seen through a relation.
func postReadableFrom(path string) string {
	board := path + ".board"
	return `(@request.auth.role = "admin" || ((` + board + `.is_visible = true && (` + board + `.read = "public" || ` +
		`(` + board + `.read = "members" && @request.auth.id != "") || ` +
		`(` + board + `.read = "granted" && @request.auth.boards.id ?= ` + board + `))) && ` +
		`(` + path + `.is_visible = true || (@request.auth.id != "" && (` + path + `.author = @request.auth.id || ` +
		path + `.anonymous_author = @request.auth.id)))))`
}

const (
	communitySignedIn = `@request.auth.collectionName = "users"`
	communityAdmin    = `@request.auth.collectionName = "users" && @request.auth.role = "admin"`
	communityOwner    = `@request.auth.id != "" && user = @request.auth.id`
)

// notBlocked adds to a read rule that the requester has not blocked the
// record's author. It reads the requester's own users.blocking (kept by
// the community package from the blocks collection) rather than joining
// blocks for every row: "the list of ids does not contain the author's"
// is one LIKE on a value PocketBase reads once per request (ids are 15
// characters of [a-z0-9], so one never contains another).
func notBlocked(rule string) string {
	return `(` + rule + `) && (@request.auth.id = "" || @request.auth.role = "admin" || author = "" || ` +
		`@request.auth.blocking !~ author)`
}

// anonymousAuthorField keeps who wrote a post or comment on an anonymous
// board: hidden, so it never leaves the server but for superusers (the
// community package shows it to admins and to the writer as author).
func anonymousAuthorField(users *core.Collection) *core.RelationField {
	return &core.RelationField{Name: "anonymous_author", CollectionId: users.Id, MaxSelect: 1, Hidden: true,
		Help: "Server-set: the writer of a post or comment on an anonymous board, whose author stays empty. Shown to admins and the writer only."}
}

// ownRule matches the "own record" comparisons of the content rules.
var ownRule = regexp.MustCompile(`([a-z_.]*)author = @request\.auth\.id`)

// anonymousRules reads "own" as author or anonymous writer in every
// content rule.
func anonymousRules(r contentRules) contentRules {
	own := func(rule string) string {
		return ownRule.ReplaceAllString(rule, `(${1}author = @request.auth.id || ${1}anonymous_author = @request.auth.id)`)
	}
	return contentRules{
		postRead: own(r.postRead), postCreate: own(r.postCreate), postUpdate: own(r.postUpdate), postDelete: own(r.postDelete),
		commentRead: own(r.commentRead), commentCreate: own(r.commentCreate), commentWrite: own(r.commentWrite),
		likeRead: own(r.likeRead), likeCreate: own(r.likeCreate), likeDelete: r.likeDelete,
	}
}

var notificationKinds = []string{"reply", "comment", "mention", "chat", "moderation", "ban_lifted", "ai_job"}

func init() {
	m.Register(func(app core.App) error {
		find := func(name string) *core.Collection {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				panic(err) // the earlier migrations made them
			}
			return c
		}
		users, boards, posts := find("users"), find("boards"), find("posts")
		comments, sessions, chats, ais, jobs := find("comments"), find("chat_sessions"), find("chats"), find("ais"), find("ai_logs")

		posts.Fields.Add(anonymousAuthorField(users))
		if err := app.Save(posts); err != nil {
			return err
		}

		notifications := core.NewBaseCollection("notifications")
		notifications.ListRule = types.Pointer(communityOwner)
		notifications.ViewRule = types.Pointer(communityOwner)
		notifications.DeleteRule = types.Pointer(communityOwner)
		notifications.Fields.Add(
			&core.RelationField{Name: "user", CollectionId: users.Id, Required: true, MaxSelect: 1, CascadeDelete: true,
				Help: "Who is notified: the only one who reads it."},
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: notificationKinds,
				Help: "reply: to my comment · comment: on my post · mention: @me · chat: a message in my chat · moderation: my content hidden or restored · ban_lifted · ai_job: my job finished."},
			&core.RelationField{Name: "actor", CollectionId: users.Id, MaxSelect: 1, Help: "Who did it (empty for the system)."},
			&core.RelationField{Name: "post", CollectionId: posts.Id, MaxSelect: 1, CascadeDelete: true},
			&core.RelationField{Name: "comment", CollectionId: comments.Id, MaxSelect: 1, CascadeDelete: true},
			&core.RelationField{Name: "session", CollectionId: sessions.Id, MaxSelect: 1, CascadeDelete: true},
			&core.RelationField{Name: "job", CollectionId: jobs.Id, MaxSelect: 1, CascadeDelete: true},
			&core.TextField{Name: "text", Max: 300, Help: "A short summary; clients localize by kind."},
			&core.NumberField{Name: "count", OnlyInt: true, Min: types.Pointer(0.0),
				Help: "Events folded into this notification (chat messages of one session while unread)."},
			&core.DateField{Name: "read_at", Help: "Empty = unread."},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		notifications.AddIndex("idx_notifications_user_unread", false, "user, read_at, created", "")
		notifications.AddIndex("idx_notifications_chat_unread", true, "user, session", "kind = 'chat' AND read_at = ''")
		if err := app.Save(notifications); err != nil {
			return err
		}

		reports := core.NewBaseCollection("reports")
		reports.ListRule = types.Pointer(`@request.auth.role = "admin" || (` + communitySignedIn + ` && reporter = @request.auth.id)`)
		reports.ViewRule = reports.ListRule
		reports.CreateRule = types.Pointer(communitySignedIn + ` && @request.auth.banned = false`)
		reports.Fields.Add(
			&core.RelationField{Name: "reporter", CollectionId: users.Id, MaxSelect: 1, CascadeDelete: true,
				Help: "Server-set: who reported. Empty on reports the AI moderation assist files."},
			&core.SelectField{Name: "target_kind", Required: true, MaxSelect: 1, Values: []string{"post", "comment", "chat", "user"}},
			&core.RelationField{Name: "post", CollectionId: posts.Id, MaxSelect: 1, CascadeDelete: true},
			&core.RelationField{Name: "comment", CollectionId: comments.Id, MaxSelect: 1, CascadeDelete: true},
			&core.RelationField{Name: "chat", CollectionId: chats.Id, MaxSelect: 1, CascadeDelete: true},
			&core.RelationField{Name: "user", CollectionId: users.Id, MaxSelect: 1, CascadeDelete: true},
			&core.SelectField{Name: "reason", Required: true, MaxSelect: 1, Values: []string{"spam", "abuse", "illegal", "other"}},
			&core.TextField{Name: "text", Max: 1000},
			&core.SelectField{Name: "status", MaxSelect: 1, Values: []string{"open", "dismissed", "actioned"},
				Help: "Server-set: open until an admin resolves it (POST /api/reports/{id}/resolve)."},
			&core.RelationField{Name: "resolved_by", CollectionId: users.Id, MaxSelect: 1},
			&core.DateField{Name: "resolved_at"},
			&core.TextField{Name: "ai_label", Max: 200, Help: "Set on reports the AI moderation assist files: the model's label."},
			&core.NumberField{Name: "ai_score", Min: types.Pointer(0.0), Max: types.Pointer(1.0)},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		reports.AddIndex("idx_reports_open_target", false, "status, target_kind, post, comment, chat, user", "")
		reports.AddIndex("idx_reports_one_open", true, "reporter, target_kind, post, comment, chat, user", "status = 'open' AND reporter != ''")
		if err := app.Save(reports); err != nil {
			return err
		}

		log := core.NewBaseCollection("moderation_log")
		log.ListRule = types.Pointer(communityAdmin)
		log.ViewRule = types.Pointer(communityAdmin)
		log.Fields.Add(
			&core.RelationField{Name: "actor", CollectionId: users.Id, MaxSelect: 1, Help: "The admin who acted; empty for a superuser or the command line (see actor_label)."},
			&core.TextField{Name: "actor_label", Max: 300, Help: "Who acted, as text: a name, superuser:EMAIL, or cli."},
			&core.SelectField{Name: "action", Required: true, MaxSelect: 1, Values: []string{"hide", "unhide", "pin", "unpin", "ban", "unban",
				"grant", "revoke", "report_resolve", "board_change", "avatar_remove", "name_reset"}},
			&core.TextField{Name: "target_kind", Required: true, Max: 32},
			&core.TextField{Name: "target_id", Required: true, Max: 32},
			&core.TextField{Name: "reason", Max: 1000},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		log.AddIndex("idx_moderation_log_created", false, "created", "")
		log.AddIndex("idx_moderation_log_target", false, "target_kind, target_id, created", "")
		if err := app.Save(log); err != nil {
			return err
		}

		blocks := core.NewBaseCollection("blocks")
		blocks.ListRule = types.Pointer(communityOwner)
		blocks.ViewRule = types.Pointer(communityOwner)
		blocks.DeleteRule = types.Pointer(communityOwner)
		blocks.CreateRule = types.Pointer(communitySignedIn + ` && @request.auth.banned = false && blocked != @request.auth.id && blocked.role != "admin"`)
		blocks.Fields.Add(
			&core.RelationField{Name: "user", CollectionId: users.Id, Required: true, MaxSelect: 1, CascadeDelete: true, Help: "Server-set: who blocks."},
			&core.RelationField{Name: "blocked", CollectionId: users.Id, Required: true, MaxSelect: 1, CascadeDelete: true, Help: "Who is blocked (never an admin); they are not told."},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		blocks.AddIndex("idx_blocks_pair", true, "user, blocked", "")
		blocks.AddIndex("idx_blocks_blocked", false, "blocked, user", "")
		if err := app.Save(blocks); err != nil {
			return err
		}

		bookmarks := core.NewBaseCollection("bookmarks")
		readable := postReadableFrom("post")
		bookmarks.ListRule = types.Pointer(communityOwner + ` && ` + readable)
		bookmarks.ViewRule = bookmarks.ListRule
		bookmarks.CreateRule = types.Pointer(communitySignedIn + ` && ` + readable)
		bookmarks.DeleteRule = types.Pointer(communityOwner)
		bookmarks.Fields.Add(
			&core.RelationField{Name: "user", CollectionId: users.Id, Required: true, MaxSelect: 1, CascadeDelete: true, Help: "Server-set: whose bookmark."},
			&core.RelationField{Name: "post", CollectionId: posts.Id, Required: true, MaxSelect: 1, CascadeDelete: true},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		bookmarks.AddIndex("idx_bookmarks_pair", true, "user, post", "")
		bookmarks.AddIndex("idx_bookmarks_user_created", false, "user, created", "")
		if err := app.Save(bookmarks); err != nil {
			return err
		}

		categories := core.NewBaseCollection("board_categories")
		categoryRead := `@request.auth.role = "admin" || (board.is_visible = true && (board.read = "public" || ` +
			`(board.read = "members" && @request.auth.id != "") || (board.read = "granted" && @request.auth.boards.id ?= board)))`
		categories.ListRule = types.Pointer(categoryRead)
		categories.ViewRule = types.Pointer(categoryRead)
		categories.CreateRule = types.Pointer(communityAdmin)
		categories.UpdateRule = types.Pointer(communityAdmin + ` && @request.body.board:changed = false`)
		categories.DeleteRule = types.Pointer(communityAdmin)
		categories.Fields.Add(
			&core.RelationField{Name: "board", CollectionId: boards.Id, Required: true, MaxSelect: 1, CascadeDelete: true},
			&core.TextField{Name: "name", Required: true, Min: 1, Max: 32, Presentable: true, Help: "말머리, e.g. 질문, 정보, 잡담."},
			&core.NumberField{Name: "sort", OnlyInt: true, Help: "Order on the board page, smallest first."},
		)
		categories.AddIndex("idx_board_categories_name", true, "board, name COLLATE NOCASE", "")
		if err := app.Save(categories); err != nil {
			return err
		}

		boards.Fields.Add(
			&core.BoolField{Name: "anonymous", Help: "익명게시판: authors show as 익명 (and 익명1, 익명2… per post) to everyone but admins and the writer."},
			&core.BoolField{Name: "category_required", Help: "Every post must carry one of the board's categories."},
			&core.RelationField{Name: "moderation_ai", CollectionId: ais.Id, MaxSelect: 1,
				Help: "A trained text_classifier that scores every new or edited post and comment; admins only."},
			&core.NumberField{Name: "moderation_threshold", Min: types.Pointer(0.0), Max: types.Pointer(1.0),
				Help: "A score above it files a report from the system (0 = the model's default of 0.8)."},
			&core.NumberField{Name: "auto_hide_reports", OnlyInt: true, Min: types.Pointer(0.0),
				Help: "Hide a post or comment once this many distinct members reported it (0 = never); only admins unhide."},
		)
		if err := app.Save(boards); err != nil {
			return err
		}
		posts.Fields.Add(&core.RelationField{Name: "category", CollectionId: categories.Id, MaxSelect: 1,
			Help: "One of the board's categories (말머리); required where the board says so."})
		posts.AddIndex("idx_posts_board_category_created", false, "board, category, created", "")
		// the feeds, across boards; partial, so board pages (whose rule also
		// lists one's own hidden posts) keep their (board, created) index
		posts.AddIndex("idx_posts_visible_created", false, "created", "is_visible = TRUE")
		if err := app.Save(posts); err != nil {
			return err
		}
		users.Fields.Add(&core.JSONField{Name: "notify_mute", MaxSize: 2048,
			Help: `Notification kinds the user does not want, e.g. ["chat","mention"]. Private.`})
		users.Fields.Add(&core.RelationField{Name: "blocking", CollectionId: users.Id, MaxSelect: 2147483647, Hidden: true,
			Help: "Server-set from the blocks collection: whom this user blocks (the read rules use it). Block and unblock with blocks records."})
		if err := app.Save(users); err != nil {
			return err
		}

		// Anonymous boards keep a post's or comment's writer in the hidden
		// anonymous_author, so the rules' "own" reads both. Blocking: a
		// blocked author's posts, comments and messages leave the blocker's
		// lists, views, search and realtime (admins see all).
		comments.Fields.Add(anonymousAuthorField(users))
		content := anonymousRules(newContentRules())
		posts.ListRule = types.Pointer(notBlocked(content.postRead))
		posts.ViewRule = posts.ListRule
		posts.UpdateRule, posts.DeleteRule = types.Pointer(content.postUpdate), types.Pointer(content.postDelete)
		comments.ListRule = types.Pointer(notBlocked(content.commentRead))
		comments.ViewRule = comments.ListRule
		comments.CreateRule = types.Pointer(content.commentCreate)
		comments.UpdateRule, comments.DeleteRule = types.Pointer(content.commentWrite), types.Pointer(content.commentWrite)
		chats.ListRule = types.Pointer(notBlocked(newChatRules().chatRead))
		chats.ViewRule = chats.ListRule
		for _, c := range []*core.Collection{posts, comments, chats} {
			if err := app.Save(c); err != nil {
				return err
			}
		}
		likes := find("post_likes")
		likes.ListRule, likes.ViewRule = types.Pointer(content.likeRead), types.Pointer(content.likeRead)
		likes.CreateRule = types.Pointer(content.likeCreate)
		if err := app.Save(likes); err != nil {
			return err
		}
		// members edit the description of their own jobs, and delete them
		jobs.UpdateRule = types.Pointer(communitySignedIn + ` && user = @request.auth.id`)
		jobs.DeleteRule = types.Pointer(communitySignedIn + ` && (user = @request.auth.id || @request.auth.role = "admin")`)
		return app.Save(jobs)
	}, func(app core.App) error {
		content := newContentRules()
		for name, rules := range map[string][5]string{
			"posts":      {content.postRead, content.postRead, content.postCreate, content.postUpdate, content.postDelete},
			"comments":   {content.commentRead, content.commentRead, content.commentCreate, content.commentWrite, content.commentWrite},
			"post_likes": {content.likeRead, content.likeRead, content.likeCreate, "", content.likeDelete},
			"chats":      {newChatRules().chatRead, newChatRules().chatRead, "", "", ""},
		} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			c.ListRule, c.ViewRule = types.Pointer(rules[0]), types.Pointer(rules[1])
			if name != "chats" {
				c.CreateRule, c.DeleteRule = types.Pointer(rules[2]), types.Pointer(rules[4])
			}
			if name == "posts" || name == "comments" {
				c.UpdateRule = types.Pointer(rules[3])
				c.Fields.RemoveByName("anonymous_author")
			}
			if err := app.Save(c); err != nil {
				return err
			}
		}
		jobs, err := app.FindCollectionByNameOrId("ai_logs")
		if err != nil {
			return err
		}
		jobs.UpdateRule, jobs.DeleteRule = nil, nil
		if err := app.Save(jobs); err != nil {
			return err
		}
		for _, f := range []struct{ collection, field string }{
			{"users", "notify_mute"}, {"users", "blocking"}, {"posts", "category"}, {"boards", "anonymous"}, {"boards", "category_required"},
			{"boards", "moderation_ai"}, {"boards", "moderation_threshold"}, {"boards", "auto_hide_reports"},
		} {
			c, err := app.FindCollectionByNameOrId(f.collection)
			if err != nil {
				return err
			}
			c.Fields.RemoveByName(f.field)
			if f.field == "category" {
				c.RemoveIndex("idx_posts_board_category_created")
				c.RemoveIndex("idx_posts_visible_created")
			}
			if err := app.Save(c); err != nil {
				return err
			}
		}
		for _, name := range []string{"board_categories", "bookmarks", "blocks", "moderation_log", "reports", "notifications"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		return nil
	})
}
