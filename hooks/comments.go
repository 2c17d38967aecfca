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
	app.OnRecordValidate(access.CollectionNameComments).BindFunc(validateParent)
	countedBy{child: access.CollectionNameComments, relation: "post", parent: access.CollectionNamePosts}.bind(app)
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
		return validation.Errors{"parent": validation.NewError("validation_missing_rel_records",
			"The comment replied to does not exist.")}
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
