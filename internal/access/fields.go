package access

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
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

// Modifiers makes an API update's list modifiers of fields (field+,
// +field, field-) change the copy of the record the update saves.
// PocketBase resolves them against a first read of the record, then reads
// it again to check the update rule and saves that second copy with the
// list resolved from the first: a change committed between the two reads
// was undone (a member's leave, by the owner's members- of another
// member). Resolved again on the saved copy, they change only what they
// name.
func Modifiers(app core.App, collection string, fields ...string) {
	app.OnRecordUpdateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error {
		sent := map[string]any{}
		if err := e.BindBody(&sent); err != nil {
			return e.Next() // PocketBase answers a body it cannot read
		}
		named, modified := map[string]any{}, false
		for key, value := range sent {
			name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(key, "+"), "+"), "-")
			if slices.Contains(fields, name) {
				named[key] = value
				modified = modified || key != name
			}
		}
		if modified {
			resolved := e.Record.Original().ReplaceModifiers(named)
			for _, f := range fields {
				if value, ok := resolved[f]; ok {
					e.Record.Set(f, value)
				}
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
// taken, and anyone could pass for another member. Look a typed name up
// in its NameForm.
//
// A name may not hold an invisible character (a format character such as
// U+200B or a bidi override, a Hangul filler ㅤ, a variation selector)
// except inside an emoji sequence (❤️, 👩‍💻, 1️⃣, a subdivision's flag):
// 잡\u200b담 looked exactly like 잡담 and NFKC keeps them apart, so until
// 2026-12-03 anyone could take a look-alike of a member's or a board's
// name. 400 naming the character and the field.
func Names(app core.App, collection string, fields ...string) {
	normalized(app, collection, NameForm, func(field, v string) error {
		if r, found := InvisibleInName(v); found {
			return validation.NewError("validation_invisible_character",
				fmt.Sprintf("Remove the invisible character %U from %s: a name must show all it holds.", r, field))
		}
		if r, found := HiddenOnHangul(v); found {
			return validation.NewError("validation_hidden_on_hangul",
				fmt.Sprintf("Remove %U after the Hangul syllable in %s (a typed vowel or final consonant jamo, such as ㅣ after 수, is stored as one): on a syllable it barely shows.", r, field))
		}
		if base, found := StackedMarks(v); found {
			return validation.NewError("validation_stacked_marks",
				fmt.Sprintf("Remove the marks stacked on %q in %s: at most %d may sit on one letter.", base, field, MaxMarksPerLetter))
		}
		return nil
	}, fields...)
}

// MaxMarksPerLetter is how many combining marks a name's letter may carry:
// what a writing system stacks (Thai's vowel and tone, Vietnamese in
// decomposed form, a keycap's selector and frame) fits; "Zalgo" text,
// dozens of marks on one letter, drew over the lines around a name and
// left a tap target of a few pixels (a helper's probe, 2026-12-07).
const MaxMarksPerLetter = 3

// StackedMarks returns the letter of name that carries more than
// MaxMarksPerLetter combining marks in a row.
func StackedMarks(name string) (base rune, found bool) {
	marks := 0
	for _, r := range name {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			if marks++; marks > MaxMarksPerLetter {
				return base, true
			}
			continue
		}
		base, marks = r, 0
	}
	return 0, false
}

// HiddenOnHangul returns the first character of name that sits on a
// complete Hangul syllable and barely shows there: a combining mark (a dot
// above, U+0307; the old tone marks U+302E, U+302F) or a vowel or final
// jamo that no syllable takes any more (김철수 and U+1175, 김철순 and
// U+11AB; no input method types them after a syllable). Until 2026-12-04
// 김철수 with either beside it was a name of its own beside 김철수's.
func HiddenOnHangul(name string) (rune, bool) {
	prev := rune(-1)
	for _, r := range name {
		if isHangulSyllable(prev) && (unicode.Is(unicode.M, r) || isVowelOrFinalJamo(r)) {
			return r, true
		}
		prev = r
	}
	return 0, false
}

func isHangulSyllable(r rune) bool { return 0xAC00 <= r && r <= 0xD7A3 }

// isVowelOrFinalJamo: the conjoining vowels and final consonants, old
// ones (Jamo Extended-B) too.
func isVowelOrFinalJamo(r rune) bool { return 0x1160 <= r && r <= 0x11FF || 0xD7B0 <= r && r <= 0xD7FF }

// InvisibleInName returns the first invisible character of name that is
// not part of an emoji sequence: a variation selector after a symbol (❤️)
// or before a keycap (1️⃣), a zero-width joiner between symbols (👩‍💻,
// skin tones between), the tags after a black flag (🏴 and a
// subdivision's tags). Whitespace is not invisible.
func InvisibleInName(name string) (rune, bool) {
	runes := []rune(name)
	symbol := func(r rune) bool { return unicode.In(r, unicode.So, unicode.Sk) }
	prev := rune(-1) // the last visible rune
	flag := false    // inside 🏴's tags
	for i, r := range runes {
		if !Invisible(r) {
			prev, flag = r, r == blackFlag
			continue
		}
		var next rune = -1
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		switch {
		case unicode.Is(unicode.Variation_Selector, r) && prev >= 0 && (symbol(prev) || next == keycap):
		case r == zeroWidthJoiner && prev >= 0 && symbol(prev) && next >= 0 && symbol(next):
		case flag && tagBase <= r && r <= tagEnd:
		default:
			return r, true
		}
	}
	return 0, false
}

const (
	zeroWidthJoiner = '\u200d'
	keycap          = '\u20e3'     // COMBINING ENCLOSING KEYCAP
	blackFlag       = '\U0001f3f4' // 🏴, which tags make a subdivision's flag
	tagBase         = '\U000e0020'
	tagEnd          = '\U000e007f' // CANCEL TAG, the sequence's end
)

// NameForm is the form Names stores a name in.
func NameForm(name string) string { return norm.NFKC.String(name) }

// Honorifics are what Korean writes after a name it addresses (영희님,
// 철수씨): an @mention of 영희님 mentions 영희 when nobody is named 영희님
// (community's mentions).
var Honorifics = []string{"선생님", "님", "씨"}

// CutNameSuffix returns name without the first of suffixes it ends with
// that leaves a name's length (two characters or more): 선생님 is 선생
// with 님, not nothing with 선생님.
func CutNameSuffix(name string, suffixes []string) (string, bool) {
	for _, s := range suffixes {
		if base, ok := strings.CutSuffix(name, s); ok && utf8.RuneCountInString(base) >= 2 {
			return base, true
		}
	}
	return "", false
}

// HonorificTwins returns the names that differ from name only by an
// honorific at the end (철수: 철수선생님, 철수님, 철수씨; 철수님: those
// and 철수), of two characters or more. Two members so named are one
// person to a reader and to an @mention: the second is refused (hooks'
// users).
func HonorificTwins(name string) []string {
	base, ok := CutNameSuffix(name, Honorifics)
	if !ok {
		base = name
	}
	var twins []string
	for _, n := range append([]string{base}, Honorifics...) {
		if n != base {
			n = base + n
		}
		if n != name {
			twins = append(twins, n)
		}
	}
	return twins
}

// FindByName finds the record of collection named name: the name as
// stored first, exactly, then in any case (as the unique index compares,
// COLLATE NOCASE), then in the form Names stores names in — an operator or
// a member typing a name as it was typed at sign-up (full-width,
// decomposed Hangul) finds it. A name stored before Names (a full-width
// ｊａｎｅ beside jane) is found by its own spelling: until 2026-12-03 the
// CLI's `users ban ｊａｎｅ` banned jane, the member it impersonated.
//
// Last, in any case of any script (Иван for иван, Élodie for ÉLODIE):
// NOCASE folds ASCII letters only, so Иван and иван could both be taken
// until 2026-12-04 (NamedInAnyCase), and such a name is found this way
// only when one record matches (none: sql.ErrNoRows). Until 2026-12-04 a name with a
// non-ASCII capital was found only as stored, and an @mention of it in
// another case mentioned nobody.
func FindByName(app core.App, collection, name string) (*core.Record, error) {
	var err error
	for _, exp := range []dbx.Expression{
		// exact, through the NOCASE index (a plain = scanned the table)
		dbx.NewExp("[[name]] = {:name} COLLATE NOCASE AND [[name]] = {:name}", dbx.Params{"name": name}),
		dbx.NewExp("[[name]] = {:name} COLLATE NOCASE", dbx.Params{"name": name}),
		dbx.NewExp("[[name]] = {:name} COLLATE NOCASE", dbx.Params{"name": NameForm(name)}),
	} {
		record := &core.Record{}
		if err = app.RecordQuery(collection).AndWhere(exp).Limit(1).One(record); err == nil {
			return record, nil
		}
	}
	if record := findByNameInAnyCase(app, collection, NameForm(name)); record != nil {
		return record, nil
	}
	return nil, err
}

// findByNameInAnyCase finds the one record whose name equals name under
// Unicode's simple case folding, or nil (namedInAnyCase).
func findByNameInAnyCase(app core.App, collection, name string) *core.Record {
	ids := namedInAnyCase(app, collection, name)
	if len(ids) != 1 {
		return nil // none, or Иван and иван and neither typed as stored
	}
	record, _ := app.FindRecordById(collection, ids[0])
	return record
}

// NamedInAnyCase returns a record of collection, other than except, whose
// name equals name under Unicode's simple case folding, or nil: the
// unique index's NOCASE folds ASCII letters only, so Иван was free beside
// иван until 2026-12-04 (hooks' users refuse it now, as BOB beside bob).
func NamedInAnyCase(app core.App, collection, name, except string) *core.Record {
	for _, id := range namedInAnyCase(app, collection, name) {
		if id != except {
			record, _ := app.FindRecordById(collection, id)
			return record
		}
	}
	return nil
}

// namedInAnyCase returns the ids of the records named name under simple
// case folding, when name has a letter NOCASE does not fold (else none:
// the index answers). It reads only the names starting with a case of
// name's first letter: a range of the NOCASE index for each.
func namedInAnyCase(app core.App, collection, name string) []string {
	if !strings.ContainsFunc(name, func(r rune) bool { return r > unicode.MaxASCII && unicode.SimpleFold(r) != r }) {
		return nil
	}
	first, _ := utf8.DecodeRuneInString(name)
	var starts []dbx.Expression
	for r := first; ; {
		if r < 'A' || r > 'Z' { // an ASCII capital's range is its small letter's under NOCASE
			starts = append(starts, dbx.NewExp(fmt.Sprintf("([[name]] COLLATE NOCASE >= {:from%d} AND [[name]] COLLATE NOCASE < {:to%d})", r, r),
				dbx.Params{fmt.Sprintf("from%d", r): string(r), fmt.Sprintf("to%d", r): string(r + 1)}))
		}
		if r = unicode.SimpleFold(r); r == first {
			break
		}
	}
	// simple folding maps one letter to one letter: the same length
	var candidates []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	err := app.DB().Select("id", "name").From(collection).Where(dbx.Or(starts...)).
		AndWhere(dbx.NewExp("length([[name]]) = {:length}", dbx.Params{"length": utf8.RuneCountInString(name)})).All(&candidates)
	if err != nil {
		return nil
	}
	var ids []string
	for _, c := range candidates {
		if strings.EqualFold(c.Name, name) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// Emails keeps email fields in EmailForm, for every writer (sign-up, the
// confirmation of an email change, dashboard, CLI): an address is one
// account whatever case it was typed in. The unique index compares them
// COLLATE NOCASE (migration 1795900881), which also makes PocketBase's
// look-ups by email (sign-in, reset, verification, email change) ignore
// case. Until 2026-12-03 alice@x.io and ALICE@x.io were two accounts.
// An address whose part before the @ passes RFC 5321's 64 characters, or
// longer than 254 in all, is refused (emailTooLong): no mail server
// delivers to it.
func Emails(app core.App, collection string, fields ...string) {
	normalized(app, collection, EmailForm, emailTooLong, fields...)
}

// EmailForm lowercases the ASCII letters of an address, the letters
// SQLite's NOCASE folds, and drops a dot that ends its domain (the same
// mail domain: until 2026-12-07 jane@madang.example. was an account beside
// jane@madang.example): what the unique index calls the same address is
// stored as one string.
func EmailForm(email string) string {
	if strings.Contains(email, "@") {
		email = strings.TrimSuffix(email, ".")
	}
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, email)
}

// emailTooLong refuses an address past RFC 5321's lengths: 64 characters
// before the @, 254 in all.
func emailTooLong(field, email string) error {
	local, _, _ := strings.Cut(email, "@")
	switch {
	case len(local) > 64:
		return validation.NewError("validation_email_too_long",
			fmt.Sprintf("The part of the address before the @ has %d characters; mail servers take at most 64.", len(local)))
	case len(email) > 254:
		return validation.NewError("validation_email_too_long",
			fmt.Sprintf("The address has %d characters; mail servers take at most 254.", len(email)))
	}
	return nil
}

// DefaultTrue makes a bool field true on API creates that do not send it
// or send null: a bool field cannot tell "false" from "not sent"; an
// update's null keeps the stored value (KeepOnNull). The value itself is
// checked as every bool's (strictValues): until 2026-12-03 a create
// sending "yes" stored a hidden post, which only an admin could bring back.
func DefaultTrue(app core.App, collection, field string) {
	KeepOnNull(app, collection, field)
	app.OnRecordCreateRequest(collection).BindFunc(func(e *core.RecordRequestEvent) error {
		if body, ok := sentBody(e); ok && body[field] == nil {
			e.Record.Set(field, true)
		}
		return e.Next()
	})
}

// KeepOnNull makes a null sent for the bool field on an API update keep
// the stored value, as not sending it does: PocketBase reads null as false
// (a moderator's form clearing a pin or a ban by an empty field). Its
// value is checked as every bool field's (strictValues).
func KeepOnNull(app core.App, collection, field string) {
	strict(app, collection, func(e *core.RecordRequestEvent, body map[string]any, _ bool) error {
		if v, sent := body[field]; sent && v == nil && !e.Record.IsNew() {
			e.Record.Set(field, e.Record.Original().GetBool(field))
		}
		return nil
	})
}

// bindStrictValues refuses, on every collection's API creates and updates,
// what PocketBase would store as something the client did not send, 400
// naming the field (strictValues): a number field's value that is no
// number (PocketBase stores "three", "", true, [] and {} as 0 or 1 — an
// admin's typo in a board's auto_hide_reports turned its auto-hiding off);
// a bool's that is no boolean ("yes", 2, [] stored as false: an unban); a
// date's that is no date ("next friday" stored as none: a temporary ban
// made permanent); text sent as a list, an object or a boolean (a ban's
// reason sent as {"text": …} stored as ""); ids or values that are not
// strings (an admin's {"boards": {"id": …}} revoked every grant); and a
// list of more than one id or value sent to a field that holds one
// (PocketBase keeps the last: a block of two members blocked the second
// only). A field's "+"/"-" modifiers are asked as the field. A number may
// come as a JSON number or as a string holding one (PocketBase reads a
// form's numeric fields as numbers and leaves the rest strings; "" in a
// form is an empty input, 0); null is no value, as PocketBase reads it.
// Every collection's fields are asked, the ones added later in the
// dashboard too; PocketBase's own checks (range, length, which ids and
// values exist) follow. A request hook: PocketBase checks a create rule
// first, on the record as it read it (the list's last item), and a refusal
// there is its own 400.
func bindStrictValues(app core.App) {
	check := func(e *core.RecordRequestEvent) error {
		body, ok := sentBody(e)
		if !ok {
			return e.Next() // PocketBase answers a body it cannot read
		}
		form := !strings.HasPrefix(e.Request.Header.Get("Content-Type"), "application/json")
		if err := strictValues(e.Collection, body, form); err != nil {
			return err
		}
		return e.Next()
	}
	app.OnRecordCreateRequest().BindFunc(check)
	app.OnRecordUpdateRequest().BindFunc(check)
}

func strictValues(c *core.Collection, body map[string]any, form bool) error {
	for _, f := range c.Fields {
		name := f.GetName()
		switch f := f.(type) {
		case *core.NumberField:
			for _, key := range []string{name, name + "+", name + "-"} {
				if v, sent := body[key]; sent && !isNumber(v, form) {
					return invalid(name, "validation_invalid_number", "Send a number for "+name+".")
				}
			}
		case *core.BoolField:
			if v, sent := body[name]; sent && !isBool(v, form) {
				return invalid(name, "validation_invalid_bool", name+" must be true or false.")
			}
		case *core.DateField:
			if v, sent := body[name]; sent && !isDate(v) {
				return invalid(name, "validation_invalid_date", "Send "+name+" as a date such as 2026-12-31 18:00:00Z, or empty.")
			}
		case *core.TextField, *core.EditorField, *core.EmailField, *core.URLField:
			if v, sent := body[name]; sent && !isText(v, form) {
				return invalid(name, "validation_invalid_text", "Send "+name+" as text.")
			}
		case *core.RelationField:
			if err := strictChoices(body, name, f.IsMultiple(), "id", form); err != nil {
				return err
			}
		case *core.SelectField:
			if err := strictChoices(body, name, f.IsMultiple(), "value", form); err != nil {
				return err
			}
		}
	}
	return nil
}

// strictChoices refuses ids or values of a relation or select field name
// (what, in the message) that are not strings, and more than one sent to
// a field that holds one.
func strictChoices(body map[string]any, name string, multiple bool, what string, form bool) error {
	for _, key := range []string{name, name + "+", "+" + name, name + "-"} {
		if v, sent := body[key]; sent && !isStrings(v, form) {
			if multiple {
				return invalid(name, "validation_invalid_"+what+"s", "Send the "+what+"s of "+name+" as a list of strings.")
			}
			return invalid(name, "validation_invalid_"+what, "Send the "+what+" of "+name+" as a string.")
		}
	}
	if !multiple && sentList(body, name) {
		return invalid(name, "validation_not_one", "Send one "+what+" for "+name+", not a list.")
	}
	return nil
}

// isBool tells whether v, sent for a bool field, is a boolean: true or
// false, 1 or 0, or a string Go reads as one (t, F, TRUE, False …: what
// PocketBase reads too; Python's requests sends True), or null (false, as
// PocketBase reads it; KeepOnNull makes it keep the stored value). In a
// form, "" is an empty input: false.
func isBool(v any, form bool) bool {
	switch v := v.(type) {
	case nil, bool:
		return true
	case string:
		_, err := strconv.ParseBool(v)
		return err == nil || form && v == ""
	case float64: // JSON's 1 and 0, and a form's (PocketBase reads them as numbers)
		return v == 0 || v == 1
	}
	return false
}

// isDate tells whether v, sent for a date field, is one PocketBase reads
// (2026-12-31, 2026-12-31 18:00:00Z, RFC 3339…), or "" or null: no date.
func isDate(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		d, _ := types.ParseDateTime(v)
		return v == "" || !d.IsZero()
	}
	return false
}

// isText tells whether v, sent for a text field, is text: a string, a
// number (PocketBase stores its digits), or null (empty). A form's value
// is what was typed, whatever PocketBase reads it as (it reads "true" as
// a boolean and "42" as a number: a post titled "true" is text).
func isText(v any, form bool) bool {
	switch v.(type) {
	case nil, string, float64:
		return true
	case bool:
		return form
	}
	return false
}

// isStrings tells whether v, sent for a relation or select field, is a
// string, a list of strings (a JSON array or a form's repeated field), or
// null (none); in a form, values PocketBase reads as numbers or booleans
// too (a select of "1" to "5").
func isStrings(v any, form bool) bool {
	one := func(item any) bool {
		switch item.(type) {
		case string:
			return true
		case float64, bool:
			return form
		}
		return false
	}
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		return !slices.ContainsFunc(v, func(item any) bool { return !one(item) })
	}
	return one(v)
}

