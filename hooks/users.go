package hooks

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"madang/internal/access"
)

// PrivilegedUserFields are written only by admins, superusers and the CLI.
var PrivilegedUserFields = []string{"role", "banned", "ban_reason", "banned_until", "boards"}

// banFields are the privileged fields an admin may not change on another admin.
var banFields = []string{"banned", "ban_reason", "banned_until"}

func registerUsers(app core.App) {
	app.OnRecordCreate(access.CollectionNameUsers).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("role") == "" {
			e.Record.Set("role", access.RoleMember)
		}
		return e.Next()
	})
	app.OnRecordCreateRequest(access.CollectionNameUsers).BindFunc(func(e *core.RecordRequestEvent) error {
		if e.HasSuperuserAuth() {
			return e.Next()
		}
		info, err := e.RequestInfo()
		if err != nil {
			return err
		}
		if refused := submitted(info.Body, PrivilegedUserFields); len(refused) > 0 {
			return privilegedFieldsError("Only admins can set these fields; sign up with name, email and password only.", refused)
		}
		err = e.Next()
		var refused *router.ApiError
		if errors.As(err, &refused) && refused.Status == http.StatusBadRequest {
			if problems := signUpProblems(e, info.Body); len(problems) > 0 {
				return apis.NewBadRequestError("Failed to create record.", problems)
			}
		}
		return err
	})
	app.OnRecordAuthWithPasswordRequest(access.CollectionNameUsers).BindFunc(signInByNameForm)
	app.OnRecordUpdateRequest(access.CollectionNameUsers).BindFunc(checkPrivilegedUpdate)
	app.OnRecordUpdateRequest(access.CollectionNameUsers).BindFunc(limitOldPasswordGuesses)
	// a ban's fields are read as sent, as every bool and date field
	// (access.bindStrictValues: PocketBase stored "yes" or 0 as false, an
	// unban, and "next friday" as no end, a permanent ban); a null ban
	// keeps the stored one
	access.KeepOnNull(app, access.CollectionNameUsers, "banned")
	// a superuser's password too, whoever sets it (the dashboard, the API,
	// PocketBase's superuser commands): until 2026-12-07 `superuser upsert
	// EMAIL password` was saved, and a password past 72 bytes was refused with
	// bcrypt's raw error
	app.OnRecordValidate(access.CollectionNameUsers, core.CollectionNameSuperusers).BindFunc(checkNewPassword)
	access.Names(app, access.CollectionNameUsers, "name")
	app.OnRecordValidate(access.CollectionNameUsers).BindFunc(refuseNameTwin) // after Names: the stored form
	// the name's pattern error says what is allowed: PocketBase's is
	// "Invalid value format.", and until 2026-12-04 a member signing up as
	// 행복한 하루 — Korean nicknames often hold a space — was not told the
	// space was the problem
	access.Explained(app, access.CollectionNameUsers, "name", "validation_invalid_format", nameFormat)
	access.Emails(app, access.CollectionNameUsers, core.FieldNameEmail)
	access.Emails(app, core.CollectionNameSuperusers, core.FieldNameEmail)
	// shown to the banned member and in the moderation log; until
	// 2026-12-04 it took NUL and escape sequences
	access.Trimmed(app, access.CollectionNameUsers, "ban_reason")
}

// refuseNameTwin refuses a new or changed name that is another member's
// in another case of any script, or with an honorific added or taken off
// (access.HonorificTwins). Until
// 2026-12-04 both twins were taken: the unique index folds ASCII only, so
// иван passed for Иван; and anyone could sign up as 운영자님 beside the
// admin 운영자, and @운영자님 — how Korean addresses a moderator — told
// them, with the text's first 300 characters, instead of the admin. The
// honorific refusal names the member (names are public: mentions suggest
// them).
func refuseNameTwin(e *core.RecordEvent) error {
	name := e.Record.GetString("name")
	if name == "" || !e.Record.IsNew() && name == e.Record.Original().GetString("name") {
		return e.Next()
	}
	var problem error
	if other := access.NamedInAnyCase(e.App, access.CollectionNameUsers, name, e.Record.Id); other != nil {
		// as the unique index refuses BOB beside bob
		problem = validation.NewError("validation_not_unique", "Value must be unique.")
	}
	for _, twin := range access.HonorificTwins(name) {
		if problem != nil {
			break
		}
		if other, err := access.FindByName(e.App, access.CollectionNameUsers, twin); err == nil && other.Id != e.Record.Id {
			problem = validation.NewError("validation_name_honorific_twin",
				fmt.Sprintf("%s reads as the member %s with an honorific; choose a name of your own.", name, other.GetString("name")))
			break
		}
	}
	err := e.Next()
	if problem == nil {
		return err
	}
	// with the record's other problems, as a sign-up lists them all
	errs, ok := err.(validation.Errors)
	if !ok && err != nil {
		return err
	}
	if errs == nil {
		errs = validation.Errors{}
	}
	if errs["name"] == nil {
		errs["name"] = problem
	}
	return errs
}

// nameFormat says what a name may hold (the users name field's pattern).
const nameFormat = "Use letters of any script, digits, _ . or - (no spaces)."

