package community

import (
	"strconv"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
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
	labels := &commenterLabels{byPost: map[string]map[string]int{}}
	forget := func(e *core.RecordEvent) error {
		labels.forget(e.Record.GetString("post"))
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess(access.CollectionNameComments).BindFunc(forget)
	app.OnRecordAfterDeleteSuccess(access.CollectionNameComments).BindFunc(forget)

	access.BindEnrich(app, access.CollectionNamePosts, func(e *core.RecordEnrichEvent) error {
		if writer := e.Record.GetString("anonymous_author"); writer != "" {
			e.Record.WithCustomData(true)
			e.Record.Set("anonymous_label", LabelAnonymous)
			revealTo(e, writer)
		}
		return e.Next()
	})
	access.BindEnrich(app, access.CollectionNameComments, func(e *core.RecordEnrichEvent) error {
		if writer := e.Record.GetString("anonymous_author"); writer != "" {
			e.Record.WithCustomData(true)
			e.Record.Set("anonymous_label", labels.of(e.App, e.Record.GetString("post"), writer))
			revealTo(e, writer)
		}
		return e.Next()
	})
}

// revealTo shows the writer as author to admins, superusers and the writer.
func revealTo(e *core.RecordEnrichEvent, writer string) {
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

// commenterLabels numbers the anonymous commenters of each post, cached
// per post until its comments change.
type commenterLabels struct {
	mu     sync.Mutex
	byPost map[string]map[string]int // post → writer → number (0: the post's writer)
}

func (l *commenterLabels) forget(post string) {
	l.mu.Lock()
	delete(l.byPost, post)
	l.mu.Unlock()
}

func (l *commenterLabels) of(app core.App, post, writer string) string {
	l.mu.Lock()
	numbers, ok := l.byPost[post]
	l.mu.Unlock()
	if !ok {
		numbers = map[string]int{}
		var postWriter string
		_ = app.DB().Select("anonymous_author").From(access.CollectionNamePosts).Where(dbx.HashExp{"id": post}).Row(&postWriter)
		var writers []string
		_ = app.DB().NewQuery(`SELECT [[anonymous_author]] FROM {{comments}} WHERE [[post]] = {:post} AND [[anonymous_author]] != ''
			GROUP BY [[anonymous_author]] ORDER BY MIN([[created]]), MIN([[id]])`).Bind(dbx.Params{"post": post}).Column(&writers)
		n := 0
		for _, w := range writers {
			if w == postWriter {
				numbers[w] = 0
				continue
			}
			n++
			numbers[w] = n
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