// isNumber tells whether v, sent for a number field, is a number as the
// client meant it: a finite JSON number, a string holding one, "" in a
// form, or null.
func isNumber(v any, form bool) bool {
	switch v := v.(type) {
	case nil:
		return true
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case string:
		if v == "" {
			return form
		}
		n, err := strconv.ParseFloat(v, 64)
		return err == nil && !math.IsNaN(n) && !math.IsInf(n, 0)
	}
	return false
}

// sentList tells whether body sends more than one value to the field name,
// itself or through its "+" modifiers.
func sentList(body map[string]any, name string) bool {
	for _, key := range []string{name, name + "+", "+" + name} {
		// JSON arrays and a form's repeated fields alike (PocketBase's
		// UnmarshalRequestData)
		if v, ok := body[key].([]any); ok && len(v) > 1 {
			return true
		}
	}
	return false
}

// strict binds check to the API creates and updates of collection, before
// PocketBase reads the body: check gets the body as sent (the request info
// holds it already cast) and whether it was a form.
func strict(app core.App, collection string, check func(e *core.RecordRequestEvent, body map[string]any, form bool) error) {
	run := func(e *core.RecordRequestEvent) error {
		body, ok := sentBody(e)
		if !ok {
			return e.Next() // PocketBase answers a body it cannot read
		}
		if err := check(e, body, !strings.HasPrefix(e.Request.Header.Get("Content-Type"), "application/json")); err != nil {
			return err
		}
		return e.Next()
	}
	app.OnRecordCreateRequest(collection).BindFunc(run)
	app.OnRecordUpdateRequest(collection).BindFunc(run)
}

