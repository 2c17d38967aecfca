package hooks

import (
	"fmt"
	"net/http"
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
		e.Router.GET("/api/posts/search", searchPosts)
		return e.Next()
	})
}

// searchPosts answers GET /api/posts/search?q=words[&board=ID][&category=ID] like a posts
// list (page, perPage, filter, sort, skipTotal, expand, fields; newest
// first by default): the posts whose title or content contain every word,
// among those the requester may list. The listing is access.List: the
// posts list rule and the client's filter and sort exactly as
// GET /api/collections/posts/records applies them. Until 2026-12-03 the
// filter was checked and then dropped.
func searchPosts(e *core.RequestEvent) error {
	params := e.Request.URL.Query()
	q := access.TextForm(strings.TrimSpace(params.Get("q"))) // as the texts are stored
	if q == "" || utf8.RuneCountInString(q) > 200 {
		return e.BadRequestError("Give the words to search for in q (1–200 characters).", nil)
	}
	// no stored text holds one (access.Trimmed); SQLite's FTS5 answered a NUL
	// with an error, and LIKE read the word as cut short at it
	if r, found := access.ControlCharacter(q); found {
		return e.BadRequestError(fmt.Sprintf("Remove the control character %U from q.", r), nil)
	}
	posts, err := e.App.FindCachedCollectionByNameOrId(access.CollectionNamePosts)
	if err != nil {
		return e.InternalServerError("", err)
	}
	sorted := params.Get(search.SortQueryParam) != ""
	result, err := access.List(e, posts, func(query *dbx.SelectQuery) {
		if board := params.Get("board"); board != "" {
			query.AndWhere(dbx.HashExp{"posts.board": board})
		}
		if category := params.Get("category"); category != "" {
			query.AndWhere(dbx.HashExp{"posts.category": category})
		}
		indexed := matchWords(query, strings.Fields(q))
		switch {
		case sorted:
		case indexed:
			// the index numbers posts in the order they were written:
			// newest first without sorting every match
			query.OrderBy("[[posts_search.rowid]] DESC")
		default:
			query.OrderBy("[[posts.created]] DESC")
		}
	}, params)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, result)
}

// matchWords limits query to posts containing every word in title or
// content, and reports whether the index is used: words of 3+ characters
// are found through the posts_search trigram index (one FTS5 query), shorter
// ones with LIKE, in each case of their non-ASCII letters, on the rows the
// index found (or on every row the other conditions allow, when all words
// are short).
func matchWords(query *dbx.SelectQuery, words []string) bool {
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
			either = append(either, "[[posts.title]] LIKE {:"+name+"} ESCAPE '\\' OR [[posts.content]] LIKE {:"+name+"} ESCAPE '\\'")
			params[name] = "%" + escapeLike(spelling) + "%"
		}
		query.AndWhere(dbx.NewExp("("+strings.Join(either, " OR ")+")", params))
	}
	if len(phrases) == 0 {
		return false
	}
	query.InnerJoin("{{posts_search_rowid}} [[search_rowid]]", dbx.NewExp("[[search_rowid.post]] = [[posts.id]]"))
	query.InnerJoin("{{posts_search}}", dbx.NewExp("[[posts_search.rowid]] = [[search_rowid.rowid]]"))
	query.AndWhere(dbx.NewExp("[[posts_search]] MATCH {:match}", dbx.Params{"match": strings.Join(phrases, " ")}))
	return true
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
