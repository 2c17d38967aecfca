package hooks

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/picker"
)

// fieldsParam is the query parameter that picks a JSON answer's fields
// (PocketBase's router applies it to every 2xx JSON answer).
const fieldsParam = "fields"

// registerFieldsCheck refuses, before any route runs, a fields query
// parameter that PocketBase cannot parse: 400 naming it and the problem.
//
// PocketBase parses fields only while it writes the answer, after the
// route's work: until 2026-12-03 a create or update with
// ?fields=*:excerpt(abc), an AI job, a report's resolve or a moderation
// committed and then answered 400 "Something went wrong while processing
// your request.", so a client retried a write that had happened. The parse
// here is PocketBase's own (picker.Pick on nothing picks nothing, only
// parses).
func registerFieldsCheck(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(func(e *core.RequestEvent) error {
			if !strings.HasPrefix(e.Request.URL.Path, "/api/") || !strings.Contains(e.Request.URL.RawQuery, fieldsParam) {
				return e.Next()
			}
			raw := e.Request.URL.Query().Get(fieldsParam) // the value PocketBase's router picks by
			if raw == "" {
				return e.Next()
			}
			if _, err := picker.Pick(map[string]any{}, raw); err != nil {
				return apis.NewBadRequestError(fmt.Sprintf("Invalid fields %.100q: %s. List field names separated by commas, e.g. fields=id,title,content:excerpt(200,true).", raw, err), nil)
			}
			return e.Next()
		})
		return e.Next()
	})
}
