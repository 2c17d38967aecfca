package community

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/access"
	"madang/internal/realtime"
	"madang/internal/sqlite"
	"madang/internal/txn"
)

// Notification kinds, spelled as in the migration.
const (
	KindReply      = "reply"
	KindComment    = "comment"
	KindMention    = "mention"
	KindChat       = "chat"
	KindModeration = "moderation"
	KindBanLifted  = "ban_lifted"
	KindAIJob      = "ai_job"
)

// SlowJob is how long an AI job must take for its end to be notified.
const SlowJob = 10 * time.Second

// MaxUnread bounds a user's unread notifications: past it, the oldest
// unread ones fold (are marked read), so a flood never grows without bound
// and the newest are always there.
const MaxUnread = 200

// FoldBatch is how many unread notifications below MaxUnread a fold
// leaves room for: between folds a user's unread count climbs from
// MaxUnread-FoldBatch back to MaxUnread.
const FoldBatch = 20

// notice is one notification to write.
type notice struct {
	user, kind, text string
	actor            string // shown as who did it: a user id; "" for the system and anonymous writers
	from             string // who did it, so nobody hears of their own act: the actor, or an anonymous writer
	// the target, where one applies; target is the record the user must be
	// able to read (the post, the comment, the message), else nothing is sent
	post, comment, session, message, job string
	target                               *core.Record
	// everyMemberReads: target is readable by any member (everyMemberReads
	// said so), so the recipient's own check is skipped
	everyMemberReads bool
}

// notify writes n with tx — the transaction of the event — unless the user
// acts on their own content, muted the kind, blocked the actor, or may not
// read the target. The owner hears of it live once the transaction
// commits (realtime.DeliverAfterCommit; the notifications rules let only
// the owner read them). Chat messages are notified by chatNotices, folded
// per session.
//
// The row is written by one INSERT … SELECT that also reads the mute list,
// with a constant text (the connection keeps it compiled: internal/sqlite):
// it runs under SQLite's write lock, where every statement and every step
// of a record save holds up the next writer (the notice of a comment cost
// S3 a quarter of its throughput as a record save and two reads). A write
// that can decide its notices before its transaction does so
// (prepareNotice; a comment's: commentNoticesOf) and writes them in it.
func notify(tx core.App, n notice) error {
	p, err := prepareNotice(tx, n)
	if err != nil || p == nil {
		return err
	}
	return p.write(tx)
}

// preparedNotice is a notice decided and built, to be written in the
// event's transaction: the record its owner hears of live, not yet saved.
type preparedNotice struct {
	record *core.Record
}

// prepareNotice decides whether n goes out (nil when not) and builds it. It
// only reads, so a write whose notices it decides before its transaction
// (a comment's: commentNoticesOf) holds SQLite's write lock for the
// INSERT alone.
func prepareNotice(app core.App, n notice) (*preparedNotice, error) {
	if n.from == "" {
		n.from = n.actor
	}
	if n.user == "" || n.from == n.user {
		return nil, nil
	}
	// A block silences the actor. An anonymous writer is nobody's actor:
	// were their notices dropped for who blocked them, a missing notice
	// would tell the blocker who wrote (lists and views do not hide
	// anonymous posts from blockers either).
	if n.actor != "" && access.HasBlocked(app, n.user, n.actor) {
		return nil, nil
	}
	if n.target != nil && !n.everyMemberReads {
		user, err := app.FindRecordById(access.CollectionNameUsers, n.user)
		if err != nil {
			return nil, nil
		}
		info := &core.RequestInfo{Auth: user, Method: http.MethodGet, Context: core.RequestInfoContextDefault}
		if ok, _ := app.CanAccessRecord(n.target, info, n.target.Collection().ViewRule); !ok {
			return nil, nil
		}
	}
	notifications, err := app.FindCachedCollectionByNameOrId(Notifications)
	if err != nil {
		return nil, err
	}
	now := types.NowDateTime()
	record := core.NewRecord(notifications)
	record.Id = core.GenerateDefaultRandomId()
	record.Load(map[string]any{"user": n.user, "kind": n.kind, "count": 1, "actor": n.actor, "post": n.post,
		"comment": n.comment, "session": n.session, "message": n.message, "job": n.job, "text": clip(n.text, 300)})
	// autodate fields ignore Set (and so Load): the live event carried
	// empty created and updated until these two lines
	record.SetRaw("created", now)
	record.SetRaw("updated", now)
	record.MarkAsNotNew()
	return &preparedNotice{record: record}, nil
}

