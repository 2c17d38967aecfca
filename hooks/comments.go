package hooks

import (
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

func registerComments(app core.App) {
	app.OnRecordCreateRequest("comments").BindFunc(defaultVisible)
	bindAuthor(app, "comments")
	bindAttachmentsFlag(app, "comments")
	bindFixedFields(app, "comments", "post", "parent")
	app.OnRecordValidate("comments").BindFunc(validateParent)
	countedBy{child: "comments", relation: "post", parent: "posts"}.bind(app)
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
