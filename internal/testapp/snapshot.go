package testapp

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// Snapshot is every row of some tables at one moment, to show that a
// refused request, command or job wrote nothing.
type Snapshot struct {
	tables []string
	rows   map[string]string // table → its rows, one line each
}

// TakeSnapshot renders every row of tables, or of every table of the main
// database when none is named. views_count is left out: the server writes
// the views of earlier reads in the background at any time (hooks/views.go),
// so it changes without any write by the request under test. SQLite does
// the rendering; scanning rows into Go values made the access matrices slow
// under -race.
func TakeSnapshot(t testing.TB, app core.App, tables ...string) Snapshot {
	t.Helper()
	if len(tables) == 0 {
		tables = allTables(t, app)
	}
	s := Snapshot{tables: tables, rows: map[string]string{}}
	for _, table := range tables {
		s.rows[table] = renderTable(t, app, table)
	}
	return s
}

// AssertUnchanged fails t, naming the rows that differ, unless the
// snapshot's tables hold in app what they held when it was taken.
func (s Snapshot) AssertUnchanged(t testing.TB, app core.App) {
	t.Helper()
	var diff strings.Builder
	for _, table := range s.tables {
		before, after := s.rows[table], renderTable(t, app, table)
		if before == after {
			continue
		}
		was, is := strings.Split(before, "\n"), strings.Split(after, "\n")
		for _, row := range was {
			if !slices.Contains(is, row) {
				diff.WriteString("- " + table + ": " + row + "\n")
			}
		}
		for _, row := range is {
			if !slices.Contains(was, row) {
				diff.WriteString("+ " + table + ": " + row + "\n")
			}
		}
	}
	if diff.Len() > 0 {
		t.Errorf("the database changed (- before, + after):\n%s", diff.String())
	}
}

// Unchanged returns a BeforeTestFunc and an AfterTestFunc for
// tests.ApiScenario that assert the request left tables (every table when
// none is named) as they were.
func Unchanged(tables ...string) (func(testing.TB, *tests.TestApp, *core.ServeEvent), func(testing.TB, *tests.TestApp, *http.Response)) {
	var before Snapshot
	return func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			before = TakeSnapshot(t, app, tables...)
		}, func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			before.AssertUnchanged(t, app)
		}
}

// allTables lists the main database's tables (virtual tables are read
// through their shadow tables, which are listed).
func allTables(t testing.TB, app core.App) []string {
	t.Helper()
	var tables []string
	err := app.DB().NewQuery(`SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name`).Column(&tables)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tables, "users") {
		t.Fatalf("the snapshot misses the users table: %v", tables)
	}
	return tables
}

func renderTable(t testing.TB, app core.App, table string) string {
	t.Helper()
	var columns []string
	err := app.DB().NewQuery("SELECT name FROM pragma_table_info({:t}) WHERE name != 'views_count' ORDER BY name").
		Bind(dbx.Params{"t": table}).Column(&columns)
	if err != nil {
		t.Fatal(err)
	}
	if len(columns) == 0 {
		t.Fatalf("no table %q to snapshot", table)
	}
	quoted := make([]string, len(columns))
	for i, c := range columns {
		columns[i] = "[[" + c + "]]"
		quoted[i] = "quote(" + columns[i] + ")"
	}
	var rows string
	err = app.DB().NewQuery("SELECT COALESCE(group_concat(" + strings.Join(quoted, "||','||") + ", char(10)), '') FROM " +
		"(SELECT * FROM {{" + table + "}} ORDER BY " + strings.Join(columns, ", ") + ")").Row(&rows)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