// noticeFields are the columns of a notice written from its record, in
// the order of noticeSQL's parameters.
var noticeFields = []string{"id", "user", "kind", "actor", "post", "comment", "session", "message", "job", "text", "created"}

// write writes the notice with tx, unless its user muted its kind (or is
// gone), delivers it once tx commits and folds its user's oldest unread.
// One notice — a comment's usual one, under the write lock of every
// comment — goes without writeNotices' JSON array (S3 measured 0.93–0.94×
// through it, 0.95–0.98× without), as a plain statement (sqlite.QueryRow:
// dbx's scan of its text cost as much CPU as SQLite's run of it).
func (p *preparedNotice) write(tx core.App) error {
	args := make([]any, len(noticeFields))
	for i, f := range noticeFields {
		args[i] = p.record.GetString(f)
	}
	var written string
	err := sqlite.QueryRow(tx, true, noticeSQL, args, &written)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // muted, or the user is gone
	}
	if err != nil {
		return fmt.Errorf("notifying user %s (%s): %w", p.record.GetString("user"), p.record.GetString("kind"), err)
	}
	realtime.DeliverAfterCommit(tx, realtime.Event{Action: "create", Record: p.record})
	return foldUnread(tx, p.record.GetString("user"))
}

// noticeSQL writes one notice, its parameters noticeFields in order,
// unless its user muted its kind or is gone; RETURNING names it if written.
var noticeSQL = `INSERT INTO notifications (id, "user", kind, "count", actor, post, comment, session, message, job, "text", read_at, created, updated)
	SELECT ?1, u.id, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '', ?11, ?11
	FROM users u WHERE u.id = ?2 AND ` + notMutedFor("?3") + `
	RETURNING id`

// writeNotices writes notices decided before (or in) the transaction tx:
// one statement for all of them (a reply that also notifies the post's
// writer and its mentions: a busy thread's comment notified six people
// with six statements under the write lock), unless there is one; as
// write, it skips who muted their kind or is gone.
func writeNotices(tx core.App, notices []*preparedNotice) error {
	switch len(notices) {
	case 0:
		return nil
	case 1:
		return notices[0].write(tx)
	}
	fields := noticeFields
	rows := make([]map[string]string, len(notices))
	byID := make(map[string]*preparedNotice, len(notices))
	for i, p := range notices {
		rows[i] = make(map[string]string, len(fields))
		for _, f := range fields {
			rows[i][f] = p.record.GetString(f)
		}
		byID[p.record.Id] = p
	}
	data, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	var written []string
	err = tx.DB().NewQuery(`INSERT INTO {{notifications}} ([[id]], [[user]], [[kind]], [[count]], [[actor]], [[post]],
			[[comment]], [[session]], [[message]], [[job]], [[text]], [[read_at]], [[created]], [[updated]])
		SELECT [[r.id]], [[u.id]], [[r.kind]], 1, [[r.actor]], [[r.post]], [[r.comment]], [[r.session]], [[r.message]], [[r.job]],
			[[r.text]], '', [[r.created]], [[r.created]]
		FROM (SELECT json_extract([[value]], '$.id') AS [[id]], json_extract([[value]], '$.user') AS [[user]],
				json_extract([[value]], '$.kind') AS [[kind]], json_extract([[value]], '$.actor') AS [[actor]],
				json_extract([[value]], '$.post') AS [[post]], json_extract([[value]], '$.comment') AS [[comment]],
				json_extract([[value]], '$.session') AS [[session]], json_extract([[value]], '$.message') AS [[message]],
				json_extract([[value]], '$.job') AS [[job]],
				json_extract([[value]], '$.text') AS [[text]], json_extract([[value]], '$.created') AS [[created]]
			FROM json_each({:rows})) [[r]]
		JOIN {{users}} [[u]] ON [[u.id]] = [[r.user]]
		WHERE ` + notMutedFor("[[r.kind]]") + `
		RETURNING [[id]]`).Bind(dbx.Params{"rows": string(data)}).Column(&written)
	if err != nil {
		return fmt.Errorf("notifying %d users: %w", len(notices), err)
	}
	for _, id := range written {
		p := byID[id]
		if p == nil {
			continue
		}
		realtime.DeliverAfterCommit(tx, realtime.Event{Action: "create", Record: p.record})
		if err := foldUnread(tx, p.record.GetString("user")); err != nil {
			return err
		}
	}
	return nil
}

