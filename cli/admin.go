package cli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"madang/internal/access"
)

func adminCommand(app core.App) *cobra.Command {
	var name string
	create := &cobra.Command{
		Use:   "create EMAIL PASSWORD",
		Short: "Create an in-app admin (moderator) account",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			email, password := args[0], args[1]
			if _, err := app.FindAuthRecordByEmail("users", email); err == nil {
				return fmt.Errorf("a user with email %s already exists", email)
			}
			if name == "" {
				name = nameFromEmail(email)
			}
			// names are unique regardless of case; say who has it, not a bare "must be unique"
			if taken, err := access.FindByName(app, "users", name); err == nil {
				return fmt.Errorf("the name %q is already taken by %s; choose another with --name", name, taken.Email())
			}
			users, err := app.FindCollectionByNameOrId("users")
			if err != nil {
				return err
			}
			admin := core.NewRecord(users)
			admin.SetEmail(email)
			admin.SetPassword(password)
			admin.SetVerified(true)
			admin.Set("name", name)
			admin.Set("role", access.RoleAdmin)
			if err := app.Save(admin); err != nil {
				return fmt.Errorf("creating admin %s: %w", email, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created admin %s (name %q, id %s).\n", email, name, admin.Id)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "display and sign-in name (default: from the email)")
	return group(app, "admin", "Manage in-app admins", create)
}

var nameUnsafe = regexp.MustCompile(`[^\p{L}\p{M}\p{N}_.\-]+`)

// nameFromEmail derives a valid users.name from an email's local part.
func nameFromEmail(email string) string {
	local, _, _ := strings.Cut(email, "@")
	name := nameUnsafe.ReplaceAllString(local, "_")
	for len([]rune(name)) < 2 {
		name += "_"
	}
	if r := []rune(name); len(r) > 64 {
		name = string(r[:64])
	}
	return name
}
