package community

import (
	"net/http"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// boardFacts are what the community hooks ask of a board on every post and
// comment: whether it is anonymous, whether every member may read it (then
// a notification about its visible content needs no per-recipient rule
// check), and which model, if any, scores its content. Boards change rarely and queries cost ~0.25 ms each under
// the write lock, so the answers are cached and dropped on any board
// write.
type boardFacts struct {
	anonymous, everyMember bool
	moderationAI           string  // the moderation assist's model, or ""
	threshold              float64 // its threshold (0 = DefaultModerationThreshold)
}

type boardCache struct {
	mu    sync.Mutex
	facts map[string]boardFacts
	any   map[string]bool // whether any board has the condition of anyBoard
}

const boardCacheKey = "madang.community.boards"

func boardsOf(app core.App) *boardCache {
	return app.Store().GetOrSet(boardCacheKey, func() any {
		return &boardCache{facts: map[string]boardFacts{}, any: map[string]bool{}}
	}).(*boardCache)
}

func bindBoardFacts(app core.App) {
	forget := func(e *core.RecordEvent) error {
		c := boardsOf(e.App)
		c.mu.Lock()
		clear(c.facts)
		clear(c.any)
		c.mu.Unlock()
		return e.Next()
	}
	app.OnRecordCreateExecute(access.CollectionNameBoards).BindFunc(forget)
	app.OnRecordUpdateExecute(access.CollectionNameBoards).BindFunc(forget)
	app.OnRecordDeleteExecute(access.CollectionNameBoards).BindFunc(forget)
	app.OnRecordAfterCreateSuccess(access.CollectionNameBoards).BindFunc(forget)
	app.OnRecordAfterUpdateSuccess(access.CollectionNameBoards).BindFunc(forget)
	app.OnRecordAfterDeleteSuccess(access.CollectionNameBoards).BindFunc(forget)
}

// anyAnonymousBoard tells whether some board is anonymous (most
// communities have none: then no post or comment needs a board lookup).
func anyAnonymousBoard(app core.App) bool {
	return anyBoard(app, "[[anonymous]] = TRUE")
}

// anyModeratedBoard tells whether some board has a moderation assist.
func anyModeratedBoard(app core.App) bool {
	return anyBoard(app, "[[moderation_ai]] != ''")
}

// anyBoard tells whether some board matches condition (a constant SQL
// expression), cached until a board changes.
func anyBoard(app core.App, condition string) bool {
	c := boardsOf(app)
	c.mu.Lock()
	known, ok := c.any[condition]
	c.mu.Unlock()
	if ok {
		return known
	}
	var n int
	_ = app.DB().Select("COUNT(*)").From(access.CollectionNameBoards).Where(dbx.NewExp(condition)).Row(&n)
	c.mu.Lock()
	c.any[condition] = n > 0
	c.mu.Unlock()
	return n > 0
}

// boardFactsOf returns the facts of boardID (zero for a missing board).
func boardFactsOf(app core.App, boardID string) boardFacts {
	c := boardsOf(app)
	c.mu.Lock()
	f, ok := c.facts[boardID]
	c.mu.Unlock()
	if ok {
		return f
	}
	board, err := app.FindRecordById(access.CollectionNameBoards, boardID)
	if err != nil {
		return boardFacts{}
	}
	f = boardFacts{anonymous: board.GetBool("anonymous"), everyMember: everyMemberReadsBoard(app, board),
		moderationAI: board.GetString("moderation_ai"), threshold: board.GetFloat("moderation_threshold")}
	c.mu.Lock()
	c.facts[boardID] = f
	c.mu.Unlock()
	return f
}

// everyMemberReadsBoard tells whether any member may read board: a member
// with no grants and no role may. The boards rule only grants more with a
// role or grants, so then every member may.
func everyMemberReadsBoard(app core.App, board *core.Record) bool {
	users, err := app.FindCachedCollectionByNameOrId(access.CollectionNameUsers)
	if err != nil {
		return false
	}
	nobody := core.NewRecord(users)
	nobody.Id = "everymember0000" // matches no owner
	nobody.Set("role", access.RoleMember)
	info := &core.RequestInfo{Auth: nobody, Method: http.MethodGet, Context: core.RequestInfoContextDefault}
	ok, _ := app.CanAccessRecord(board, info, board.Collection().ViewRule)
	return ok
}