// notMuted is the condition, on a users row aliased u, that u has not
// muted the notification kind bound as {:kind} (in dbx's statements).
var notMuted = notMutedFor("{:kind}")

// notMutedFor is the condition, on a users row aliased u, that u has not
// muted the notification kind the SQL expression kind names: one
// definition for the notices written one by one (notify), several at once
// (writeNotices) and per chat (chatNotices).
func notMutedFor(kind string) string {
	// plain identifiers: it serves dbx's statements and plain ones alike
	return `NOT EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(u.notify_mute) THEN u.notify_mute ELSE '[]' END)
	WHERE value = ` + kind + `)`
}

// foldUnread keeps user's unread notifications at most MaxUnread: once a
// notice takes them past it, the oldest fold (are marked read) down to
// MaxUnread-FoldBatch, so a busy user's notices fold a batch at a time
// instead of one row per notice. The count and the fold read only the
// (user, read_at, created) index (by rowid: no table lookup per row).
//
// Counting walks up to MaxUnread index entries, on every notice of a busy
// user (a tenth of S3's throughput, where every author sits near the cap),
// so the app keeps an upper bound of each counted user's unread notices:
// while the bound stays at or below MaxUnread, a notice only raises it and
// nothing is counted — after a fold, the next FoldBatch notices cost no
// count. Every notice Madang writes comes through here, and reads only
// lower the real number, so the bound holds; it is set from a count only
// once that count's transaction committed.
func foldUnread(tx core.App, user string) error {
	bounds := unreadBoundsOf(tx)
	if bounds.raise(user) {
		return nil
	}
	var unread int
	err := tx.DB().NewQuery(`SELECT COUNT(*) FROM {{notifications}} WHERE [[user]] = {:user} AND [[read_at]] = ''`).
		Bind(dbx.Params{"user": user}).Row(&unread)
	if err != nil {
		return err
	}
	if unread > MaxUnread {
		_, err = tx.DB().NewQuery(`UPDATE {{notifications}} SET [[read_at]] = {:now}
			WHERE [[rowid]] IN (SELECT [[rowid]] FROM {{notifications}} WHERE [[user]] = {:user} AND [[read_at]] = ''
				ORDER BY [[created]] DESC, [[rowid]] DESC LIMIT -1 OFFSET {:keep})`).
			Bind(dbx.Params{"now": types.NowDateTime().String(), "user": user, "keep": MaxUnread - FoldBatch}).Execute()
		if err != nil {
			return err
		}
		unread = MaxUnread - FoldBatch
	}
	if info := tx.TxInfo(); info != nil {
		info.OnComplete(func(txErr error) error {
			if txErr == nil {
				bounds.set(user, unread)
			}
			return nil
		})
	} else {
		bounds.set(user, unread)
	}
	return nil
}

// unreadBounds maps users to an upper bound of their unread notifications
// (see foldUnread); a user it does not know gets counted.
type unreadBounds struct {
	mu sync.Mutex
	of map[string]int
}

// maxBoundedUsers caps unreadBounds; past it, the map starts over.
const maxBoundedUsers = 100_000

const unreadBoundsKey = "madang.community.unreadBounds"

func unreadBoundsOf(app core.App) *unreadBounds {
	return app.Store().GetOrSet(unreadBoundsKey, func() any { return &unreadBounds{of: map[string]int{}} }).(*unreadBounds)
}

// raise counts one more unread notice for user and tells whether the bound
// is known and stays at or below MaxUnread.
func (b *unreadBounds) raise(user string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.of[user]
	if !ok || n+1 > MaxUnread {
		return false
	}
	b.of[user] = n + 1
	return true
}

