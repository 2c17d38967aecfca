package sqlite

import (
	"database/sql/driver"
	"regexp"
	"slices"
	"strings"
)

// PocketBase's create rule checks, kept compiled.
//
// A create through the records API (apis/record_crud.go) checks the
// collection's CreateRule with a statement made for that request: the new
// record's values as a one-row CTE, the rule as its WHERE.
//
//	WITH `chats__pb_create__mWXZLa` as (SELECT ? AS `id`,? AS `session`,…) SELECT DISTINCT (1)
//	FROM `chats__pb_create__mWXZLa` LEFT JOIN … WHERE (rule) LIMIT 1
//
// Its text differs every time in two ways that change nothing: the CTE's
// name ends in six random characters (and the joins' aliases with it), and
// its columns come in Go's map order. So SQLite compiled it anew for every
// create — a seventh of a chat message's request (BenchmarkChatMessageRequest,
// 10 members: 0.19 of 1.3 ms). createCheckText writes such a text the same
// way every time — the name's random part "000000", the columns in name
// order, and their values (each column's one ?, the statement's first
// ones) moved with them — so the connection keeps it as any other. The
// statement, the rule in it and the values it reads are PocketBase's; only
// the spelling of a name and the order of a CTE's columns change.
//
// A text of any other shape passes untouched, as do its arguments.

// createCheckHead is the start of such a text: the CTE's name (its random
// part apart) and its columns, each a "? AS `name`".
var createCheckHead = regexp.MustCompile("^WITH `([A-Za-z0-9_]*__pb_create__)([A-Za-z0-9]{6})` as \\(SELECT ((?:\\? AS `[A-Za-z0-9_]+`,)*\\? AS `[A-Za-z0-9_]+`)\\) ")

// createCheckText is text written in its one spelling, and args in the
// matching order; text and args themselves when text is not a create
// check, or its arguments are not the positional ones it expects.
func createCheckText(text string, args []driver.NamedValue) (string, []driver.NamedValue) {
	if !strings.HasPrefix(text, "WITH `") {
		return text, args
	}
	m := createCheckHead.FindStringSubmatchIndex(text)
	if m == nil {
		return text, args
	}
	prefix, random, list := text[m[2]:m[3]], text[m[4]:m[5]], text[m[6]:m[7]]
	columns := strings.Split(list, ",")
	if len(args) < len(columns) {
		return text, args
	}
	for i, a := range args {
		if a.Name != "" || a.Ordinal != i+1 {
			return text, args // named or out of order: not dbx's positional ?s
		}
	}
	order := make([]int, len(columns)) // order[j]: the column written j-th
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(columns[a], columns[b]) })
	sorted := make([]string, len(columns))
	moved := slices.Clone(args)
	for j, i := range order {
		sorted[j] = columns[i]
		moved[j] = args[i]
		moved[j].Ordinal = j + 1
	}
	const fixed = "000000"
	var b strings.Builder
	b.Grow(len(text))
	b.WriteString("WITH `" + prefix + fixed + "` as (SELECT ")
	b.WriteString(strings.Join(sorted, ","))
	b.WriteString(") ")
	b.WriteString(strings.ReplaceAll(text[m[1]:], "__pb_create__"+random, "__pb_create__"+fixed))
	return b.String(), moved
}
