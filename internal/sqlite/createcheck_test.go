package sqlite

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkText is a create rule check as PocketBase writes one
// (apis/record_crud.go): the record's columns in the order given as a CTE
// named with random, a join aliased with it, and a rule reading both; its
// arguments the columns' values, then the rule's own.
func checkText(random string, order []string, values map[string]any, ruleArg any) (string, []any) {
	name := "chats__pb_create__" + random
	var cols []string
	var args []any
	for _, c := range order {
		cols = append(cols, "? AS `"+c+"`")
		args = append(args, values[c])
	}
	text := "WITH `" + name + "` as (SELECT " + strings.Join(cols, ",") + ") SELECT DISTINCT (1) FROM `" + name +
		"` LEFT JOIN `sessions` `" + name + "_session` ON `" + name + "_session`.`id` = `" + name + "`.`session`" +
		" WHERE (`" + name + "_session`.`members` LIKE ? ESCAPE '\\' AND `" + name + "`.`author` = `" + name + "_session`.`owner`" +
		" AND `" + name + "`.`content` != '' AND `" + name + "`.`is_visible` = 1) LIMIT 1"
	return text, append(args, ruleArg)
}

func allowed(t *testing.T, db *sql.DB, text string, args []any) bool {
	t.Helper()
	var one int
	err := db.QueryRow(text, args...).Scan(&one)
	if err == sql.ErrNoRows {
		return false
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return one == 1
}

// A create rule check gives the same answer on Madang's connections as on
// modernc.org/sqlite's own, whatever the random name and the columns'
// order, for records it allows and records each of whose values it
// refuses — so every value still reaches its own column — and the
// connection keeps it compiled once for all of them.
func TestCreateChecksKept(t *testing.T) {
	madang := open(t)
	plain, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	const schema = `CREATE TABLE sessions (id TEXT PRIMARY KEY, owner TEXT, members JSON);
		INSERT INTO sessions VALUES ('s1', 'alice', '["alice","bob"]'), ('s2', 'bob', '["bob"]')`
	for _, db := range []*sql.DB{madang, plain} {
		if _, err := db.Exec(schema); err != nil {
			t.Fatal(err)
		}
	}
	good := map[string]any{"id": "__temp_id__x", "session": "s1", "author": "alice", "content": "hi", "is_visible": 1}
	columns := []string{"id", "session", "author", "content", "is_visible"}
	cases := []struct {
		name   string
		values map[string]any
		member string
		want   bool
	}{
		{"allowed", good, "%alice%", true},
		{"not a member", good, "%carol%", false},
		{"another session", with(good, "session", "s2"), "%alice%", false},
		{"not the owner", with(good, "author", "bob"), "%alice%", false},
		{"empty content", with(good, "content", ""), "%alice%", false},
		{"hidden", with(good, "is_visible", 0), "%alice%", false},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		for _, c := range cases {
			order := slices.Clone(columns)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			random := fmt.Sprintf("%06x", rng.IntN(1<<24))
			text, args := checkText(random, order, c.values, c.member)
			want := allowed(t, plain, text, args)
			if want != c.want {
				t.Fatalf("%s: modernc.org/sqlite's connection answers %v; the case is wrong", c.name, want)
			}
			if got := allowed(t, madang, text, args); got != want {
				t.Errorf("round %d, %s, columns %v: Madang's connection answers %v, modernc.org/sqlite's %v", round, c.name, order, got, want)
			}
		}
	}
	n, has := kept(t, madang)
	text, _ := checkText("xxxxxx", columns, good, "%alice%")
	positional := make([]driver.NamedValue, len(columns)+1)
	for i := range positional {
		positional[i].Ordinal = i + 1
	}
	canonical, _ := createCheckText(text, positional)
	if !has(canonical) || n != 1 {
		t.Errorf("the connection keeps %d statements, the create check among them: %v", n, has(canonical))
	}
}

func with(values map[string]any, key string, value any) map[string]any {
	out := maps.Clone(values)
	out[key] = value
	return out
}

// Texts of any other shape, or with arguments that are not dbx's
// positional ones, pass as they came.
func TestOtherTextsUntouched(t *testing.T) {
	positional := []driver.NamedValue{{Ordinal: 1, Value: "a"}, {Ordinal: 2, Value: "b"}}
	for _, c := range []struct {
		text string
		args []driver.NamedValue
	}{
		{"SELECT ? AS `b`, ? AS `a`", positional},
		{"WITH `t` as (SELECT ? AS `b`,? AS `a`) SELECT * FROM `t`", positional},
		{"WITH `t__pb_create__abc` as (SELECT ? AS `b`,? AS `a`) SELECT * FROM `t__pb_create__abc`", positional},
		{"WITH `t__pb_create__abcdef` as (SELECT ? AS `b`,? AS `a`) SELECT * FROM `t__pb_create__abcdef`",
			[]driver.NamedValue{{Name: "b", Ordinal: 1, Value: "a"}, {Name: "a", Ordinal: 2, Value: "b"}}},
		{"WITH `t__pb_create__abcdef` as (SELECT ? AS `b`,? AS `a`) SELECT * FROM `t__pb_create__abcdef`", positional[:1]},
	} {
		text, args := createCheckText(c.text, c.args)
		if text != c.text || !slices.Equal(args, c.args) {
			t.Errorf("%q became %q with %v", c.text, text, args)
		}
	}
	text, args := createCheckText("WITH `t__pb_create__abcdef` as (SELECT ? AS `b`,? AS `a`) SELECT * FROM `t__pb_create__abcdef` `t__pb_create__abcdef_x`", positional)
	const want = "WITH `t__pb_create__000000` as (SELECT ? AS `a`,? AS `b`) SELECT * FROM `t__pb_create__000000` `t__pb_create__000000_x`"
	if text != want || args[0].Value != "b" || args[0].Ordinal != 1 || args[1].Value != "a" || args[1].Ordinal != 2 {
		t.Errorf("the create check became %q with %v", text, args)
	}
}