func (b *unreadBounds) set(user string, unread int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.of[user]; !ok && len(b.of) >= maxBoundedUsers {
		clear(b.of)
	}
	b.of[user] = unread
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// quote is what a notice quotes of a record: field, found by about (every
// notice about it: hiding a post unquotes those of its comments too) or
// edited (the notices quoting that field itself).
type quote struct {
	collection, field string
	about, edited     string
}

var quotes = []quote{
	{access.CollectionNamePosts, "title", `[[post]] = {:id}`, `[[post]] = {:id} AND [[comment]] = ''`},
	{access.CollectionNameComments, "content", `[[comment]] = {:id}`, `[[comment]] = {:id}`},
	// by the message the notice names (migration 1795900860): until
	// 2026-12-03 by session and text, so whoever wrote the same words and
	// then edited or hid their own message rewrote or emptied the notices
	// quoting someone else's
	{access.CollectionNameChats, "content", `[[message]] = {:id}`, `[[message]] = {:id}`},
}

// requote sets the text of the notices where says they quote e.Record to
// text, in e's transaction, then goes on with e. Their owners hear of it
// live once it commits: until 2026-12-05 a bell open on a notice kept
// quoting a post hidden since (or its text before a moderator's edit).
func requote(e *core.RecordEvent, q quote, where, text string) error {
	return txn.Around(e, func(tx core.App) error {
		var ids []string
		err := tx.DB().NewQuery(`UPDATE {{notifications}} SET [[text]] = {:text}, [[updated]] = {:now}
			WHERE [[kind]] IN ('reply', 'comment', 'mention', 'chat') AND [[text]] != '' AND ` + where + `
			RETURNING [[id]]`).
			Bind(dbx.Params{"id": e.Record.Id, "text": clip(text, 300), "now": types.NowDateTime().String()}).Column(&ids)
		if err != nil {
			return fmt.Errorf("requoting the notices of %s %s: %w", q.collection, e.Record.Id, err)
		}
		return announceChanged(tx, ids)
	})
}

// announceChanged sends the notices ids, changed with SQL in tx, to their
// owners once tx commits: an update event each, as a save would.
func announceChanged(tx core.App, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	changed, err := tx.FindRecordsByIds(Notifications, ids)
	if err != nil {
		return err
	}
	for _, n := range changed {
		realtime.DeliverAfterCommit(tx, realtime.Event{Action: "update", Record: n})
	}
	return nil
}

// unquoteDeleted empties the quote of the notices naming the chat message
// e deletes, and their message, in the delete's transaction: the notices
// stay (a chat notice stands for the session's later messages too), and
// their owners hear of it live once it commits. It
// runs before PocketBase unsets the references to the message, which
// would otherwise save each notice naming it, one by one, with an update
// event each: inside a transaction already (a session's delete deleting
// its messages), txn.Around's after would run only after that, so the
// notices are unquoted first there.
func unquoteDeleted(e *core.RecordEvent) error {
	unquote := func(tx core.App) error {
		var ids []string
		err := tx.DB().NewQuery(`UPDATE {{notifications}} SET [[text]] = '', [[message]] = '', [[updated]] = {:now}
			WHERE [[message]] = {:id} RETURNING [[id]]`).
			Bind(dbx.Params{"id": e.Record.Id, "now": types.NowDateTime().String()}).Column(&ids)
		if err != nil {
			return fmt.Errorf("unquoting the notices of deleted chat message %s: %w", e.Record.Id, err)
		}
		return announceChanged(tx, ids)
	}
	if e.App.IsTransactional() {
		if err := unquote(e.App); err != nil {
			return err
		}
		return e.Next()
	}
	return txn.Around(e, unquote)
}

// readChatNotice marks read, with tx, the unread chat notice of mark's
// user and session written before the mark's last_read_at (one at most:
// idx_notifications_chat_unread); its owner hears of it live once tx
// commits, as of every notice written with SQL. A read only lowers the
// unread count, so foldUnread's bound still holds.
func readChatNotice(tx core.App, mark *core.Record) error {
	now := types.NowDateTime().String()
	var ids []string
	err := tx.DB().NewQuery(`UPDATE {{notifications}} SET [[read_at]] = {:now}, [[updated]] = {:now}
		WHERE [[user]] = {:user} AND [[session]] = {:session} AND [[kind]] = 'chat' AND [[read_at]] = ''
			AND [[created]] <= {:read}
		RETURNING [[id]]`).Bind(dbx.Params{"now": now, "user": mark.GetString("user"), "session": mark.GetString("session"),
		"read": mark.GetDateTime("last_read_at").String()}).Column(&ids)
	if err != nil {
		return fmt.Errorf("reading the chat notice of user %s in session %s: %w", mark.GetString("user"), mark.GetString("session"), err)
	}
	return announceChanged(tx, ids)
}

func registerNotifications(app core.App) {
	// notify_mute is a list of notification kinds (CONTRACT.md): anything
	// else is refused, naming the field, rather than stored and ignored. A
	// save that leaves the stored value as it is (a ban, a sign-out) is not
	// held up by one stored before this check.
	app.OnRecordValidate(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		raw := func(r *core.Record) string { v, _ := r.GetRaw("notify_mute").(types.JSONRaw); return string(v) }
		mute := raw(e.Record)
		if !e.Record.IsNew() && mute == raw(e.Record.Original()) {
			return e.Next()
		}
		if err := checkMuteList(e.App, mute); err != nil {
			return validation.Errors{"notify_mute": err}
		}
		return e.Next()
	})
	// A notice quotes what it is about: a post's title, a comment, a chat
	// message. The quote follows it, in the same write's transaction: an
	// edit (a moderator's redaction of a phone number) replaces it; once it
	// is hidden, others may no longer read it, so the notices quoting it
	// stop quoting (text emptied), and deleting it deletes them (cascade).
	// A chat or mention notice about a chat message names the message
	// (message; a chat notice, the one that started it), and a message's
	// delete empties it and its quote. Until 2026-12-03 edits never reached
	// the quotes, and a deleted chat message stayed quoted, as did one
	// edited before it was hidden.
	for _, q := range quotes {
		app.OnRecordUpdateExecute(q.collection).BindFunc(func(e *core.RecordEvent) error {
			before, after := e.Record.Original().GetString(q.field), e.Record.GetString(q.field)
			switch {
			case !e.Record.GetBool("is_visible"):
				return requote(e, q, q.about, "")
			case after != before:
				return requote(e, q, q.edited, after)
			}
			return e.Next()
		})
	}
	app.OnRecordDeleteExecute(access.CollectionNameChats).BindFunc(unquoteDeleted)
	// Reading a chat reads its "new messages here" notice: a read mark
	// (POST /api/chat/sessions/{id}/read) marks its user's unread chat
	// notice of the session read, in the mark's transaction. Until
	// 2026-12-03 the bell kept it after the chat was read, and while it
	// stayed unread no later message was notified.
	readChat := func(e *core.RecordEvent) error {
		return txn.Around(e, func(tx core.App) error { return readChatNotice(tx, e.Record) })
	}
	app.OnRecordCreateExecute(access.CollectionNameChatReads).BindFunc(readChat)
	app.OnRecordUpdateExecute(access.CollectionNameChatReads).BindFunc(readChat)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		users := apis.RequireAuth(access.CollectionNameUsers)
		e.Router.GET("/api/notifications/unread", unreadNotifications).Bind(users)
		e.Router.POST("/api/notifications/read", markNotificationsRead).Bind(users)
		return e.Next()
	})
	// a finished AI job that took a while, unless its user watches it live
	// (a quick job's result is on the page that asked for it) or ended it
	// (a cancel of their own: never about my own actions)
	app.OnRecordUpdateExecute(access.CollectionNameAILogs).BindFunc(func(e *core.RecordEvent) error {
		took := e.Record.GetDateTime("finished_at").Time().Sub(e.Record.GetDateTime("created").Time())
		if !e.Record.GetBool("is_finished") || took < SlowJob {
			return e.Next()
		}
		var wasFinished bool
		err := e.App.DB().Select("is_finished").From(access.CollectionNameAILogs).Where(dbx.HashExp{"id": e.Record.Id}).Row(&wasFinished)
		user := e.Record.GetString("user")
		by := access.WrittenBy(e.App, e.Record).User
		if err != nil || wasFinished || by != nil && by.Id == user || realtime.Watching(e.App, user, "ai_logs/"+e.Record.Id, "ai_logs/*") {
			return e.Next()
		}
		return txn.Around(e, func(tx core.App) error {
			return notify(tx, notice{user: user, kind: KindAIJob, job: e.Record.Id,
				text: "Your AI job " + e.Record.GetString("status") + "."})
		})
	})
}

