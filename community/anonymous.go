package community

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"madang/internal/access"
	"madang/internal/txn"
)

// Anonymous boards (익명게시판). A post or comment written on a board with
// `anonymous` keeps its writer in the hidden anonymous_author and an empty
// author, from its first save: filters, sorts and expands of author
// select, order and show nothing for it, and no path can leak what the
// database does not hold there. Responses add anonymous_label (익명 for the
// post, 익명1, 익명2… per commenter in the order they first commented,
// 익명(글쓴이) for the post's writer), and show admins and the writer
// themself the author. A board made anonymous later keeps the names of the
// posts written before.
const (
	LabelAnonymous = "익명"
	LabelWriter    = "익명(글쓴이)"
)

// goneWriter starts the mark that replaces a deleted account's id as the
// writer of its anonymous posts and comments: no user id has a '-', so it
// is nobody's, and one mark per account keeps the labels (익명N,
// 익명(글쓴이)) as they were.
const goneWriter = "gone-"

func registerAnonymous(app core.App) {
	hide := func(e *core.RecordEvent) error {
		if author := e.Record.GetString("author"); author != "" && anyAnonymousBoard(e.App) && boardFactsOf(e.App, contentBoard(e.App, e.Record)).anonymous {
			e.Record.Set("anonymous_author", author)
			e.Record.Set("author", "")
		}
		return e.Next()
	}
	app.OnRecordCreate(access.CollectionNamePosts).BindFunc(hide)
	app.OnRecordCreate(access.CollectionNameComments).BindFunc(hide)
	// numberCommenter's SQL alone writes the numbers: until 2026-12-03 a
	// superuser's edit could store {"<member>":"abc"}, and the member was
	// then labelled as the post's writer
	access.ServerKept(app, access.CollectionNamePosts, "anonymous_commenters")
	labels := &commenterLabels{byPost: map[string]map[string]int{}}
	forget := func(e *core.RecordEvent) error {
		labels.forget(e.Record.GetString("post"))
		return e.Next()
	}
	app.OnRecordCreateExecute(access.CollectionNameComments).BindFunc(numberCommenter)
	app.OnRecordAfterCreateSuccess(access.CollectionNameComments).BindFunc(forget)
	// A deleted account's anonymous writing keeps its labels, its updated
	// time, and sends no event: nothing tells readers which anonymous
	// posts and comments were that member's. anonymous_author is text, not
	// a relation, so PocketBase's delete re-saves none of them (until
	// 2026-12-04 it emptied it in each, live); the id is replaced by SQL in
	// the delete's transaction.
	app.OnRecordDeleteExecute(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		return txn.Around(e, func(tx core.App) error { return markWriterGone(tx, e.Record.Id) })
	})
	app.OnRecordAfterDeleteSuccess(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		labels.forgetAll()
		return e.Next()
	})

	access.BindEnrichWhen(app, access.CollectionNamePosts, "anonymous_author", func(e *core.RecordEnrichEvent) error {
		if writer := e.Record.GetString("anonymous_author"); writer != "" {
			e.Record.WithCustomData(true)
			e.Record.Set("anonymous_label", LabelAnonymous)
			revealTo(e, writer)
		}
		return e.Next()
	})
	access.BindEnrichWhen(app, access.CollectionNameComments, "anonymous_author", func(e *core.RecordEnrichEvent) error {
		if writer := e.Record.GetString("anonymous_author"); writer != "" {
			e.Record.WithCustomData(true)
			e.Record.Set("anonymous_label", labels.of(e.App, e.Record.GetString("post"), writer))
			revealTo(e, writer)
		}
		return e.Next()
	})
}

// revealTo shows the writer as author to admins, superusers and the writer
// (while the account exists).
func revealTo(e *core.RecordEnrichEvent, writer string) {
	if strings.HasPrefix(writer, goneWriter) {
		return
	}
	if access.IsStaff(e.RequestInfo) || (access.UserOf(e.RequestInfo.Auth) != nil && e.RequestInfo.Auth.Id == writer) {
		e.Record.Set("author", writer)
	}
}

// writerOf is who wrote a post or comment: its author, or its anonymous
// writer.
func writerOf(record *core.Record) string {
	return writer(record.GetString("author"), record.GetString("anonymous_author"))
}

// writer is writerOf for a row's author and anonymous_author columns.
func writer(author, anonymousAuthor string) string {
	if author != "" {
		return author
	}
	return anonymousAuthor
}

