package cli

import (
	"errors"
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"madang/internal/access"
)

type demoUser struct{ email, name, password, role string }

var demoUsers = []demoUser{
	{"admin@madang.example", "운영자", "madang-admin-2026", access.RoleAdmin},
	{"minsu@madang.example", "민수", "madang-demo-2026", access.RoleMember},
	{"jane@madang.example", "jane", "madang-demo-2026", access.RoleMember},
}

type demoBoard struct{ name, info, read, write string }

var demoBoards = []demoBoard{
	{"공지사항", "운영진이 전하는 소식", access.ReadPublic, access.WriteAdmins},
	{"자유게시판", "무엇이든 편하게 이야기해요", access.ReadPublic, access.WriteMembers},
	{"회원 라운지", "로그인한 회원만 읽을 수 있어요", access.ReadMembers, access.WriteMembers},
	{"스터디", "초대받은 회원만 들어올 수 있어요", access.ReadGranted, access.WriteGranted},
}

func demoCommand(app core.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Fill an empty data dir with a small demo community",
		Args:  cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			return app.RunAllMigrations()
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := ensureEmpty(app); err != nil {
				return err
			}
			if err := app.RunInTransaction(loadDemo); err != nil {
				return fmt.Errorf("loading the demo (nothing was written): %w", err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, "Loaded the demo community. Sign in with:")
			for _, u := range demoUsers {
				user, err := findDemoUser(app, u.email)
				if err != nil {
					return err
				}
				if user.Email() != u.email {
					fmt.Fprintf(out, "  %-7s %-22s your own password (the demo's admin is you)\n", u.role, user.Email())
					continue
				}
				fmt.Fprintf(out, "  %-7s %-22s password %s\n", u.role, u.email, u.password)
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	return cmd
}

// ensureEmpty lets the demo fill a data dir with no boards and no members.
// Admins may be there already: the quick start has a newcomer create their
// own admin first, and that admin then plays the demo's (see findDemoUser).
func ensureEmpty(app core.App) error {
	members, err := app.CountRecords("users", dbx.NewExp("role != {:admin}", dbx.Params{"admin": access.RoleAdmin}))
	if err != nil {
		return err
	}
	boards, err := app.CountRecords("boards")
	if err != nil {
		return err
	}
	if members+boards > 0 {
		return errors.New("the data dir already has members or boards; the demo only fills an empty one (admins may be there already; use another --dir)")
	}
	return nil
}

// findDemoUser finds a demo account by its email. The demo's admin is the
// data dir's first admin when one was there before the demo (the demo then
// does not create its own, whose name 운영자 the operator may have taken).
func findDemoUser(app core.App, email string) (*core.Record, error) {
	if user, err := app.FindAuthRecordByEmail("users", email); err == nil {
		return user, nil
	}
	if email == demoUsers[0].email {
		admins, err := app.FindRecordsByFilter("users", "role = {:admin}", "created", 1, 0, dbx.Params{"admin": access.RoleAdmin})
		if err == nil && len(admins) == 1 {
			return admins[0], nil
		}
	}
	return nil, fmt.Errorf("finding demo user %s: no such user", email)
}

func loadDemo(txApp core.App) error {
	boards := map[string]*core.Record{}
	for _, b := range demoBoards {
		board, err := createBoard(txApp, b.name, b.info, b.read, b.write, true)
		if err != nil {
			return err
		}
		boards[b.name] = board
	}
	users, err := txApp.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	admins, err := txApp.CountRecords("users", dbx.NewExp("role = {:admin}", dbx.Params{"admin": access.RoleAdmin}))
	if err != nil {
		return err
	}
	for _, u := range demoUsers {
		if u.role == access.RoleAdmin && admins > 0 {
			continue // the operator's own admin plays this part
		}
		user := core.NewRecord(users)
		user.SetEmail(u.email)
		user.SetPassword(u.password)
		user.SetVerified(true)
		user.Set("name", u.name)
		user.Set("role", u.role)
		if u.role == access.RoleMember && u.name == "민수" {
			user.Set("boards", []string{boards["스터디"].Id})
		}
		if err := txApp.Save(user); err != nil {
			return fmt.Errorf("creating demo user %s: %w", u.email, err)
		}
	}
	if err := loadDemoChat(txApp); err != nil {
		return err
	}
	if err := loadDemoAI(txApp); err != nil {
		return err
	}
	if err := loadDemoPosts(txApp); err != nil {
		return err
	}
	return loadDemoCommunity(txApp)
}
