package community

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// SuggestLimit is how many names GET /api/users/suggest answers at most.
const SuggestLimit = 8

// registerNameSuggestions: GET /api/users/suggest?q=PREFIX answers
// {items: [profile, …]}: up to SuggestLimit users whose name starts with
// q (case-insensitive for Latin letters, any script), by name, for
// @mention autocomplete. The users list itself stays admins-only (opening
// it would also change what members' filters through author.name select),
// so signed-in members get this narrow door instead: a prefix of 1–64
// characters, public profiles only (the access layer's enrich hook hides
// the rest), never the requester.
func registerNameSuggestions(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.GET("/api/users/suggest", suggestNames).Bind(apis.RequireAuth(access.CollectionNameUsers))
		return e.Next()
	})
}

func suggestNames(e *core.RequestEvent) error {
	q := access.NameForm(strings.TrimSpace(e.Request.URL.Query().Get("q"))) // as names are stored
	if n := utf8.RuneCountInString(q); n < 1 || n > 64 {
		return e.BadRequestError("Give the start of a name in q (1–64 characters).", nil)
	}
	escaped := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
	users, err := e.App.FindCachedCollectionByNameOrId(access.CollectionNameUsers)
	if err != nil {
		return err
	}
	records := []*core.Record{}
	err = e.App.RecordQuery(users).
		AndWhere(dbx.NewExp(`[[name]] LIKE {:prefix} ESCAPE '\'`, dbx.Params{"prefix": escaped + "%"})).
		AndWhere(dbx.Not(dbx.HashExp{"id": e.Auth.Id})).
		OrderBy("[[name]] COLLATE NOCASE ASC").
		Limit(SuggestLimit).
		All(&records)
	if err != nil {
		return err
	}
	if err := apis.EnrichRecords(e, records); err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]any{"items": records})
}
