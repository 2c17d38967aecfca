package community

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// ownedBy lists, per collection, the filter that selects what a user owns:
// what GET /api/users/me/export writes out (Korea's PIPA: a person may have
// a copy of their data).
var ownedBy = []struct{ collection, filter string }{
	{access.CollectionNamePosts, "author = {:me} || anonymous_author = {:me}"},
	{access.CollectionNameComments, "author = {:me} || anonymous_author = {:me}"},
	{access.CollectionNamePostLikes, "user = {:me}"},
	{Bookmarks, "user = {:me}"},
	{Blocks, "user = {:me}"},
	{access.CollectionNameChatSessions, "owner = {:me} || members ~ {:me}"},
	{access.CollectionNameChats, "author = {:me}"},
	{access.CollectionNameChatReads, "user = {:me}"},
	{access.CollectionNameAILogs, "user = {:me}"},
	{Notifications, "user = {:me}"},
	{Reports, "reporter = {:me}"},
}

// registerAccountData: the export route, and account deletion that keeps
// the member's posts and comments (shown as by a deleted user) unless they
// ask, with ?content=remove, to delete those too.
func registerAccountData(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.GET("/api/users/me/export", exportMyData).Bind(apis.RequireAuth(access.CollectionNameUsers))
		return e.Next()
	})
	app.OnRecordDeleteRequest(access.CollectionNameUsers).BindFunc(func(e *core.RecordRequestEvent) error {
		if e.Request.URL.Query().Get("content") != "remove" {
			return e.Next()
		}
		return e.App.RunInTransaction(func(tx core.App) error {
			for _, c := range []string{access.CollectionNameComments, access.CollectionNamePosts} {
				records, err := tx.FindAllRecords(c, dbx.Or(dbx.HashExp{"author": e.Record.Id}, dbx.HashExp{"anonymous_author": e.Record.Id}))
				if err != nil {
					return err
				}
				for _, r := range records {
					if err := tx.Delete(r); err != nil {
						return fmt.Errorf("removing %s %s of user %s: %w", c, r.Id, e.Record.Id, err)
					}
				}
			}
			original := e.App
			e.App = tx
			defer func() { e.App = original }()
			return e.Next()
		})
	})
}

// exportMyData answers GET /api/users/me/export with a JSON download of
// everything the requester owns: their profile (all their own fields) and
// their records of every collection in ownedBy.
func exportMyData(e *core.RequestEvent) error {
	me, err := e.App.FindRecordById(access.CollectionNameUsers, e.Auth.Id)
	if err != nil {
		return e.NotFoundError("", err)
	}
	if err := apis.EnrichRecord(e, me); err != nil {
		return err
	}
	out := map[string]any{"exported_at": time.Now().UTC().Format(time.RFC3339), "profile": me}
	for _, o := range ownedBy {
		records, err := e.App.FindRecordsByFilter(o.collection, o.filter, "created", 0, 0, dbx.Params{"me": me.Id})
		if err != nil {
			return fmt.Errorf("exporting %s of user %s: %w", o.collection, me.Id, err)
		}
		out[o.collection] = records
	}
	body, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	e.Response.Header().Set("Content-Disposition", `attachment; filename="madang-export-`+me.Id+`.json"`)
	return e.Blob(http.StatusOK, "application/json; charset=utf-8", body)
}
