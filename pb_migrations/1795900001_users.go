package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// privilegedUserFields are dropped by the down migration. Who may write them is
// decided by hooks (users.go), not by these rules: PocketBase checks rules
// before request hooks and answers a failed rule with a bare 400/404, while
// the contract asks for a 403 that names the refused field.
var privilegedUserFields = []string{"role", "banned", "ban_reason", "banned_until", "boards"}

func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		boards, err := app.FindCollectionByNameOrId("boards")
		if err != nil {
			return err
		}

		admin := `@request.auth.role = "admin"`
		users.ListRule = types.Pointer(admin)
		// Anyone may view a profile (needed for expand=author); hooks hide the
		// private fields from everyone but the user, admins and superusers.
		users.ViewRule = types.Pointer("")
		users.CreateRule = types.Pointer("")
		users.UpdateRule = types.Pointer("id = @request.auth.id || " + admin)
		users.DeleteRule = types.Pointer("id = @request.auth.id")

		name := users.Fields.GetByName("name").(*core.TextField)
		name.Required = true
		name.Min = 2
		name.Max = 64
		name.Pattern = `^[\p{L}\p{M}\p{N}_.\-]+$`
		name.Presentable = true
		name.Help = "2–64 letters (any script), digits, _ . - ; unique regardless of case. Sign-in works with it."

		avatar := users.Fields.GetByName("avatar").(*core.FileField)
		avatar.MaxSize = 5 << 20

		users.Fields.Add(
			&core.SelectField{Name: "role", MaxSelect: 1, Values: []string{"member", "admin"},
				Help: "member (default) or admin (in-app moderator). Only superusers and the CLI change it."},
			&core.BoolField{Name: "banned",
				Help: "Banning signs the user out everywhere at once (all tokens and realtime connections)."},
			&core.TextField{Name: "ban_reason", Max: 512, Help: "Shown to the user when sign-in is refused."},
			&core.DateField{Name: "banned_until",
				Help: "Empty with banned = permanent ban; the ban lifts by itself after this date."},
			&core.RelationField{Name: "boards", CollectionId: boards.Id, MaxSelect: 2147483647,
				Help: "Boards granted to this user (for boards whose access level is 'granted')."},
		)
		users.AddIndex("idx_users_name_nocase", true, "name COLLATE NOCASE", "")
		users.AddIndex("idx_users_role", false, "role", "")
		users.PasswordAuth.IdentityFields = []string{"email", "name"}
		users.PasswordAuth.Enabled = true
		users.ResetPasswordTemplate = resetPasswordTemplate
		users.VerificationTemplate = verificationTemplate
		return app.Save(users)
	}, func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		for _, f := range privilegedUserFields {
			users.Fields.RemoveByName(f)
		}
		users.RemoveIndex("idx_users_name_nocase")
		users.RemoveIndex("idx_users_role")
		users.PasswordAuth.IdentityFields = []string{"email"}
		name := users.Fields.GetByName("name").(*core.TextField)
		name.Required, name.Min, name.Max, name.Pattern = false, 0, 255, ""
		owner := types.Pointer("id = @request.auth.id")
		users.ListRule, users.ViewRule, users.UpdateRule, users.DeleteRule = owner, owner, owner, owner
		users.CreateRule = types.Pointer("")
		return app.Save(users)
	})
}