const sentBodyKey = "madang.access.sentBody"

// sentBody is the request's body as sent, read once per request however
// many strict fields ask; false if it cannot be read.
func sentBody(e *core.RecordRequestEvent) (map[string]any, bool) {
	if body, ok := e.Get(sentBodyKey).(map[string]any); ok {
		return body, true
	}
	body := map[string]any{}
	if err := e.BindBody(&body); err != nil {
		return nil, false
	}
	e.Set(sentBodyKey, body)
	return body, true
}

func invalid(field, code, message string) error {
	return apis.NewBadRequestError(message, validation.Errors{field: validation.NewError(code, message)})
}

// ServerKept makes the server's own SQL the only writer of fields (the
// counters' triggers, the anonymous commenters' numbers), for every
// writer, superusers too: a create starts them empty (0, or null); an
// update keeps the stored values and leaves the columns out of its UPDATE,
// so an edit racing with an atomic SQL update cannot write a stale value
// back. Once the UPDATE ran, the record is given the fields' stored values,
// read in the saving transaction (no other writer can change them before it
// commits), so its event and its response show what the save committed.
// Until 2026-12-05 they showed the values as the record was loaded: a post
// edited while it was being commented on went out to its readers with its
// old counts, which stepped back until the next counter event (probe p22).
// A collection's hooks are bound once, on its first call; later calls (the
// posts' counters and their anonymous commenters' numbers come from two
// packages) add their fields to the same list, so an update reads them all
// back in one query. Call it before the app serves.
func ServerKept(app core.App, collection string, fields ...string) {
	key := keptKey + collection
	if kept, ok := app.Store().Get(key).(*[]string); ok {
		*kept = append(*kept, fields...)
		return
	}
	kept := &[]string{}
	*kept = append(*kept, fields...)
	app.Store().Set(key, kept)
	app.OnRecordCreate(collection).BindFunc(func(e *core.RecordEvent) error {
		for _, f := range *kept {
			e.Record.Set(f, nil)
		}
		return e.Next()
	})
	app.OnRecordUpdate(collection).BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		for _, f := range *kept {
			e.Record.Set(f, original.Get(f))
		}
		// on every save, a record object's second too (writeChangedOnly):
		// such a save does not write a field set back to its loaded value
		e.Record.IgnoreUnchangedFields(true)
		return e.Next()
	})
	app.OnRecordUpdateExecute(collection).BindFunc(func(e *core.RecordEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		return readKept(e.App, e.Record, *kept)
	})
}

