package hooks

import (
	"fmt"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// registerPosts binds the boards content: posts here, and comments, likes,
// views and search from their own files.
func registerPosts(app core.App) {
	protectCounters(app, "posts", "views_count", "comments_count", "likes_count")
	app.OnRecordCreateRequest("posts").BindFunc(defaultVisible)
	bindAuthor(app, "posts")
	bindAttachmentsFlag(app, "posts")
	bindFixedFields(app, "posts", "board")
	countedBy{child: "posts", relation: "board", parent: "boards"}.bind(app)

	registerComments(app)
	registerLikes(app)
	registerViews(app)
	registerSearch(app)
}

// bindAuthor makes author the requester on every API create, whatever the
// client sent, and keeps it on updates. Superusers (the dashboard) may set
// it: they post on behalf of someone.
func bindAuthor(app core.App, collection string) {
	app.OnRecordCreateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error {
		if !e.HasSuperuserAuth() {
			if e.Auth == nil {
				return e.UnauthorizedError("Sign in to write.", nil)
			}
			e.Record.Set("author", e.Auth.Id)
		}
		return e.Next()
	})
	app.OnRecordUpdateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error {
		if !e.HasSuperuserAuth() {
			e.Record.Set("author", e.Record.Original().Get("author"))
		}
		return e.Next()
	})
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

// bindFixedFields refuses, for every writer, an update that moves the record
// to another parent: counters and permissions were decided for the old one.
// It compares with the stored row, not record.Original(): a record saved
// by app.Save keeps a blank Original until it is fetched again.
func bindFixedFields(app core.App, collection string, fields ...string) {
	app.OnRecordUpdate(collection).BindFunc(func(e *core.RecordEvent) error {
		stored := dbx.NullStringMap{}
		err := e.App.DB().Select(fields...).From(collection).
			Where(dbx.HashExp{"id": e.Record.LastSavedPK()}).One(stored)
		if err != nil {
			return fmt.Errorf("reading %s %s: %w", collection, e.Record.LastSavedPK(), err)
		}
		errs := validation.Errors{}
		for _, f := range fields {
			if e.Record.GetString(f) != stored[f].String {
				errs[f] = validation.NewError("fixed_field", "The "+f+" cannot change after create; create a new record instead.")
			}
		}
		if len(errs) > 0 {
			return errs
		}
		return e.Next()
	})
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
	if err != nil || parentID == "" || !hasSubscribers(app, parents) {
		return
	}
	if parent, err := app.FindRecordById(parents, parentID); err == nil {
		BroadcastUpdate(app, parent)
	}
}