// signUpProblems is every problem of a refused sign-up at once: PocketBase
// answers in rounds (first a mismatched confirmation, then the fields,
// then a taken name or email), so a form would show one kind per try.
// Whatever it finds PocketBase refuses too, with the same codes; it runs
// only after PocketBase refused, so a good sign-up pays nothing.
func signUpProblems(e *core.RecordRequestEvent, body map[string]any) validation.Errors {
	problems := validation.Errors{}
	var fields validation.Errors
	if err := e.App.Validate(e.Record); errors.As(err, &fields) {
		maps.Copy(problems, fields)
	}
	password, _ := body["password"].(string)
	switch confirm, _ := body["passwordConfirm"].(string); {
	case confirm == "":
		problems["passwordConfirm"] = validation.NewError("validation_required", "Cannot be blank.")
	case confirm != password:
		problems["passwordConfirm"] = validation.NewError("validation_values_mismatch", "Values don't match.")
	}
	for _, f := range []string{"name", "email"} {
		value := e.Record.GetString(f)
		if value == "" || problems[f] != nil {
			continue
		}
		var taken int
		err := e.App.DB().Select("COUNT(*)").From(access.CollectionNameUsers).
			Where(dbx.NewExp("LOWER([["+f+"]]) = LOWER({:value})", dbx.Params{"value": value})).Row(&taken)
		if err == nil && taken > 0 {
			problems[f] = validation.NewError("validation_not_unique", "Value must be unique.")
		}
	}
	return problems
}

// signInByNameForm finds the member whose name is the identity in the
// form names are stored in (access.Names): PocketBase looks the identity
// up as typed, so a member who signed up as a full-width ｚｏｅ (stored
// zoe) or a decomposed 지훈 could not sign in typing it the same way.
func signInByNameForm(e *core.RecordAuthWithPasswordRequestEvent) error {
	if e.Record == nil && (e.IdentityField == "" || e.IdentityField == "name") && access.NameForm(e.Identity) != e.Identity {
		if user, err := access.FindByName(e.App, access.CollectionNameUsers, e.Identity); err == nil {
			e.Record = user
		}
	}
	return e.Next()
}

// checkPrivilegedUpdate lets a user edit their own profile, an admin manage
// members (but not roles, nor other admins' bans), and a superuser anything.
func checkPrivilegedUpdate(e *core.RecordRequestEvent) error {
	if e.HasSuperuserAuth() {
		return e.Next()
	}
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	if access.IsAdmin(info.Auth) && info.Auth.Id != e.Record.Id {
		if owned := ownFieldsChanged(e.Record); len(owned) > 0 {
			return privilegedFieldsError("Admins change only other accounts' bans and board grants; "+
				"remove an offensive avatar or name with POST /api/users/{id}/moderate.", owned)
		}
	}
	changed := changedFields(e.Record, info.Body, PrivilegedUserFields)
	if len(changed) == 0 {
		return e.Next()
	}
	if !access.IsAdmin(info.Auth) {
		return privilegedFieldsError("Only admins can change these fields.", changed)
	}
	if refused := intersect(changed, []string{"role"}); len(refused) > 0 {
		return privilegedFieldsError("Only superusers and the command line can change roles.", refused)
	}
	if e.Record.Original().GetString("role") == access.RoleAdmin {
		if refused := intersect(changed, banFields); len(refused) > 0 {
			if info.Auth.Id == e.Record.Id {
				return privilegedFieldsError("Admins cannot ban or unban themselves; ask a superuser.", refused)
			}
			return privilegedFieldsError("Admins cannot ban or unban other admins; ask a superuser.", refused)
		}
	}
	return e.Next()
}

// ownFieldsChanged lists the fields of a users record that belong to its
// owner (everything but the privileged fields and what the server keeps)
// and that the request changes. An admin never publishes a member's email,
// picks their picture or renames them through an edit.
func ownFieldsChanged(record *core.Record) []string {
	var changed []string
	original := record.Original()
	for _, f := range record.Collection().Fields {
		name := f.GetName()
		if slices.Contains(PrivilegedUserFields, name) || f.Type() == core.FieldTypeAutodate || name == core.FieldNameTokenKey {
			continue
		}
		if !reflect.DeepEqual(record.GetRaw(name), original.GetRaw(name)) {
			changed = append(changed, name)
		}
	}
	return changed
}

// submitted lists which of fields the body carries, in any modifier form.
func submitted(body map[string]any, fields []string) []string {
	var found []string
	for _, f := range fields {
		for _, key := range []string{f, f + "+", "+" + f, f + "-"} {
			if _, ok := body[key]; ok {
				found = append(found, f)
				break
			}
		}
	}
	return found
}

// changedFields lists which of the submitted fields would change the record.
// Sending a field back unchanged (a client echoing the whole record) is fine.
func changedFields(record *core.Record, body map[string]any, fields []string) []string {
	var changed []string
	original := record.Original()
	for _, f := range submitted(body, fields) {
		if !reflect.DeepEqual(record.Get(f), original.Get(f)) {
			changed = append(changed, f)
		}
	}
	return changed
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
			}
		}
	}
	return out
}

func privilegedFieldsError(message string, fields []string) error {
	data := validation.Errors{}
	for _, f := range fields {
		data[f] = validation.NewError("privileged_field", "You are not allowed to set "+f+".")
	}
	return apis.NewForbiddenError(message, data)
}
