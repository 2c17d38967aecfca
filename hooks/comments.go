package hooks

import (
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

func registerComments(app core.App) {
	access.DefaultTrue(app, access.CollectionNameComments, "is_visible")
	access.ServerSet(app, access.CollectionNameComments, access.Requester("author", "Sign in to write."), "author", "anonymous_author")
	access.Fixed(app, access.CollectionNameComments, "post", "parent")
	access.Trimmed(app, access.CollectionNameComments, "content")
	bindAttachmentsFlag(app, access.CollectionNameComments)
	app.OnRecordCreateRequest(access.CollectionNameComments).BindFunc(readableParent)
	app.OnRecordValidate(access.CollectionNameComments).BindFunc(validateParent)
	countedBy{child: access.CollectionNameComments, relation: "post", parent: access.CollectionNamePosts, when: "is_visible"}.bind(app)
}

// missingParent is the answer to a reply to a comment that does not exist,
// or that the requester cannot read.
var missingParent = validation.Errors{"parent": validation.NewError("validation_missing_rel_records",
	"The comment replied to does not exist.")}

// readableParent refuses a reply to a comment the requester cannot read
// (the comments view rule: hidden by a moderator, written by someone they
// block, under a post they cannot read; admins and superusers read all) as
// a reply to a missing one, before anything else is checked, so the answer
// tells nothing of an id they cannot read. Until 2026-12-03 members threaded
// under comments a moderator had hidden, notifying their authors, and a
// comment of a board they could not read answered parent_other_post.
func readableParent(e *core.RecordRequestEvent) error {
	parentID := e.Record.GetString("parent")
	if parentID == "" {
		return e.Next()
	}
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	parent, err := e.App.FindRecordById(access.CollectionNameComments, parentID)
	if err == nil {
		if ok, _ := e.App.CanAccessRecord(parent, info, parent.Collection().ViewRule); ok {
			return e.Next()
		}
	}
	return e.BadRequestError("Failed to create record.", missingParent)
}

// validateParent keeps threads one level deep: a reply answers a top-level
// comment of the same post. Checked after the field validators, so parent
// is known to exist.
func validateParent(e *core.RecordEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	parentID := e.Record.GetString("parent")
	if parentID == "" {
		return nil
	}
	parent, err := e.App.FindRecordById("comments", parentID)
	if err != nil {
		return missingParent
	}
	switch {
	case parent.GetString("post") != e.Record.GetString("post"):
		return validation.Errors{"parent": validation.NewError("parent_other_post",
			"You can only reply to a comment of the same post.")}
	case parent.GetString("parent") != "":
		return validation.Errors{"parent": validation.NewError("parent_is_reply",
			"Replies are one level deep: reply to the top-level comment instead.")}
	}
	return nil
}
