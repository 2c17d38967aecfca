package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/spf13/cobra"

	"madang/hooks"
	"madang/internal/access"
	"madang/internal/centrifugo"
	"madang/internal/realtime"
)

func usersCommand(app core.App) *cobra.Command {
	return group(app, "users", "List users, ban and unban them, grant boards, reset passwords, sign them out",
		usersListCommand(app),
		usersBanCommand(app),
		usersUnbanCommand(app),
		usersGrantCommand(app, "grant"),
		usersGrantCommand(app, "revoke"),
		usersResetPasswordCommand(app),
		usersSignOutCommand(app),
	)
}

func usersSignOutCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "sign-out NAME",
		Short: "Sign a user out of every device: their tokens stop working and their live connections close",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := findUser(app, args[0])
			if err != nil {
				return err
			}
			err = hooks.SignOutEverywhere(app, user)
			if err == nil {
				err = tierConfigError(app)
			}
			if errors.Is(err, realtime.ErrTierNotClosed) {
				return stillConnected("signed "+user.Email()+" out", err)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Signed %s (%s) out of every device.\n", user.GetString("name"), user.Email())
			return nil
		},
	}
}

// stillConnected is the CLI's answer when done (a sign-out, a ban) rotated
// the user's tokens but err kept their tier connections open.
func stillConnected(done string, err error) error {
	return fmt.Errorf("%s: their tokens were rotated, but %w; they end when their connection token expires (MADANG_CENTRIFUGO_TOKEN_TTL)", done, err)
}

// tierConfigError is a refused MADANG_CENTRIFUGO_* configuration as a
// failure to close the user's tier connections (the CLI ran without the
// tier), wrapping realtime.ErrTierNotClosed; nil when there is none.
func tierConfigError(app core.App) error {
	if err := centrifugo.ConfigError(app); err != nil {
		return fmt.Errorf("%w (%w)", realtime.ErrTierNotClosed, err)
	}
	return nil
}

func usersListCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List all users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			users, err := app.FindRecordsByFilter("users", "", "created", 0, 0)
			if err != nil {
				return fmt.Errorf("listing users: %w", err)
			}
			rows := [][]string{{"ID", "NAME", "EMAIL", "ROLE", "BANNED", "BOARDS", "JOINED"}}
			for _, u := range users {
				rows = append(rows, []string{u.Id, u.GetString("name"), u.Email(),
					u.GetString("role"), banState(u), strconv.Itoa(len(u.GetStringSlice("boards"))),
					u.GetDateTime("created").Time().Format("2006-01-02")})
			}
			return writeTable(cmd.OutOrStdout(), rows)
		},
	}
}

func banState(u *core.Record) string {
	if !u.GetBool("banned") {
		return "no"
	}
	if until := u.GetDateTime("banned_until"); !until.IsZero() {
		return "until " + until.Time().UTC().Format("2006-01-02 15:04") + " UTC"
	}
	return "permanent"
}

