package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/realtime"
)

func registerPosts(app core.App) {
	access.Counters(app, access.CollectionNamePosts, "views_count", "comments_count", "likes_count")
	access.DefaultTrue(app, access.CollectionNamePosts, "is_visible")
	access.ServerSet(app, access.CollectionNamePosts, access.Requester("author", "Sign in to write."), "author", "anonymous_author")
	access.Fixed(app, access.CollectionNamePosts, "board")
	access.Trimmed(app, access.CollectionNamePosts, "title", "content")
	bindAttachmentsFlag(app, access.CollectionNamePosts)
	countedBy{child: access.CollectionNamePosts, relation: "board", parent: access.CollectionNameBoards}.bind(app)
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
// does not see those UPDATEs, so after the commit the parent's subscribers
// get an update event with the stored counts.
type countedBy struct {
	child, relation, parent string
}

func (c countedBy) bind(app core.App) {
	notify := func(e *core.RecordEvent) error {
		c.notifyParent(e.App, e.Record.GetString(c.relation))
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess(c.child).BindFunc(notify)
	app.OnRecordAfterUpdateSuccess(c.child).BindFunc(notify)
	app.OnRecordAfterDeleteSuccess(c.child).BindFunc(notify)
}

func (c countedBy) notifyParent(app core.App, parentID string) {
	parents, err := app.FindCachedCollectionByNameOrId(c.parent)
	if err != nil || parentID == "" || !realtime.HasSubscribers(app, parents) {
		return
	}
	if parent, err := app.FindRecordById(parents, parentID); err == nil {
		realtime.Deliver(app, realtime.Event{Action: "update", Record: parent})
	}
}
