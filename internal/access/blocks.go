package access

import (
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// CollectionNameBlocks is the collection of blocks (community).
const CollectionNameBlocks = "blocks"

// maxBlockLists bounds the users whose block lists are cached.
const maxBlockLists = 100_000

// blockLists caches, per user, whom they blocked: Madang's own deliveries
// (chat messages to every reader of a session) ask it once per reader and
// message, so it must not be a query each time. Hooks on blocks drop a
// user's entry when their list changes (bindBlocks).
type blockLists struct {
	mu    sync.Mutex
	lists map[string]map[string]bool
}

const blockListsKey = "madang.access.blocks"

func blocksOf(app core.App) *blockLists {
	return app.Store().GetOrSet(blockListsKey, func() any {
		return &blockLists{lists: map[string]map[string]bool{}}
	}).(*blockLists)
}

// HasBlocked tells whether user blocked other: other's posts, comments and
// chat messages then disappear for user, and other's actions never notify
// them.
func HasBlocked(app core.App, user, other string) bool {
	if user == "" || other == "" || user == other {
		return false
	}
	return blockListOf(app, user)[other]
}

// HidesAuthor tells whether the read rules hide what author wrote from
// reader because reader blocked them: they do for everyone but admins
// (notBlocked in pb_migrations: '@request.auth.role = "admin" ||
// @request.auth.blocking !~ author'; an admin may block, and a member's
// blocks stay when they are made an admin). For Madang's own deliveries,
// which must say what the rules say: a cached map lookup, the role only
// for who blocked the author.
func HidesAuthor(app core.App, reader *core.Record, author string) bool {
	return blocksOf(app).hides(app, reader, author)
}

// AuthorHider is HidesAuthor of one author for many readers (a chat
// message's deliveries): the cache is found once, not once a reader.
func AuthorHider(app core.App, author string) func(reader *core.Record) bool {
	b := blocksOf(app)
	return func(reader *core.Record) bool { return b.hides(app, reader, author) }
}

func (b *blockLists) hides(app core.App, reader *core.Record, author string) bool {
	if author == "" || reader == nil || reader.Id == "" {
		return false
	}
	// The list first: reading the role through the record was most of a
	// chat message's block checks (4.5% of the server's CPU in the load
	// bench's S5), for readers who block nobody.
	return b.listOf(app, reader.Id)[author] && !SeesBlockedAuthors(reader)
}

// HiddenAuthors is the set of authors whose writing the read rules hide
// from reader (HidesAuthor of each): whom they blocked, nobody for admins.
// For deliveries that filter a list of people rather than ask about one
// author (chat presence). Read only: the map is the cache's.
func HiddenAuthors(app core.App, reader *core.Record) map[string]bool {
	if reader == nil || reader.Id == "" || SeesBlockedAuthors(reader) {
		return nil
	}
	return blockListOf(app, reader.Id)
}

// SeesBlockedAuthors tells whether reader reads what the authors they
// blocked wrote, as the read rules decide it: admins do.
func SeesBlockedAuthors(reader *core.Record) bool {
	return reader != nil && reader.GetString("role") == RoleAdmin
}

// WarmBlocks caches user's block list ahead of need: called when someone
// opens a live connection, so that the first chat message they receive
// does not wait for the query (a thousand readers' lists took the first
// message of the fan-out benchmark 25 ms).
func WarmBlocks(app core.App, user string) {
	if user != "" {
		blockListOf(app, user)
	}
}

// blockListOf is whom user blocked, from the cache or read once; nil when
// nobody (most users), which costs the cache no map.
func blockListOf(app core.App, user string) map[string]bool {
	return blocksOf(app).listOf(app, user)
}

func (b *blockLists) listOf(app core.App, user string) map[string]bool {
	b.mu.Lock()
	list, ok := b.lists[user]
	b.mu.Unlock()
	if ok {
		return list
	}
	var blocked []string
	err := app.DB().Select("blocked").From(CollectionNameBlocks).Where(dbx.HashExp{"user": user}).Column(&blocked)
	if err != nil {
		return nil // no blocks collection (yet), or a failing read: show rather than lose
	}
	if len(blocked) > 0 {
		list = make(map[string]bool, len(blocked))
		for _, id := range blocked {
			list[id] = true
		}
	}
	b.mu.Lock()
	if len(b.lists) >= maxBlockLists {
		clear(b.lists)
	}
	b.lists[user] = list
	b.mu.Unlock()
	return list
}

// bindBlocks forgets a user's cached list when it changes, once the change
// is committed (and at its start, so no read in between caches a list
// that is about to change).
func bindBlocks(app core.App) {
	forget := func(e *core.RecordEvent) error {
		b := blocksOf(e.App)
		b.mu.Lock()
		delete(b.lists, e.Record.GetString("user"))
		b.mu.Unlock()
		return e.Next()
	}
	app.OnRecordCreateExecute(CollectionNameBlocks).BindFunc(forget)
	app.OnRecordDeleteExecute(CollectionNameBlocks).BindFunc(forget)
	app.OnRecordAfterCreateSuccess(CollectionNameBlocks).BindFunc(forget)
	app.OnRecordAfterDeleteSuccess(CollectionNameBlocks).BindFunc(forget)
}