// checkMuteList refuses a notify_mute value that is not null or a list
// of notification kinds (the notifications kind field's values).
func checkMuteList(app core.App, raw string) error {
	var kinds []string
	if err := json.Unmarshal([]byte(raw), &kinds); raw != "" && err != nil {
		return validation.NewError("validation_invalid_mute_list",
			`Give the notification kinds to mute as a list, e.g. ["chat","mention"].`)
	}
	notifications, err := app.FindCachedCollectionByNameOrId(Notifications)
	if err != nil {
		return err
	}
	field, _ := notifications.Fields.GetByName("kind").(*core.SelectField)
	if field == nil {
		return nil
	}
	for _, k := range kinds {
		if !slices.Contains(field.Values, k) {
			return validation.NewError("validation_invalid_mute_list",
				fmt.Sprintf("%q is not a notification kind; the kinds are %s.", k, strings.Join(field.Values, ", ")))
		}
	}
	return nil
}

// unreadNotifications answers GET /api/notifications/unread:
// {"total": n, "kinds": {kind: n}}, of the unread notices the requester
// may list (the ListRule: not those about a board or chat they no longer
// reach, or by someone they blocked). A user has at most MaxUnread.
func unreadNotifications(e *core.RequestEvent) error {
	notifications, err := e.App.FindCachedCollectionByNameOrId(Notifications)
	if err != nil {
		return err
	}
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	q := e.App.DB().Select("{{notifications}}.[[id]]", "{{notifications}}.[[kind]]").Distinct(true).
		From(Notifications).Where(dbx.HashExp{"notifications.user": e.Auth.Id, "notifications.read_at": ""})
	var rows []struct {
		ID   string `db:"id"`
		Kind string `db:"kind"`
	}
	ok, err := access.Where(e.App, notifications, notifications.ListRule, info, q)
	if err != nil {
		return err
	}
	if ok { // else a rule that lets nobody list: none unread
		if err := q.All(&rows); err != nil {
			return fmt.Errorf("counting the unread notifications of user %s: %w", e.Auth.Id, err)
		}
	}
	kinds := map[string]int{}
	for _, r := range rows {
		kinds[r.Kind]++
	}
	return e.JSON(http.StatusOK, map[string]any{"total": len(rows), "kinds": kinds})
}

