package hooks

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"

	"madang/internal/access"
)

// minIndexedRunes is the shortest word the trigram index can find; shorter
// words (e.g. two-syllable Korean words) are matched with LIKE.
const minIndexedRunes = 3

func registerSearch(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.GET("/api/posts/search", postsSearch.answer)
		e.Router.GET("/api/comments/search", commentsSearch.answer)
		return e.Next()
	})
}

// searchable is a collection that GET /api/{collection}/search finds words
// in: its trigram index (kept by the triggers of migrations 1795900100 and
// 1795900897), the table giving each record its stable rowid there, the
// searched fields, and the query parameters that narrow it.
type searchable struct {
	collection string
	index      string   // the FTS5 trigram table
	rowids     string   // rowid → record id
	key        string   // rowids' column of the record id
	fields     []string // the record's fields the index holds
	narrow     func(query *dbx.SelectQuery, params url.Values)
}

// postsSearch answers GET /api/posts/search?q=words[&board=ID][&category=ID].
var postsSearch = searchable{
	collection: access.CollectionNamePosts, index: "posts_search", rowids: "posts_search_rowid", key: "post",
	fields: []string{"title", "content"},
	narrow: func(query *dbx.SelectQuery, params url.Values) {
		if board := params.Get("board"); board != "" {
			query.AndWhere(dbx.HashExp{"posts.board": board})
		}
		if category := params.Get("category"); category != "" {
			query.AndWhere(dbx.HashExp{"posts.category": category})
		}
	},
}

// commentsSearch answers GET /api/comments/search?q=words[&board=ID][&post=ID].
var commentsSearch = searchable{
	collection: "comments", index: "comments_search", rowids: "comments_search_rowid", key: "comment",
	fields: []string{"content"},
	narrow: func(query *dbx.SelectQuery, params url.Values) {
		if post := params.Get("post"); post != "" {
			query.AndWhere(dbx.HashExp{"comments.post": post})
		}
		if board := params.Get("board"); board != "" {
			// what the comments rule lets through is decided by the rule
			// itself (access.List); this only narrows to one board's posts
			query.AndWhere(dbx.NewExp("[[comments.post]] IN (SELECT [[id]] FROM {{posts}} WHERE [[board]] = {:board})",
				dbx.Params{"board": board}))
		}
	},
}

// answer answers GET /api/{collection}/search?q=words like the
// collection's list (page, perPage, filter, sort, skipTotal, expand,
// fields; newest first by default): the records whose searched fields
// contain every word, among those the requester may list. The listing is
// access.List: the collection's list rule and the client's filter and sort
// exactly as GET /api/collections/{collection}/records applies them. Until
// 2026-12-03 the filter was checked and then dropped.
func (s searchable) answer(e *core.RequestEvent) error {
	params := e.Request.URL.Query()
	if !utf8.ValidString(params.Get("q")) { // a cut-off %-escape of a Korean letter, say
		return e.BadRequestError("The words in q are not valid UTF-8; percent-encode them from UTF-8.", nil)
	}
	q := access.TextForm(strings.TrimSpace(params.Get("q"))) // as the texts are stored
	// a q of invisible characters alone (a zero-width space, U+2800) shows
	// nothing to search for: until 2026-12-04 it was searched (probe p21)
	if !access.Shows(q) || utf8.RuneCountInString(q) > 200 {
		return e.BadRequestError("Give the words to search for in q (1–200 characters).", nil)
	}
	// no stored text holds one (access.Trimmed); SQLite's FTS5 answered a NUL
	// with an error, and LIKE read the word as cut short at it
	if r, found := access.ControlCharacter(q); found {
		return e.BadRequestError(fmt.Sprintf("Remove the control character %U from q.", r), nil)
	}
	c, err := e.App.FindCachedCollectionByNameOrId(s.collection)
	if err != nil {
		return e.InternalServerError("", err)
	}
	sorted := params.Get(search.SortQueryParam) != ""
	result, err := access.List(e, c, func(query *dbx.SelectQuery) {
		s.narrow(query, params)
		indexed := s.matchWords(query, distinctWords(q))
		switch {
		case sorted:
		case indexed:
			// the index numbers records in the order they were written:
			// newest first without sorting every match
			query.OrderBy("[[" + s.index + ".rowid]] DESC")
		default:
			query.OrderBy("[[" + s.collection + ".created]] DESC")
		}
	}, params)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, result)
}

// matchWords limits query to records containing every word in one of the
// searched fields, and reports whether the index is used: words of 3+
// characters are found through the trigram index (one FTS5 query), shorter
// ones with LIKE, in each case of their non-ASCII letters, on the rows the
// index found (or on every row the other conditions allow, when all words
// are short).
func (s searchable) matchWords(query *dbx.SelectQuery, words []string) bool {
	var phrases []string
	for i, w := range words {
		if utf8.RuneCountInString(w) >= minIndexedRunes {
			phrases = append(phrases, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
			continue
		}
		var either []string
		params := dbx.Params{}
		for j, spelling := range caseVariants(w) {
			name := "short" + strconv.Itoa(i) + "_" + strconv.Itoa(j)
			for _, f := range s.fields {
				either = append(either, "[["+s.collection+"."+f+"]] LIKE {:"+name+"} ESCAPE '\\'")
			}
			params[name] = "%" + escapeLike(spelling) + "%"
		}
		query.AndWhere(dbx.NewExp("("+strings.Join(either, " OR ")+")", params))
	}
	if len(phrases) == 0 {
		return false
	}
	query.InnerJoin("{{"+s.rowids+"}} [[search_rowid]]", dbx.NewExp("[[search_rowid."+s.key+"]] = [["+s.collection+".id]]"))
	query.InnerJoin("{{"+s.index+"}}", dbx.NewExp("[["+s.index+".rowid]] = [[search_rowid.rowid]]"))
	query.AndWhere(dbx.NewExp("[["+s.index+"]] MATCH {:match}", dbx.Params{"match": strings.Join(phrases, " ")}))
	return true
}

// distinctWords are q's words, each once: a word repeated a hundred times
// was a hundred scans of every row (probe p21).
func distinctWords(q string) []string {
	words := strings.Fields(q)
	seen := make(map[string]bool, len(words))
	return slices.DeleteFunc(words, func(w string) bool {
		if seen[w] {
			return true
		}
		seen[w] = true
		return false
	})
}

// caseVariants spells a short word in every case of its non-ASCII letters
// (É é; Σ σ ς; Unicode's simple case folding, as the trigram index folds):
// SQLite's LIKE folds ASCII letters only, so "éc" missed "ÉCOLE", which
// "écol" found. A word without such letters (Korean, ASCII) is one
// spelling, the one LIKE scan it was. A short word has one or two letters,
// so a few spellings at most. The non-ASCII twins of ASCII letters (the
// Kelvin sign K, the long s ſ) are left out: they would double the scans of
// most short English words for letters nobody types.
func caseVariants(word string) []string {
	spellings := []string{""}
	for _, r := range word {
		cases := []rune{r}
		if r >= utf8.RuneSelf {
			ascii := false
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				if f < utf8.RuneSelf {
					if ascii {
						continue // LIKE finds its other case
					}
					ascii = true
				}
				cases = append(cases, f)
			}
		}
		next := make([]string, 0, len(spellings)*len(cases))
		for _, s := range spellings {
			for _, c := range cases {
				next = append(next, s+string(c))
			}
		}
		spellings = next
	}
	return spellings
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func escapeLike(s string) string { return likeEscaper.Replace(s) }
