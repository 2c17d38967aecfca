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
	childCount{child: "posts", relation: "board", parent: "boards", counter: "posts_count",
		where: "[[is_visible]] = TRUE"}.bind(app)

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

// childCount keeps parent.counter equal to the number of child records
// whose relation points at the parent and that match where.
//
// Every change is atomic SQL run in the same transaction as the write
// itself: the Execute hooks wrap the INSERT/UPDATE/DELETE (e.Next) in
// RunInTransaction, joining the caller's transaction when there is one (a
// cascade delete, a batch, the CLI's demo). A child's contribution is
// removed before the write and added back after it, both computed by SQLite
// from the stored row, so counts stay exact whatever the request's copy of
// the record says and whoever writes: API, dashboard, CLI or a cascade
// (PocketBase deletes referencing records through app.Delete, inside the
// parent delete's transaction). SQLite serializes writers, so concurrent
// requests cannot interleave inside the transaction.
type childCount struct {
	child, relation, parent, counter, where string
}

func (c childCount) bind(app core.App) {
	// The counter changes by SQL, which realtime does not see: tell the
	// parent's subscribers, after the commit, with the stored count.
	notify := func(e *core.RecordEvent) error {
		c.notifyParent(e.App, e.Record.GetString(c.relation))
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess(c.child).BindFunc(notify)
	app.OnRecordAfterUpdateSuccess(c.child).BindFunc(notify)
	app.OnRecordAfterDeleteSuccess(c.child).BindFunc(notify)

	app.OnRecordCreateExecute(c.child).BindFunc(func(e *core.RecordEvent) error {
		return c.write(e, false, true)
	})
	app.OnRecordUpdateExecute(c.child).BindFunc(func(e *core.RecordEvent) error {
		return c.write(e, true, true)
	})
	app.OnRecordDeleteExecute(c.child).BindFunc(func(e *core.RecordEvent) error {
		return c.write(e, true, false)
	})
}

func (c childCount) write(e *core.RecordEvent, removeBefore, addAfter bool) error {
	original := e.App
	defer func() { e.App = original }()
	return original.RunInTransaction(func(tx core.App) error {
		e.App = tx
		id := e.Record.Id
		if removeBefore {
			if err := c.add(tx, id, -1); err != nil {
				return err
			}
		}
		if err := e.Next(); err != nil {
			return err
		}
		if addAfter {
			return c.add(tx, id, 1)
		}
		return nil
	})
}

func (c childCount) notifyParent(app core.App, parentID string) {
	parents, err := app.FindCachedCollectionByNameOrId(c.parent)
	if err != nil || parentID == "" || !hasSubscribers(app, parents) {
		return
	}
	if parent, err := app.FindRecordById(parents, parentID); err == nil {
		BroadcastUpdate(app, parent)
	}
}

// add adds delta to the counter of the parent of child id, if the stored
// child matches where (no row, no change).
func (c childCount) add(app core.App, id string, delta int) error {
	sql := fmt.Sprintf("UPDATE {{%s}} SET [[%s]] = [[%s]] + {:delta} "+
		"WHERE [[id]] = (SELECT [[%s]] FROM {{%s}} WHERE [[id]] = {:id} AND %s)",
		c.parent, c.counter, c.counter, c.relation, c.child, c.where)
	_, err := app.DB().NewQuery(sql).Bind(dbx.Params{"id": id, "delta": delta}).Execute()
	if err != nil {
		return fmt.Errorf("updating %s.%s for %s %s: %w", c.parent, c.counter, c.child, id, err)
	}
	return nil
}
