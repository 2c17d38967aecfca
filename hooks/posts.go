package hooks

import (
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/realtime"
)

func registerPosts(app core.App) {
	access.ServerKept(app, access.CollectionNamePosts, "views_count", "comments_count", "likes_count")
	access.DefaultTrue(app, access.CollectionNamePosts, "is_visible")
	access.KeepOnNull(app, access.CollectionNamePosts, "is_pinned")
	access.ServerSet(app, access.CollectionNamePosts, access.Requester("author", "Sign in to write."), "author", "anonymous_author")
	access.Fixed(app, access.CollectionNamePosts, "board")
	access.Trimmed(app, access.CollectionNamePosts, "title", "content")
	bindAttachmentsFlag(app, access.CollectionNamePosts)
	countedBy{child: access.CollectionNamePosts, relation: "board", parent: access.CollectionNameBoards, when: "is_visible"}.bind(app)
}

// bindAttachmentsFlag derives is_file_attached from attachments on every
// save, so neither clients nor the dashboard can make them disagree.
func bindAttachmentsFlag(app core.App, collection string) {
	derive := func(e *core.RecordEvent) error {
		files, _ := e.Record.Get("attachments").([]any)
		e.Record.Set("is_file_attached", len(files) > 0)
		return e.Next()
	}
	app.OnRecordCreate(collection).BindFunc(derive)
	app.OnRecordUpdate(collection).BindFunc(derive)
}

// countedBy announces a parent's counters to its realtime subscribers
// after a child record changes them. The counters themselves are kept by
// SQLite triggers (pb_migrations/1795900100_posts.go): one atomic UPDATE
// inside the statement that writes the child, whoever writes it. PocketBase
// does not see those UPDATEs, so after the commit the parent is marked,
// and the announcer sends its subscribers an update with the stored counts.
//
// Only a write that changes a count marks the parent: a child counted
// while its `when` field is true (is_visible: the triggers count visible
// posts and comments) marks it when created or deleted so, or when an
// update turns that field. Until 2026-12-04 every save of a child did, so
// the post's followers got an update with unchanged counts each time a
// comment hidden from them, or written by someone they block, was edited:
// its timing told them so.
type countedBy struct {
	child, relation, parent string
	when                    string // the child's field that makes it counted; "" for always
}

func (c countedBy) bind(app core.App) {
	a := announcerOf(app)
	counted := func(r *core.Record) bool { return c.when == "" || r.GetBool(c.when) }
	mark := func(e *core.RecordEvent) error {
		if counted(e.Record) {
			a.mark(c.parent, e.Record.GetString(c.relation))
		}
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess(c.child).BindFunc(mark)
	app.OnRecordAfterDeleteSuccess(c.child).BindFunc(mark)
	// the record as it was loaded before the update (a record saved without
	// being loaded has a blank original, and marks its parent)
	app.OnRecordAfterUpdateSuccess(c.child).BindFunc(func(e *core.RecordEvent) error {
		before := e.Record.Original()
		was, now := before.GetString(c.relation), e.Record.GetString(c.relation)
		if counted(before) != counted(e.Record) || was != now {
			a.mark(c.parent, now)
			if was != now && was != "" {
				a.mark(c.parent, was)
			}
		}
		return e.Next()
	})
}

// announceWindow is how long the announcer gathers marks before it sends:
// a burst of likes or comments on one post becomes one event (the latest
// counts) per window.
const announceWindow = 50 * time.Millisecond

// announcer sends counter updates off the request path: a write only marks
// its parent; one goroutine per app reads each marked parent once per
// window and delivers it (realtime.Deliver checks every follower's rule,
// which a comment's response used to wait for — about a thousand checks a
// comment with a thousand members following the board).
type announcer struct {
	app     core.App
	mu      sync.Mutex
	pending map[[2]string]struct{} // {collection, id}
	wake    chan struct{}
	start   sync.Once
	stop    sync.Once
	done    chan struct{} // closed to stop run
	exited  chan struct{} // closed by run when it returns
}

const announcerKey = "madang.hooks.announcer"

func announcerOf(app core.App) *announcer {
	return app.Store().GetOrSet(announcerKey, func() any {
		a := &announcer{app: app, pending: map[[2]string]struct{}{}, wake: make(chan struct{}, 1),
			done: make(chan struct{}), exited: make(chan struct{})}
		app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
			a.halt() // before e.Next, which closes the database run reads
			return e.Next()
		})
		return a
	}).(*announcer)
}

func (a *announcer) mark(collection, id string) {
	if id == "" {
		return
	}
	a.start.Do(func() { go a.run() })
	a.mu.Lock()
	a.pending[[2]string{collection, id}] = struct{}{}
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// halt stops run and waits for an announce in flight to finish. It may be
// called more than once (tests terminate an app more than once).
func (a *announcer) halt() {
	a.stop.Do(func() {
		started := true
		a.start.Do(func() { started = false }) // and it can no longer start
		close(a.done)
		if started {
			<-a.exited
		}
	})
}

func (a *announcer) run() {
	defer close(a.exited)
	for {
		select {
		case <-a.wake:
		case <-a.done:
			return
		}
		select {
		case <-time.After(announceWindow):
		case <-a.done:
			return
		}
		a.mu.Lock()
		batch := a.pending
		a.pending = map[[2]string]struct{}{}
		a.mu.Unlock()
		for key := range batch {
			a.announce(key[0], key[1])
		}
	}
}

func (a *announcer) announce(collection, id string) {
	parents, err := a.app.FindCachedCollectionByNameOrId(collection)
	if err != nil || !realtime.HasSubscribers(a.app, parents) {
		return
	}
	if parent, err := a.app.FindRecordById(parents, id); err == nil {
		realtime.Deliver(a.app, realtime.Event{Action: "update", Record: parent})
	}
}
