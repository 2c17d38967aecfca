package cli

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"madang/internal/access"
)

func boardsCommand(app core.App) *cobra.Command {
	return group(app, "boards", "Create and list boards", boardsCreateCommand(app), boardsListCommand(app))
}

func boardsCreateCommand(app core.App) *cobra.Command {
	var read, write, info string
	var hidden bool
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a board",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			board, err := createBoard(app, args[0], info, read, write, !hidden)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created board %q (id %s, read %s, write %s).\n", board.GetString("name"), board.Id, read, write)
			return nil
		},
	}
	cmd.Flags().StringVar(&read, "read", access.ReadPublic, "who can read: public, members or granted")
	cmd.Flags().StringVar(&write, "write", access.WriteMembers, "who can post: members, granted or admins")
	cmd.Flags().StringVar(&info, "info", "", "a short description (512 characters at most)")
	cmd.Flags().BoolVar(&hidden, "hidden", false, "create the board hidden (only admins see it)")
	return cmd
}

func createBoard(app core.App, name, info, read, write string, visible bool) (*core.Record, error) {
	if !slices.Contains([]string{access.ReadPublic, access.ReadMembers, access.ReadGranted}, read) {
		return nil, fmt.Errorf("bad --read %q: use public, members or granted", read)
	}
	if !slices.Contains([]string{access.WriteMembers, access.WriteGranted, access.WriteAdmins}, write) {
		return nil, fmt.Errorf("bad --write %q: use members, granted or admins", write)
	}
	// trimmed as it will be stored, so "  News " finds news as "news" does:
	// until 2026-12-07 it went past this check to the unique index's "Value
	// must be unique"
	name = access.TrimmedForm(name)
	if existing, err := findBoard(app, name); err == nil {
		return nil, fmt.Errorf("a board named %q already exists (id %s)", existing.GetString("name"), existing.Id)
	}
	boards, err := app.FindCollectionByNameOrId("boards")
	if err != nil {
		return nil, err
	}
	board := core.NewRecord(boards)
	board.Set("name", name)
	board.Set("information", info)
	board.Set("read", read)
	board.Set("write", write)
	board.Set("is_visible", visible)
	if err := app.Save(board); err != nil {
		return nil, fmt.Errorf("creating board %q: %w", name, err)
	}
	return board, nil
}

func boardsListCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List all boards, hidden ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			boards, err := app.FindRecordsByFilter("boards", "", "created", 0, 0)
			if err != nil {
				return fmt.Errorf("listing boards: %w", err)
			}
			rows := [][]string{{"ID", "NAME", "READ", "WRITE", "VISIBLE", "POSTS"}}
			for _, b := range boards {
				rows = append(rows, []string{b.Id, b.GetString("name"), b.GetString("read"),
					b.GetString("write"), strconv.FormatBool(b.GetBool("is_visible")), strconv.Itoa(b.GetInt("posts_count"))})
			}
			return writeTable(cmd.OutOrStdout(), rows)
		},
	}
}