// markNotificationsRead answers POST /api/notifications/read with
// {"ids": [...]} or {"all": true}: the requester's own notifications among
// them that they may list (the ListRule, as unreadNotifications counts)
// are marked read (others' ids are ignored, not revealed). It answers
// {"marked": n}: as many as leave the unread count. Until 2026-12-04 it
// also marked those the list hides (of a board or chat no longer reached,
// by someone blocked since), which came back read once reached again.
func markNotificationsRead(e *core.RequestEvent) error {
	var body struct {
		IDs []string `json:"ids" form:"ids"`
		All bool     `json:"all" form:"all"`
	}
	// one or the other: until 2026-12-04 {"ids": […], "all": true} marked
	// everything, though the client named which
	if err := e.BindBody(&body); err != nil || body.All == (len(body.IDs) > 0) || len(body.IDs) > 500 {
		return e.BadRequestError(`Send {"ids": ["…"]} (at most 500) or {"all": true}.`, err)
	}
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	where := dbx.And(dbx.HashExp{"notifications.user": e.Auth.Id, "notifications.read_at": ""})
	if !body.All {
		ids := make([]any, len(body.IDs))
		for i, id := range body.IDs {
			ids[i] = id
		}
		where = dbx.And(where, dbx.In("notifications.id", ids...))
	}
	var records []*core.Record
	err = e.App.RunInTransaction(func(tx core.App) error {
		notifications, err := tx.FindCachedCollectionByNameOrId(Notifications)
		if err != nil {
			return err
		}
		q := tx.DB().Select("{{notifications}}.[[id]]").Distinct(true).From(Notifications).Where(where)
		ok, err := access.Where(tx, notifications, notifications.ListRule, info, q)
		if err != nil || !ok { // a rule that lets nobody list: none to mark
			return err
		}
		var ids []string
		if err := q.Column(&ids); err != nil {
			return err
		}
		if records, err = tx.FindRecordsByIds(Notifications, ids); err != nil {
			return err
		}
		now := types.NowDateTime()
		for _, r := range records {
			r.Set("read_at", now)
			if err := tx.Save(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("marking notifications read for user %s: %w", e.Auth.Id, err)
	}
	return e.JSON(http.StatusOK, map[string]any{"marked": len(records)})
}
