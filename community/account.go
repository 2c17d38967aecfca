package community

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"

	"madang/internal/access"
)

// ownedBy lists, per collection, the filter that selects what a user owns:
// what GET /api/users/me/export writes out (Korea's PIPA: a person may have
// a copy of their data). What they wrote or did themselves is theirs
// wherever it is — their posts on a board they lost, their messages in a
// chat they were removed from. What others wrote and the server keeps for
// them (a chat's name and members, notices quoting others' words) is
// exported as their lists show it (listed: through the collection's
// ListRule): until 2026-12-03 a member removed from a chat read, in the
// export, the notices of its messages edited after they left.
var ownedBy = []struct {
	collection, filter string
	listed             bool
}{
	{access.CollectionNamePosts, "author = {:me} || anonymous_author = {:me}", false},
	{access.CollectionNameComments, "author = {:me} || anonymous_author = {:me}", false},
	{access.CollectionNamePostLikes, "user = {:me}", false},
	{Bookmarks, "user = {:me}", false},
	{Blocks, "user = {:me}", false},
	{access.CollectionNameChatSessions, "owner = {:me} || members ~ {:me}", true},
	{access.CollectionNameChats, "author = {:me}", false},
	{access.CollectionNameChatReads, "user = {:me}", false},
	{access.CollectionNameAILogs, "user = {:me}", false},
	{Notifications, "user = {:me}", true},
	{Reports, "reporter = {:me}", false},
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
	info, err := e.RequestInfo()
	if err != nil {
		return e.BadRequestError("", err)
	}
	out := map[string]any{"exported_at": time.Now().UTC().Format(time.RFC3339), "profile": me}
	for _, o := range ownedBy {
		records, err := ownRecords(e.App, o.collection, o.filter, o.listed, info, me.Id)
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

// ownRecords returns the records of collection that filter selects for
// the user me, oldest first; listed: only those the collection's ListRule
// lets info list.
func ownRecords(app core.App, collection, filter string, listed bool, info *core.RequestInfo, me string) ([]*core.Record, error) {
	c, err := app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	own, err := search.FilterData(filter).BuildExpr(core.NewRecordFieldResolver(app, c, nil, true), dbx.Params{"me": me})
	if err != nil {
		return nil, err
	}
	q := app.RecordQuery(c).AndWhere(own).OrderBy(c.Name+".created", c.Name+".id")
	records := []*core.Record{}
	if listed {
		if ok, err := access.Where(app, c, c.ListRule, info, q); !ok || err != nil {
			return records, err
		}
	}
	return records, q.All(&records)
}
