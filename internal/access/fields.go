package access

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/text/unicode/norm"
)

// The record-hook binders: fields whose value the server decides. Each kind
// has one binder, used by every collection that has such a field.

// ServerSet makes fields the server's on API requests: create sets them
// (the create function: e.g. Requester), update keeps their stored values.
// Superusers (the dashboard) may set them: they repair records and post on
// someone's behalf.
func ServerSet(app core.App, collection string, create func(e *core.RecordRequestEvent) error, fields ...string) {
	app.OnRecordCreateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error {
		if !e.HasSuperuserAuth() {
			if err := create(e); err != nil {
				return err
			}
		}
		return e.Next()
	})
	app.OnRecordUpdateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error {
		if !e.HasSuperuserAuth() {
			original := e.Record.Original()
			for _, f := range fields {
				e.Record.Set(f, original.Get(f))
			}
		}
		return e.Next()
	})
}

// Requester is a ServerSet create function: field is the requester's id
// (a guest is told guestMessage, 401).
func Requester(field, guestMessage string) func(e *core.RecordRequestEvent) error {
	return func(e *core.RecordRequestEvent) error {
		if e.Auth == nil {
			return e.UnauthorizedError(guestMessage, nil)
		}
		e.Record.Set(field, e.Auth.Id)
		return nil
	}
}

// Fixed refuses, for every writer, an update that changes fields (a
// record's parent: counters and permissions were decided for the old one).
// It compares with the stored row, not record.Original(): a record saved
// by app.Save keeps a blank Original until it is fetched again.
func Fixed(app core.App, collection string, fields ...string) {
	app.OnRecordUpdate(collection).BindFunc(func(e *core.RecordEvent) error {
		stored := dbx.NullStringMap{}
		err := e.App.DB().Select(fields...).From(collection).
			Where(dbx.HashExp{"id": e.Record.LastSavedPK()}).One(stored)
		if err != nil {
			return fmt.Errorf("reading %s %s: %w", collection, e.Record.LastSavedPK(), err)
		}
		errs := validation.Errors{}
		for _, f := range fields {
			if e.Record.GetString(f) != stored[f].String {
				errs[f] = validation.NewError("fixed_field", "The "+f+" cannot change after create; create a new record instead.")
			}
		}
		if len(errs) > 0 {
			return errs
		}
		return e.Next()
	})
}

// Names keeps name fields in Unicode's compatibility-composed form (NFKC),
// for every writer (API, dashboard, CLI), as Trimmed trims: two names that
// look the same are then the same string, and the unique index (COLLATE
// NOCASE) refuses a second 민수 typed as decomposed jamo (U+1106 U+1175
// U+11AB …) or a full-width ｊａｎｅ beside jane. Without it both were
// taken, and anyone could pass for another member.
func Names(app core.App, collection string, fields ...string) {
	normalize := func(e *core.RecordEvent) error {
		for _, f := range fields {
			if v := e.Record.GetString(f); !norm.NFKC.IsNormalString(v) {
				e.Record.Set(f, norm.NFKC.String(v))
			}
		}
		return e.Next()
	}
	app.OnRecordValidate(collection).BindFunc(normalize)
}

// DefaultTrue makes a bool field true on API creates that do not send it
// or send null: a bool field cannot tell "false" from "not sent". A value
// that is no boolean (true, false, 1 or 0, as JSON values or strings, or
// form values) is refused on creates and updates, 400 naming the field:
// PocketBase reads "yes", "", [] and {} as false, and until 2026-12-03 such
// a create stored a hidden post, which only an admin could bring back. The
// body is read as sent: PocketBase's request info holds it already cast.
// Its form binder turns a form's "1" and "0" into numbers, as JSON's are:
// until 2026-12-03 they were refused, though the README accepted them.
func DefaultTrue(app core.App, collection, field string) {
	check := func(e *core.RecordRequestEvent, create bool) error {
		sent := map[string]any{}
		if err := e.BindBody(&sent); err != nil {
			return e.Next() // PocketBase answers a body it cannot read
		}
		switch v := sent[field].(type) {
		case nil:
			if create {
				e.Record.Set(field, true)
			} else if _, ok := sent[field]; ok {
				e.Record.Set(field, e.Record.Original().GetBool(field))
			}
		case bool:
		case float64:
			if v != 1 && v != 0 {
				return notABool(field)
			}
		case string:
			if v != "true" && v != "false" && v != "1" && v != "0" {
				return notABool(field)
			}
		default:
			return notABool(field)
		}
		return e.Next()
	}
	app.OnRecordCreateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error { return check(e, true) })
	app.OnRecordUpdateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error { return check(e, false) })
}

func notABool(field string) error {
	return apis.NewBadRequestError(field+" must be true or false.", validation.Errors{
		field: validation.NewError("validation_invalid_bool", field+" must be true or false."),
	})
}

// Counters makes the server the only writer of counter fields, for every
// writer: a create starts them at 0; an update keeps the stored values and
// leaves the columns out of its UPDATE, so an edit racing with a counter's
// atomic SQL increment cannot write a stale value back.
func Counters(app core.App, collection string, fields ...string) {
	app.OnRecordCreate(collection).BindFunc(func(e *core.RecordEvent) error {
		for _, f := range fields {
			e.Record.Set(f, 0)
		}
		return e.Next()
	})
	app.OnRecordUpdate(collection).BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		for _, f := range fields {
			e.Record.Set(f, original.Get(f))
		}
		// on every save, a record object's second too (writeChangedOnly):
		// such a save does not write a field set back to its loaded value
		e.Record.IgnoreUnchangedFields(true)
		return e.Next()
	})
}

// Trimmed trims the surrounding whitespace of text fields on every save,
// whoever writes it, before the fields' validators run: a title of five
// spaces is refused as blank (400 naming the field), not stored as an
// empty, unclickable row.
func Trimmed(app core.App, collection string, fields ...string) {
	app.OnRecordValidate(collection).BindFunc(func(e *core.RecordEvent) error {
		for _, f := range fields {
			if v := e.Record.GetString(f); trim(v) != v {
				e.Record.Set(f, trim(v))
			}
		}
		return e.Next()
	})
}

// trim trims a one-line value on both sides; a multi-line one loses its
// trailing whitespace and leading blank lines but keeps its first line's
// indentation (Markdown code).
func trim(v string) string {
	v = strings.TrimRightFunc(v, unicode.IsSpace)
	if !strings.Contains(v, "\n") {
		return strings.TrimSpace(v)
	}
	for {
		line, rest, found := strings.Cut(v, "\n")
		if !found || strings.TrimSpace(line) != "" {
			return v
		}
		v = rest
	}
}
