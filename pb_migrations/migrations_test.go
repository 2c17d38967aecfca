package migrations_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

// TestDownAndUpAgain reverts every Madang migration, checks the schema is
// PocketBase's own again, then re-applies them all.
//
// The revert runs as two processes would: the content migrations (posts,
// chat, AI) in one app, the settings, users and boards migrations in a second
// app on the same data dir. Deleting a collection makes PocketBase clean its
// storage folder in a background goroutine that reads the app's settings
// without a lock; reverting the settings migration in the same app rewrites
// them in place, a race inside PocketBase (harmless: a bool read) that the
// race detector rightly reports. A second app has its own settings.
func TestDownAndUpAgain(t *testing.T) {
	all := core.AppMigrations.Items()
	newerThanSettings := 0
	for _, m := range all {
		if strings.Compare(m.File, "1795900002_settings.go") > 0 {
			newerThanSettings++
		}
	}
	if newerThanSettings == 0 || newerThanSettings == len(all) {
		t.Fatalf("unexpected migrations order: %d of %d newer than settings", newerThanSettings, len(all))
	}

	content := testapp.NewEmpty(t)
	reverted, err := core.NewMigrationsRunner(content, core.AppMigrations).Down(newerThanSettings)
	if err != nil {
		t.Fatalf("down (content): %v", err)
	}
	for _, name := range []string{"posts", "comments", "post_likes", "chat_sessions", "chats", "chat_reads", "ais", "ai_logs"} {
		if _, err := content.FindCollectionByNameOrId(name); err == nil {
			t.Errorf("%s still exists after down", name)
		}
	}

	// the first app is done: unbootstrapped, its notify dir watcher ignores
	// the second app's settings writes (reloading them in two overlapping
	// debounce timers is another race inside PocketBase's logger)
	if err := content.ResetBootstrapState(); err != nil {
		t.Fatal(err)
	}
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: content.DataDir()})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.ResetBootstrapState() })
	runner := core.NewMigrationsRunner(app, core.AppMigrations)

	more, err := runner.Down(len(all) - newerThanSettings)
	if err != nil {
		t.Fatalf("down (foundation): %v", err)
	}
	if got := len(reverted) + len(more); got != len(all) {
		t.Fatalf("reverted %d of %d migrations", got, len(all))
	}
	if _, err := app.FindCollectionByNameOrId("boards"); err == nil {
		t.Fatal("boards still exists after down")
	}
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"role", "banned", "ban_reason", "banned_until", "boards"} {
		if users.Fields.GetByName(f) != nil {
			t.Errorf("users.%s still exists after down", f)
		}
	}
	if app.Settings().Meta.AppName == "Madang" || app.Settings().RateLimits.Enabled {
		t.Error("settings not reverted")
	}

	applied, err := runner.Up()
	if err != nil {
		t.Fatalf("up again: %v", err)
	}
	if len(applied) != len(all) {
		t.Fatalf("re-applied %d of %d migrations", len(applied), len(all))
	}
	for _, name := range []string{"boards", "posts", "comments", "post_likes", "chat_sessions", "chats", "chat_reads", "ais", "ai_logs"} {
		if _, err := app.FindCollectionByNameOrId(name); err != nil {
			t.Errorf("%s missing after up", name)
		}
	}
	if app.Settings().Meta.AppName != "Madang" || !app.Settings().RateLimits.Enabled {
		t.Fatal("settings not applied")
	}
}

// TestMemberRulesReadTheArray checks that the chat rules ask membership
// with members:each (the array's values) once the migrations ran, and that
// reverting the newest migration puts back the users join. Whether the
// rules allow and refuse the right people is the chat packages' tests'.
func TestMemberRulesReadTheArray(t *testing.T) {
	app := testapp.NewEmpty(t)
	rules := func() string {
		var all []string
		for _, name := range []string{"chat_sessions", "chats"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []*string{c.ListRule, c.ViewRule, c.CreateRule, c.UpdateRule, c.DeleteRule} {
				if r != nil {
					all = append(all, *r)
				}
			}
		}
		return strings.Join(all, "\n")
	}
	const each, join = "members:each ?= @request.auth.id", "members.id ?= @request.auth.id"
	got := rules()
	// chat_sessions list, view; chats list, view, create, update, delete
	if n := strings.Count(got, each); n != 7 || strings.Contains(got, join) {
		t.Fatalf("after up: %d rules read the array, and the join is left: %v\n%s", n, strings.Contains(got, join), got)
	}

	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Down(downTo(t, "1795900700_member_each.go")); err != nil {
		t.Fatal(err)
	}
	got = rules()
	if n := strings.Count(got, join); n != 7 || strings.Contains(got, each) {
		t.Fatalf("after down: %d rules join users, and :each is left: %v\n%s", n, strings.Contains(got, each), got)
	}
}

// downTo is how many migrations to revert so that file is the last one
// reverted.
func downTo(t *testing.T, file string) int {
	t.Helper()
	items := core.AppMigrations.Items()
	for i := len(items) - 1; i >= 0; i-- {
		if items[i].File == file {
			return len(items) - i
		}
	}
	t.Fatalf("no migration %s", file)
	return 0
}

// TestFileDownloadsNeedAUser checks that the posts and comments view rules
// refuse a protected file's download without a user once the migrations
// ran, and that reverting the migration gives back the rules as they were.
// Who may download what is the hooks package's tests'.
func TestFileDownloadsNeedAUser(t *testing.T) {
	app := testapp.NewEmpty(t)
	viewRules := func() map[string]string {
		rules := map[string]string{}
		for _, name := range []string{"posts", "comments"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				t.Fatal(err)
			}
			rules[name], rules[name+" list"] = *c.ViewRule, *c.ListRule
		}
		return rules
	}
	const clause = `@request.context != "protectedFile" || @request.auth.id != ""`
	up := viewRules()
	for _, name := range []string{"posts", "comments"} {
		if !strings.Contains(up[name], ") && ("+clause+")") {
			t.Errorf("%s view rule after up has no file clause:\n%s", name, up[name])
		}
	}

	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Down(downTo(t, "1795900800_file_token.go")); err != nil {
		t.Fatal(err)
	}
	for name, rule := range viewRules() {
		if strings.Contains(rule, "protectedFile") {
			t.Errorf("%s after down: %s", name, rule)
		}
	}
	down := viewRules()
	for _, name := range []string{"posts", "comments"} {
		if down[name] != down[name+" list"] {
			t.Errorf("%s view rule after down is not its list rule:\n%s\n%s", name, down[name], down[name+" list"])
		}
	}
}
