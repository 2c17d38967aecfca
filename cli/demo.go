package cli

import (
	"errors"
	"fmt"

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
	{"공지사항", "운영진 공지 / Announcements from the team", access.ReadPublic, access.WriteAdmins},
	{"자유게시판", "무엇이든 이야기해요 / Talk about anything", access.ReadPublic, access.WriteMembers},
	{"회원 라운지", "로그인한 회원만 / Members only", access.ReadMembers, access.WriteMembers},
	{"스터디", "초대된 회원만 / Invited members only", access.ReadGranted, access.WriteGranted},
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
				fmt.Fprintf(out, "  %-7s %-22s password %s\n", u.role, u.email, u.password)
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	return cmd
}

func ensureEmpty(app core.App) error {
	users, err := app.CountRecords("users")
	if err != nil {
		return err
	}
	boards, err := app.CountRecords("boards")
	if err != nil {
		return err
	}
	if users+boards > 0 {
		return errors.New("the data dir already has users or boards; the demo only fills an empty one (use another --dir)")
	}
	return nil
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
	for _, u := range demoUsers {
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