// keptKey prefixes the app store's key of a collection's ServerKept fields.
const keptKey = "madang.access.kept."

// readKept sets record's fields to their stored values.
func readKept(app core.App, record *core.Record, fields []string) error {
	row := dbx.NullStringMap{}
	err := app.DB().Select(fields...).From(record.Collection().Name).Where(dbx.HashExp{"id": record.Id}).One(&row)
	if err != nil {
		return fmt.Errorf("reading the stored %v of %s %s: %w", fields, record.Collection().Name, record.Id, err)
	}
	for _, f := range fields {
		if v := row[f]; v.Valid {
			record.Set(f, v.String)
		} else {
			record.Set(f, nil)
		}
	}
	return nil
}

// Trimmed keeps text fields readable on every save, whoever writes it,
// before the fields' validators run. Surrounding whitespace is trimmed; a
// value that shows nothing — whitespace and invisible characters only
// (zero-width spaces, word joiners, byte-order marks, Hangul fillers ㅤ) —
// is emptied, so it is refused as blank (400 naming the field), not stored
// as an empty, unclickable row; until 2026-12-03 "\u200b" was a title.
// Invisible characters beside visible ones stay: they may belong to them
// (the variation selector U+FE0F that makes ❤ an emoji, the tags of a
// subdivision's flag, a bidi mark).
// A control character is refused, 400 naming the field (see
// ControlCharacter). The text is stored composed (TextForm), so Hangul
// sent as conjoining jamo is the text it looks like. Only a value that is
// new or changed is asked: a moderator's hide of a record stored before
// these checks is not refused for its text.
func Trimmed(app core.App, collection string, fields ...string) {
	normalized(app, collection, TrimmedForm, nil, fields...)
}