// markWriterGone replaces user id as the writer of anonymous posts and
// comments, and as a numbered commenter, with one new goneWriter mark. The
// writers are found through idx_*_anonymous_author; the numbers on every
// post (a deleted comment keeps its writer's number, so the posts they
// still comment on are not all), the JSON read only where the id occurs.
func markWriterGone(tx core.App, id string) error {
	params := dbx.Params{"id": id, "gone": goneWriter + security.RandomStringWithAlphabet(10, "abcdefghijklmnopqrstuvwxyz0123456789")}
	for _, q := range []string{
		`UPDATE {{posts}} SET [[anonymous_author]] = {:gone} WHERE [[anonymous_author]] = {:id}`,
		`UPDATE {{comments}} SET [[anonymous_author]] = {:gone} WHERE [[anonymous_author]] = {:id}`,
		`UPDATE {{posts}} SET [[anonymous_commenters]] = json_set(json_remove([[anonymous_commenters]], '$."' || {:id} || '"'),
				'$."' || {:gone} || '"', json_extract([[anonymous_commenters]], '$."' || {:id} || '"'))
			WHERE instr([[anonymous_commenters]], {:id}) > 0
				AND json_valid([[anonymous_commenters]]) AND json_extract([[anonymous_commenters]], '$."' || {:id} || '"') IS NOT NULL`,
	} {
		if _, err := tx.DB().NewQuery(q).Bind(params).Execute(); err != nil {
			return fmt.Errorf("marking the anonymous writing of deleted user %s: %w", id, err)
		}
	}
	return nil
}

// numberCommenter gives an anonymous commenter their number on the post,
// at their first comment, in the comment's transaction: one more than the
// post's numbered commenters (the post's writer is 익명(글쓴이), no number).
// The number stays when their comments go.
func numberCommenter(e *core.RecordEvent) error {
	writer := e.Record.GetString("anonymous_author")
	if writer == "" {
		return e.Next()
	}
	return txn.Around(e, func(tx core.App) error {
		_, err := tx.DB().NewQuery(`UPDATE {{posts}} SET [[anonymous_commenters]] = json_set(
				COALESCE(NULLIF([[anonymous_commenters]], ''), '{}'), '$."' || {:writer} || '"',
				(SELECT COUNT(*) FROM json_each(COALESCE(NULLIF([[anonymous_commenters]], ''), '{}'))) + 1)
			WHERE [[id]] = {:post} AND [[anonymous_author]] != {:writer}
				AND json_extract(COALESCE(NULLIF([[anonymous_commenters]], ''), '{}'), '$."' || {:writer} || '"') IS NULL`).
			Bind(dbx.Params{"writer": writer, "post": e.Record.GetString("post")}).Execute()
		if err != nil {
			return fmt.Errorf("numbering the anonymous commenter of post %s: %w", e.Record.GetString("post"), err)
		}
		return nil
	})
}

// commenterLabels reads the anonymous commenters' numbers of each post
// (posts.anonymous_commenters), cached per post until a comment is added.
type commenterLabels struct {
	mu     sync.Mutex
	byPost map[string]map[string]int // post → writer → number (0: the post's writer)
}

func (l *commenterLabels) forget(post string) {
	l.mu.Lock()
	delete(l.byPost, post)
	l.mu.Unlock()
}

// forgetAll drops every post's numbers: a deleted account's writer id
// became its mark in them.
func (l *commenterLabels) forgetAll() {
	l.mu.Lock()
	clear(l.byPost)
	l.mu.Unlock()
}

func (l *commenterLabels) of(app core.App, post, writer string) string {
	l.mu.Lock()
	numbers, ok := l.byPost[post]
	l.mu.Unlock()
	if _, known := numbers[writer]; ok && !known && strings.HasPrefix(writer, goneWriter) {
		ok = false // read before the account's deletion committed
	}
	if !ok {
		var row struct {
			Writer     string `db:"anonymous_author"`
			Commenters string `db:"anonymous_commenters"`
		}
		_ = app.DB().Select("anonymous_author", "anonymous_commenters").From(access.CollectionNamePosts).
			Where(dbx.HashExp{"id": post}).One(&row)
		numbers = commenterNumbers(row.Commenters)
		if row.Writer != "" {
			numbers[row.Writer] = 0
		}
		l.mu.Lock()
		if len(l.byPost) > 10_000 {
			clear(l.byPost)
		}
		l.byPost[post] = numbers
		l.mu.Unlock()
	}
	switch num, found := numbers[writer]; {
	case !found:
		return LabelAnonymous
	case num == 0:
		return LabelWriter
	default:
		return LabelAnonymous + strconv.Itoa(num)
	}
}

// commenterNumbers reads a post's anonymous_commenters: writer → number,
// the whole numbers from 1 only. Anything else stored there (the database
// edited by hand) is left out, and its writer shown as 익명, never as
// the post's writer (0) or with a made-up number.
func commenterNumbers(stored string) map[string]int {
	var raw map[string]any
	_ = json.Unmarshal([]byte(stored), &raw) // not an object: no numbers
	numbers := make(map[string]int, len(raw))
	for writer, v := range raw {
		if n, ok := v.(float64); ok && n >= 1 && n == math.Trunc(n) && n <= math.MaxInt32 {
			numbers[writer] = int(n)
		}
	}
	return numbers
}
