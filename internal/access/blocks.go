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

// blockLists caches, per user, whom they blocked, and per author, who
// blocked them: Madang's own deliveries (chat messages to every reader of
// a session) ask once per reader and message, so it must not be a query
// each time. Hooks on blocks drop both entries of a block that changes
// (bindBlocks).
type blockLists struct {
	mu       sync.Mutex
	lists    map[string]map[string]bool // user → whom they blocked
	blockers map[string]map[string]bool // author → who blocked them
	// gen moves on at every forget (bindBlocks): a list read while a block
	// changed may hold what was true before, and is not kept
	gen uint64
}

const blockListsKey = "madang.access.blocks"

func blocksOf(app core.App) *blockLists {
	return app.Store().GetOrSet(blockListsKey, func() any {
		return &blockLists{lists: map[string]map[string]bool{}, blockers: map[string]map[string]bool{}}
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
// message's deliveries): who blocked the author is read once, and each
// reader costs a lookup in that list, usually empty. Asking each reader's
// own list took a lock and a lookup a reader (0.28 ms of a 1,000-member
// chat message under S5's load, 2026-12-07).
func AuthorHider(app core.App, author string) func(reader *core.Record) bool {
	var blockers map[string]bool
	if author != "" {
		blockers = blocksOf(app).blockersOf(app, author)
	}
	return func(reader *core.Record) bool {
		return reader != nil && reader.Id != "" && blockers[reader.Id] && !SeesBlockedAuthors(reader)
	}
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
	return b.cached(app, b.lists, "user", "blocked", user)
}

// blockersOf is who blocked author, from the cache or read once; nil when
// nobody.
func (b *blockLists) blockersOf(app core.App, author string) map[string]bool {
	return b.cached(app, b.blockers, "blocked", "user", author)
}

// cached is cache[key]: the set of column `want` of the blocks whose
// column `by` is key, read once and kept (nil, no map, when empty).
func (b *blockLists) cached(app core.App, cache map[string]map[string]bool, by, want, key string) map[string]bool {
	b.mu.Lock()
	set, ok := cache[key]
	gen := b.gen
	b.mu.Unlock()
	if ok {
		return set
	}
	var ids []string
	err := app.DB().Select(want).From(CollectionNameBlocks).Where(dbx.HashExp{by: key}).Column(&ids)
	if err != nil {
		return nil // no blocks collection (yet), or a failing read: show rather than lose
	}
	if len(ids) > 0 {
		set = make(map[string]bool, len(ids))
		for _, id := range ids {
			set[id] = true
		}
	}
	b.mu.Lock()
	if b.gen == gen { // else a block changed since the read began: the next asks again
		if len(cache) >= maxBlockLists {
			clear(cache)
		}
		cache[key] = set
	}
	b.mu.Unlock()
	return set
}

// bindBlocks forgets the cached lists a block is in (its user's, and who
// blocked its author) when it changes, once the change is committed (and
// at its start, so no read in between caches a list that is about to
// change). An update (a superuser's, in the dashboard) may move a block to
// other users, and the lists it was in are not at hand once it is saved:
// it forgets every list, which the rare update can afford.
func bindBlocks(app core.App) {
	forget := func(e *core.RecordEvent) error {
		blocksOf(e.App).forget(e.Record.GetString("user"), e.Record.GetString("blocked"))
		return e.Next()
	}
	forgetAll := func(e *core.RecordEvent) error {
		blocksOf(e.App).forgetAll()
		return e.Next()
	}
	app.OnRecordCreateExecute(CollectionNameBlocks).BindFunc(forget)
	app.OnRecordUpdateExecute(CollectionNameBlocks).BindFunc(forgetAll)
	app.OnRecordDeleteExecute(CollectionNameBlocks).BindFunc(forget)
	app.OnRecordAfterCreateSuccess(CollectionNameBlocks).BindFunc(forget)
	app.OnRecordAfterUpdateSuccess(CollectionNameBlocks).BindFunc(forgetAll)
	app.OnRecordAfterDeleteSuccess(CollectionNameBlocks).BindFunc(forget)
}

// forget drops user's list and blocked's blockers.
func (b *blockLists) forget(user, blocked string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gen++
	delete(b.lists, user)
	delete(b.blockers, blocked)
}

// forgetAll drops every list.
func (b *blockLists) forgetAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gen++
	clear(b.lists)
	clear(b.blockers)
}