// TrimmedForm is the form Trimmed stores a value in; a name looked up
// before a save (the CLI's boards create) is then found as FindByName
// finds the stored one, "  News " as news.
func TrimmedForm(v string) string { return TextForm(trim(v)) }

// TextForm is the form free text is stored and searched in: Unicode NFC.
// macOS and some input methods send Hangul decomposed (NFD: 부산 as the
// six conjoining jamo U+1107 U+116E U+1109 U+1161 U+11AB…), which every
// screen shows as the same syllables; stored as sent, until 2026-12-04 such
// a post was found by no search a Korean keyboard types (and an NFD query
// found no composed post), sorted before 가, missed by an equality filter,
// and its 100 syllables were 300 characters to the length limits. NFC
// changes no character a reader sees; unlike names (NameForm: NFKC) it
// keeps full-width letters and compatibility characters as written.
func TextForm(s string) string { return norm.NFC.String(s) }

// normalized stores fields in the form form gives them, on every save,
// whoever writes it, before the fields' validators and the unique indexes
// see them, and refuses a control character in a value that is new or
// changed (names and addresses too: a NUL cut a board's name short for
// its unique check), then what refuse (if any) refuses of the stored form.
func normalized(app core.App, collection string, form func(string) string,
	refuse func(field, v string) error, fields ...string) {
	app.OnRecordValidate(collection).BindFunc(func(e *core.RecordEvent) error {
		errs := validation.Errors{}
		for _, f := range fields {
			v := e.Record.GetString(f)
			if !e.Record.IsNew() && v == e.Record.Original().GetString(f) {
				continue
			}
			if err := ControlCharacterError(f, v); err != nil {
				errs[f] = err
				continue
			}
			stored := form(v)
			// as typed first, to name what was typed (NFKC makes the
			// filler ㅤ U+3164 another, U+1160)
			var err error
			if refuse != nil {
				if err = refuse(f, v); err == nil {
					err = refuse(f, stored)
				}
			}
			if err != nil {
				// the record keeps what was sent: a refused sign-up is
				// validated again to list all its problems (hooks'
				// signUpProblems), and until 2026-12-04 that second pass
				// saw the first's NFKC form and named U+1160 for U+3164
				errs[f] = err
				continue
			}
			if stored != v {
				e.Record.Set(f, stored)
			}
		}
		err := e.Next()
		if len(errs) == 0 {
			return err
		}
		if others, ok := err.(validation.Errors); ok {
			for f, fieldErr := range others {
				if _, found := errs[f]; !found {
					errs[f] = fieldErr
				}
			}
		} else if err != nil {
			return err
		}
		return errs
	})
}