func usersBanCommand(app core.App) *cobra.Command {
	var reason, until string
	cmd := &cobra.Command{
		Use:   "ban EMAIL",
		Short: "Ban a user at once: signs them out everywhere",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := findUser(app, args[0])
			if err != nil {
				return err
			}
			if len([]rune(reason)) > 512 {
				return fmt.Errorf("the reason is %d characters long; 512 at most", len([]rune(reason)))
			}
			// a ban replaces the one a banned user has, and says so (until
			// 2026-12-07 a second ban made a temporary one permanent, its
			// reason gone, without a word); the log has both (community/modlog.go)
			already, was := user.GetBool("banned"), access.BanTerms(user)
			// the users model hooks refuse an end in the past (hooks/bans.go
			// settleBanFields), as for the API and the dashboard
			user.Set("banned", true)
			user.Set("ban_reason", reason)
			user.Set("banned_until", "") // permanent, also for a user banned until a date
			if until != "" {
				t, err := parseDate(until)
				if err != nil {
					return err
				}
				user.Set("banned_until", t)
			}
			ctx, notClosed := realtime.WithCloseReport(context.Background())
			if err := app.SaveWithContext(ctx, user); err != nil {
				return fmt.Errorf("banning %s: %w", args[0], err)
			}
			if err := errors.Join(notClosed(), tierConfigError(app)); err != nil {
				return stillConnected(fmt.Sprintf("banned %s (%s)", user.Email(), banState(user)), err)
			}
			switch now := access.BanTerms(user); {
			case !already:
				fmt.Fprintf(cmd.OutOrStdout(), "Banned %s (%s).\n", user.Email(), banState(user))
			case now == was:
				fmt.Fprintf(cmd.OutOrStdout(), "%s was already banned (%s); nothing changed.\n", user.Email(), was)
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "%s was already banned (%s); the ban is now %s.\n", user.Email(), was, now)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown to the user at sign-in)")
	cmd.Flags().StringVar(&until, "until", "", "end of the ban, e.g. 2026-12-31 or 2026-12-31 18:00 (UTC); empty = permanent")
	return cmd
}

func usersUnbanCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "unban EMAIL",
		Short: "Lift a user's ban",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := findUser(app, args[0])
			if err != nil {
				return err
			}
			if !user.GetBool("banned") {
				return fmt.Errorf("%s is not banned", user.Email())
			}
			user.Set("banned", false) // the save clears the ban's end and reason (hooks/bans.go settleBanFields)
			if err := app.Save(user); err != nil {
				return fmt.Errorf("unbanning %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Unbanned %s.\n", user.Email())
			return nil
		},
	}
}

// usersGrantCommand builds `grant` or `revoke`, which differ only in direction.
func usersGrantCommand(app core.App, verb string) *cobra.Command {
	short := "Give a user access to a board"
	if verb == "revoke" {
		short = "Take a board's access away from a user"
	}
	return &cobra.Command{
		Use:   verb + " EMAIL BOARD",
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := findUser(app, args[0])
			if err != nil {
				return err
			}
			board, err := findBoard(app, args[1])
			if err != nil {
				return err
			}
			granted := slices.Contains(user.GetStringSlice("boards"), board.Id)
			switch {
			case verb == "grant" && granted:
				return fmt.Errorf("%s already has board %q", user.Email(), board.GetString("name"))
			case verb == "revoke" && !granted:
				return fmt.Errorf("%s does not have board %q", user.Email(), board.GetString("name"))
			case verb == "grant":
				user.Set("boards+", board.Id)
			default:
				user.Set("boards-", board.Id)
			}
			if err := app.Save(user); err != nil {
				return fmt.Errorf("%s %s on board %s: %w", verb, args[0], args[1], err)
			}
			done := map[string]string{"grant": "Granted", "revoke": "Revoked"}[verb]
			fmt.Fprintf(cmd.OutOrStdout(), "%s board %q for %s.\n", done, board.GetString("name"), user.Email())
			return nil
		},
	}
}

func usersResetPasswordCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "reset-password EMAIL",
		Short: "Mail a password-reset link (with SMTP) or set and print a random temporary password",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := findUser(app, args[0])
			if err != nil {
				return err
			}
			if app.Settings().SMTP.Enabled {
				if err := mails.SendRecordPasswordReset(app, user); err != nil {
					return fmt.Errorf("mailing the reset link to %s: %w", user.Email(), err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Mailed a password-reset link to %s.\n", user.Email())
				return nil
			}
			password := security.RandomString(16)
			user.SetPassword(password) // also rotates the token key: old sessions end
			if err := app.Save(user); err != nil {
				return fmt.Errorf("setting a new password for %s: %w", user.Email(), err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "SMTP is not configured, so no mail was sent.\n"+
				"Set a temporary password for %s: %s\nIt works until changed: ask the user to change it after signing in.\n",
				user.Email(), password)
			return nil
		},
	}
}
