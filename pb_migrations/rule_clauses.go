package migrations

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// andClause is the rule a migration that narrows an API rule saves: the
// rule as found (an operator may have changed it in the dashboard), then
// the clause, a ` && (…)` suffix. parens groups the rule first, as
// 1795900800, 0850, 0866, 0871 and 0892 do; 1795900820 appended without it, and
// keeps doing so, so that every non-empty rule gets the bytes it always
// got. An empty rule means everyone (a dashboard choice, e.g. public
// likes): narrowed, it is the clause alone. Until 2026-12-03 it became
// "() && …", and the upgrade stopped at "empty filter expression", naming
// neither the rule nor what to do. A nil rule (superusers only) is not
// narrowed: callers keep it nil.
func andClause(rule, clause string, parens bool) string {
	switch {
	case rule == "":
		return strings.TrimPrefix(clause, " && ")
	case parens:
		return "(" + rule + ")" + clause
	default:
		return rule + clause
	}
}

// withoutClause undoes andClause: the clause alone gives back the empty
// rule. A rule that is not what andClause made (an operator rewrote it
// since) is kept as it is.
func withoutClause(rule, clause string, parens bool) string {
	if rule == strings.TrimPrefix(clause, " && ") {
		return ""
	}
	inner, ok := strings.CutSuffix(rule, clause)
	if !ok {
		return rule
	}
	if !parens {
		return inner
	}
	if strings.HasPrefix(inner, "(") && strings.HasSuffix(inner, ")") {
		return inner[1 : len(inner)-1]
	}
	return rule
}

// replaceInRule replaces old with new in collection's rule of action
// ("update" or "delete"). A rule without old was rewritten by an operator
// (in the dashboard, e.g. to everyone: ""): it is theirs, kept as it is,
// and the log says what was not applied. Until 2026-12-03 such a rule
// stopped the upgrade with "rewrite it by hand".
func replaceInRule(app core.App, collection, action, old, new string) error {
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		return err
	}
	rules := map[string]**string{"update": &c.UpdateRule, "delete": &c.DeleteRule}
	target, ok := rules[action]
	if !ok {
		return fmt.Errorf("no %s rule for action %q", collection, action)
	}
	if *target == nil || !strings.Contains(**target, old) {
		app.Logger().Warn("migrations: a rule rewritten by an operator is kept as it is; apply the change by hand if it should hold",
			slog.String("collection", collection), slog.String("action", action), slog.String("replace", old), slog.String("with", new))
		return nil
	}
	rule := strings.Replace(**target, old, new, 1)
	*target = &rule
	return app.Save(c)
}