// ControlCharacterError is the 400 error item for field holding a control
// character (see ControlCharacter), or nil: for a route's body field what
// Trimmed says of a record's.
func ControlCharacterError(field, value string) validation.Error {
	r, found := ControlCharacter(value)
	if !found {
		return nil
	}
	return validation.NewError("validation_control_character", fmt.Sprintf("Remove the control character %U from %s.", r, field))
}

// ControlCharacter returns the first control character of s that text may
// not hold: the C0 and C1 controls and DEL, but tab, line feed and
// carriage return (browsers send a form's line breaks as CR LF). Nobody
// types them into a title, a comment or a name: NUL cuts the text short in
// C tools (SQLite's shell, the search's LIKE), and escape sequences drive
// the terminal of an operator reading content through the CLI or the logs.
func ControlCharacter(s string) (rune, bool) {
	i := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
	})
	if i < 0 {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r, true
}

// WithoutControls is s without the characters ControlCharacter finds: for
// text Madang stores from elsewhere (a model server's reply or error),
// which it cannot refuse as it refuses a member's.
func WithoutControls(s string) string {
	if _, found := ControlCharacter(s); !found {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return -1
		}
		return r
	}, s)
}

// trim trims a one-line value on both sides; a multi-line one loses its
// trailing whitespace and leading lines that show nothing, but keeps its
// first line's indentation (Markdown code). A value that shows nothing
// becomes "".
func trim(v string) string {
	v = strings.TrimRightFunc(v, unicode.IsSpace)
	if !Shows(v) {
		return ""
	}
	if !strings.Contains(v, "\n") {
		return strings.TrimSpace(v)
	}
	for {
		line, rest, found := strings.Cut(v, "\n")
		if !found || Shows(line) {
			return v
		}
		v = rest
	}
}

