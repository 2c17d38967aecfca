package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// AI moderation assist (issue 12, item 12): a board's moderation_ai scores
// its new and edited posts and comments through the AI job queue. Such a
// job is the system's, not a member's: ai_logs.user becomes optional (empty
// = a system job, seen by admins only: the rules match no member), and the
// job names what it scores, so its result can file a report.
func init() {
	m.Register(func(app core.App) error {
		logs, err := app.FindCollectionByNameOrId("ai_logs")
		if err != nil {
			return err
		}
		posts, err := app.FindCollectionByNameOrId("posts")
		if err != nil {
			return err
		}
		comments, err := app.FindCollectionByNameOrId("comments")
		if err != nil {
			return err
		}
		if user, ok := logs.Fields.GetByName("user").(*core.RelationField); ok {
			user.Required = false
			user.Help = "Who asked for the job; set by the server. Empty on the system's jobs (the moderation assist's). Deleting the user deletes their jobs."
		}
		logs.Fields.Add(
			&core.RelationField{Name: "post", CollectionId: posts.Id, MaxSelect: 1,
				Help: "Server-set on moderation-assist jobs: the post being scored."},
			&core.RelationField{Name: "comment", CollectionId: comments.Id, MaxSelect: 1,
				Help: "Server-set on moderation-assist jobs: the comment being scored."},
		)
		return app.Save(logs)
	}, func(app core.App) error {
		logs, err := app.FindCollectionByNameOrId("ai_logs")
		if err != nil {
			return err
		}
		// the system's jobs cannot stay once a job must have a user
		if _, err := app.DB().NewQuery("DELETE FROM {{ai_logs}} WHERE [[user]] = ''").Execute(); err != nil {
			return err
		}
		if user, ok := logs.Fields.GetByName("user").(*core.RelationField); ok {
			user.Required = true
			user.Help = "Who asked for the job; set by the server. Deleting the user deletes their jobs."
		}
		logs.Fields.RemoveByName("post")
		logs.Fields.RemoveByName("comment")
		return app.Save(logs)
	})
}
