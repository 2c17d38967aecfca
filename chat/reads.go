package chat

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"madang/internal/access"
)

// unreadSQL counts, for the session of the outer row, the visible messages
// of others written after the requester's read mark ({:chat_me}), leaving
// out the authors the requester blocked unless they see them
// ({:chat_sees_blocked}, 1 for admins: access.SeesBlockedAuthors) — the
// chats rules hide their messages; counted, they showed in the badge; it
// walks the (session, created) index from the mark on.
const unreadSQL = `(SELECT COUNT(*) FROM {{chats}} [[m]]
	WHERE [[m.session]] = {{chat_sessions}}.[[id]] AND [[m.is_visible]] = TRUE AND [[m.author]] != {:chat_me}
	AND [[m.created]] > COALESCE((SELECT [[r.last_read_at]] FROM {{chat_reads}} [[r]]
		WHERE [[r.session]] = {{chat_sessions}}.[[id]] AND [[r.user]] = {:chat_me}), '')
	AND ({:chat_sees_blocked} = 1
		OR NOT EXISTS (SELECT 1 FROM {{blocks}} [[b]] WHERE [[b.user]] = {:chat_me} AND [[b.blocked]] = [[m.author]])))`

// unread answers GET /api/chat/unread: {"sessions":{id:count},"total":n}
// over the sessions the requester may list (the chat_sessions ListRule,
// applied as the list API applies it); sessions with nothing unread are left
// out.
func unread(e *core.RequestEvent) error {
	info, err := e.RequestInfo()
	if err != nil {
		return e.BadRequestError("", err)
	}
	sessions, err := e.App.FindCachedCollectionByNameOrId(Sessions)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	total := 0
	if sessions.ListRule != nil {
		q := e.App.DB().Select("{{chat_sessions}}.[[id]] AS [[id]]", unreadSQL+" AS [[unread]]").
			Distinct(true).From(Sessions)
		if _, err := access.Where(e.App, sessions, sessions.ListRule, info, q); err != nil {
			return err
		}
		seesBlocked := 0
		if access.SeesBlockedAuthors(e.Auth) {
			seesBlocked = 1
		}
		q.AndBind(dbx.Params{"chat_me": e.Auth.Id, "chat_sees_blocked": seesBlocked})
		var rows []struct {
			ID     string `db:"id"`
			Unread int    `db:"unread"`
		}
		if err := q.All(&rows); err != nil {
			return fmt.Errorf("counting unread chat messages of user %s: %w", e.Auth.Id, err)
		}
		for _, r := range rows {
			if r.Unread > 0 {
				counts[r.ID] = r.Unread
				total += r.Unread
			}
		}
	}
	return e.JSON(http.StatusOK, map[string]any{"sessions": counts, "total": total})
}

// markRead answers POST /api/chat/sessions/{id}/read: the requester has
// read the session up to now. It returns the chat_reads record.
func markRead(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	session, err := e.App.FindRecordById(Sessions, id)
	if err != nil {
		return apiError(errNoSession(id))
	}
	info, err := e.RequestInfo()
	if err != nil {
		return e.BadRequestError("", err)
	}
	if ok, _ := e.App.CanAccessRecord(session, info, session.Collection().ViewRule); !ok {
		return apiError(errNoSession(id))
	}
	var mark *core.Record
	err = e.App.RunInTransaction(func(tx core.App) error {
		var err error
		mark, err = tx.FindFirstRecordByFilter(Reads, "session = {:session} && user = {:user}",
			dbx.Params{"session": id, "user": e.Auth.Id})
		if errors.Is(err, sql.ErrNoRows) {
			reads, err := tx.FindCachedCollectionByNameOrId(Reads)
			if err != nil {
				return err
			}
			mark = core.NewRecord(reads)
			mark.Set("session", id)
			mark.Set("user", e.Auth.Id)
		} else if err != nil {
			return err
		}
		mark.Set("last_read_at", types.NowDateTime())
		return tx.Save(mark)
	})
	if err != nil {
		return fmt.Errorf("marking chat session %s read for user %s: %w", id, e.Auth.Id, err)
	}
	return e.JSON(http.StatusOK, mark)
}
