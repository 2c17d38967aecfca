package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"madang/ai"
	"madang/internal/access"
)

func aiCommand(app core.App) *cobra.Command {
	return group(app, "ai", "List and train AI models, list AI jobs",
		aiListCommand(app),
		aiTrainCommand(app),
		aiJobsCommand(app),
	)
}

func aiListCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List all AI models, hidden ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var models []struct {
				ID        string `db:"id"`
				Name      string `db:"name"`
				Kind      string `db:"kind"`
				Status    string `db:"status"`
				IsVisible bool   `db:"is_visible"`
				Metrics   string `db:"metrics"`
				TrainedAt string `db:"trained_at"`
				Error     string `db:"error"`
			}
			// the model column is left out: it may hold megabytes per row
			err := app.DB().Select("id", "name", "kind", "status", "is_visible",
				"COALESCE(metrics, '') AS metrics", "trained_at", "error").
				From(ai.Models).OrderBy("name").All(&models)
			if err != nil {
				return fmt.Errorf("listing AI models: %w", err)
			}
			rows := [][]string{{"ID", "NAME", "KIND", "STATUS", "VISIBLE", "TRAINED", "METRICS"}}
			for _, m := range models {
				detail := formatMetrics(m.Metrics)
				if m.Status == ai.StatusFailed {
					detail = m.Error
				}
				rows = append(rows, []string{m.ID, m.Name, m.Kind, m.Status, strconv.FormatBool(m.IsVisible),
					shortDate(m.TrainedAt), detail})
			}
			return writeTable(cmd.OutOrStdout(), rows)
		},
	}
}

// formatMetrics prints stored metrics as "r2=0.998 rmse=1.02", sorted.
func formatMetrics(raw string) string {
	var metrics map[string]float64
	if json.Unmarshal([]byte(raw), &metrics) != nil {
		return ""
	}
	parts := make([]string, 0, len(metrics))
	for k, v := range metrics {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

func shortDate(s string) string {
	if len(s) < 16 {
		return "-"
	}
	return s[:16]
}

func aiTrainCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "train NAME",
		Short: "Train a model now and wait for it (NAME = name or id); Ctrl-C stops it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			model, err := findModel(app, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			name := model.GetString("name")
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			fmt.Fprintf(out, "Training %q (%s)…\n", name, model.GetString("kind"))
			started := time.Now()
			err = ai.TrainRecord(ctx, app, model, func(msg string) { fmt.Fprintln(out, "  "+msg) })
			if err != nil {
				return fmt.Errorf("training %q failed: %w", name, err)
			}
			model, err = app.FindRecordById(ai.Models, model.Id)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "Model %q is ready after %s: %s\n", name, time.Since(started).Round(time.Millisecond),
				formatMetrics(model.GetString("metrics")))
			return nil
		},
	}
}

// findModel finds an AI model by id or by name (see access.FindByName).
func findModel(app core.App, nameOrID string) (*core.Record, error) {
	if model, err := app.FindRecordById(ai.Models, nameOrID); err == nil {
		return model, nil
	}
	model, err := access.FindByName(app, ai.Models, nameOrID)
	if err != nil {
		return nil, fmt.Errorf("no AI model with name or id %q (see `madang ai list`)", nameOrID)
	}
	return model, nil
}

var jobStatuses = []string{ai.JobQueued, ai.JobRunning, ai.JobSucceeded, ai.JobFailed, ai.JobCanceled}

func aiJobsCommand(app core.App) *cobra.Command {
	var status string
	var limit int
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List the latest AI jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if status != "" && !slices.Contains(jobStatuses, status) {
				return fmt.Errorf("bad --status %q: use %s", status, strings.Join(jobStatuses, ", "))
			}
			if limit < 1 {
				return fmt.Errorf("bad --limit %d: use a number of at least 1", limit)
			}
			var jobs []struct {
				ID       string `db:"id"`
				Model    string `db:"model"`
				User     string `db:"user"`
				Status   string `db:"status"`
				Created  string `db:"created"`
				Started  string `db:"started_at"`
				Finished string `db:"finished_at"`
				Error    string `db:"error"`
			}
			q := app.DB().Select("j.id", "COALESCE(a.name, j.ai) AS model", "COALESCE(u.name, j.user) AS user",
				"j.status", "j.created", "j.started_at", "j.finished_at", "j.error").
				From(ai.Jobs+" j").
				LeftJoin(ai.Models+" a", dbx.NewExp("a.id = j.ai")).
				LeftJoin("users u", dbx.NewExp("u.id = j.user")).
				OrderBy("j.created DESC").Limit(int64(limit))
			if status != "" {
				q.Where(dbx.HashExp{"j.status": status})
			}
			if err := q.All(&jobs); err != nil {
				return fmt.Errorf("listing AI jobs: %w", err)
			}
			rows := [][]string{{"ID", "MODEL", "USER", "STATUS", "CREATED", "RUN", "ERROR"}}
			for _, j := range jobs {
				rows = append(rows, []string{j.ID, j.Model, j.User, j.Status,
					shortDate(j.Created), runTime(j.Started, j.Finished), firstLine(j.Error, 60)})
			}
			return writeTable(cmd.OutOrStdout(), rows)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only jobs with this status: "+strings.Join(jobStatuses, ", "))
	cmd.Flags().IntVar(&limit, "limit", 50, "how many jobs to show")
	return cmd
}

func runTime(started, finished string) string {
	s, err1 := time.Parse("2006-01-02 15:04:05.000Z", started)
	f, err2 := time.Parse("2006-01-02 15:04:05.000Z", finished)
	if err1 != nil || err2 != nil {
		return "-"
	}
	return f.Sub(s).Round(time.Millisecond).String()
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
