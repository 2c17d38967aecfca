package community

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"

	"madang/internal/access"
)

// ownedBy lists, per collection, the fields that name a user as its owner:
// what GET /api/users/me/export writes out (Korea's PIPA: a person may have
// a copy of their data). What they wrote or did themselves is theirs
// wherever it is — their posts on a board they lost, their messages in a
// chat they were removed from. What others wrote and the server keeps for
// them (a chat's name and members, notices quoting others' words) is
// exported as their lists show it (listed: through the collection's
// ListRule): until 2026-12-03 a member removed from a chat read, in the
// export, the notices of its messages edited after they left.
var ownedBy = []struct {
	collection string
	fields     []string // the record is theirs when one of these names them
	listed     bool
}{
	{access.CollectionNamePosts, []string{"author", "anonymous_author"}, false},
	{access.CollectionNameComments, []string{"author", "anonymous_author"}, false},
	{access.CollectionNamePostLikes, []string{"user"}, false},
	{Bookmarks, []string{"user"}, false},
	{Blocks, []string{"user"}, false},
	{access.CollectionNameChatSessions, []string{"owner", "members"}, true},
	{access.CollectionNameChats, []string{"author"}, false},
	{access.CollectionNameChatReads, []string{"user"}, false},
	{access.CollectionNameAILogs, []string{"user"}, false},
	{Notifications, []string{"user"}, true},
	{Reports, []string{"reporter"}, false},
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
		// on behalf of the requester: the member's own, or a superuser's
		// moderator action (logged)
		who := access.ActorOf(e.Auth)
		return e.App.RunInTransaction(func(tx core.App) error {
			for _, c := range []string{access.CollectionNameComments, access.CollectionNamePosts} {
				records, err := tx.FindAllRecords(c, dbx.Or(dbx.HashExp{"author": e.Record.Id}, dbx.HashExp{"anonymous_author": e.Record.Id}))
				if err != nil {
					return err
				}
				for _, r := range records {
					if err := access.As(r, who, func() error { return tx.Delete(r) }); err != nil {
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
// their records of every collection in ownedBy, each shown as the record
// API shows it to them (PocketBase's enrich: the access layer, the
// anonymous boards' author and anonymous_label, ?expand). Until 2026-12-07
// the records were written raw: the member's own anonymous posts and
// comments came out with author "" and no label.
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
		records, err := ownRecords(e.App, o.collection, o.fields, o.listed, info, me.Id)
		if err != nil {
			return fmt.Errorf("exporting %s of user %s: %w", o.collection, me.Id, err)
		}
		// a list API page at a time: PocketBase's enrich recurses once per
		// record, and a member's messages are not bounded as a page is
		for page := range slices.Chunk(records, search.MaxPerPage) {
			if err := apis.EnrichRecords(e, page); err != nil {
				return fmt.Errorf("exporting %s of user %s: %w", o.collection, me.Id, err)
			}
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

// ownRecords returns the records of collection that name the user me in
// one of fields (a relation, single or multiple), oldest first; listed:
// only those the collection's ListRule lets info list.
func ownRecords(app core.App, collection string, fields []string, listed bool, info *core.RequestInfo, me string) ([]*core.Record, error) {
	c, err := app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	var names []dbx.Expression
	for _, f := range fields {
		column := c.Name + "." + f
		if field, ok := c.Fields.GetByName(f).(*core.RelationField); ok && field.IsMultiple() {
			names = append(names, dbx.NewExp("EXISTS (SELECT 1 FROM json_each([["+column+"]]) WHERE [[value]] = {:me})", dbx.Params{"me": me}))
		} else {
			names = append(names, dbx.HashExp{column: me})
		}
	}
	q := app.RecordQuery(c).AndWhere(dbx.Or(names...)).OrderBy(c.Name+".created", c.Name+".id")
	records := []*core.Record{}
	if listed {
		if ok, err := access.Where(app, c, c.ListRule, info, q); !ok || err != nil {
			return records, err
		}
	}
	return records, q.All(&records)
}