// Shows tells whether s holds a character that is neither whitespace nor
// invisible: a format character (U+200B, U+2060, U+FEFF, bidi marks…), a
// variation selector or another of Unicode's default-ignorable code points
// (the Hangul fillers U+115F, U+1160, U+3164, U+FFA0). The prepended
// concatenation marks are format characters that show (the Arabic number
// sign U+0600).
func Shows(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !Invisible(r) && !unicode.IsSpace(r) }) >= 0
}

// Invisible tells whether r is one of the characters shows calls invisible.
// The blank braille pattern U+2800 is a symbol to Unicode but draws
// nothing: until 2026-12-04 it was a title, a comment and a name.
func Invisible(r rune) bool {
	return r == brailleBlank || unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) &&
		!unicode.Is(unicode.Prepended_Concatenation_Mark, r)
}

const brailleBlank = '\u2800'

// Explained gives collection's field, when its validation fails with code,
// the sentence message instead of PocketBase's: one that says what the
// field takes ("Invalid value format." and "mime type must be one of: …"
// did not). It runs on every validation (API, dashboard, CLI).
func Explained(app core.App, collection, field, code, message string) {
	app.OnRecordValidate(collection).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		if errs, ok := err.(validation.Errors); ok {
			if v, ok := errs[field].(validation.Error); ok && v.Code() == code {
				errs[field] = v.SetMessage(message)
			}
		}
		return err
	})
}
