package migrations_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"golang.org/x/text/unicode/norm"

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

// TestMemberRulesReadTheText checks that the chat and notification rules
// ask membership with members ~ (the id in the stored list's text) once the
// migrations ran, that reverting 1795900901 puts back members:each (the
// array's values) and the notifications' users join, and that reverting
// 1795900700 too puts back the chat rules' users join. Whether the rules
// allow and refuse the right people is the chat packages' tests'.
func TestMemberRulesReadTheText(t *testing.T) {
	app := testapp.NewEmpty(t)
	rules := func(names ...string) string {
		var all []string
		for _, name := range names {
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
	const (
		memberByJoin, memberByEach, memberByText = "members.id ?= @request.auth.id", "members:each ?= @request.auth.id", "members ~ @request.auth.id"
		noticeMemberByJoin, noticeMemberByText   = "session.members.id ?= @request.auth.id", "session.members ~ @request.auth.id"
	)
	chats := func() string { return rules("chat_sessions", "chats") }
	notices := func() string { return rules("notifications") }
	// chat_sessions list, view; chats list, view, create, update, delete;
	// notifications list, view
	if got := chats(); strings.Count(got, memberByText) != 7 || strings.Contains(got, memberByEach) || strings.Contains(got, memberByJoin) {
		t.Fatalf("after up, the chat rules:\n%s", got)
	}
	if got := notices(); strings.Count(got, noticeMemberByText) != 2 || strings.Contains(got, noticeMemberByJoin) {
		t.Fatalf("after up, the notifications rules:\n%s", got)
	}

	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(downTo(t, "1795900901_member_text.go")); err != nil {
		t.Fatal(err)
	}
	if got := chats(); strings.Count(got, memberByEach) != 7 || strings.Contains(got, memberByText) {
		t.Fatalf("after reverting 1795900901, the chat rules:\n%s", got)
	}
	if got := notices(); strings.Count(got, noticeMemberByJoin) != 2 || strings.Contains(got, noticeMemberByText) {
		t.Fatalf("after reverting 1795900901, the notifications rules:\n%s", got)
	}

	// a users id written past PocketBase's validation stops the upgrade,
	// naming it, and leaves the rules as they were
	if _, err := app.DB().NewQuery(`INSERT INTO users (id, tokenKey, email, name) VALUES ('abc', 'a-token-key-of-thirty-characters', 'abc@example.com', 'abc')`).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Up(); err == nil || !strings.Contains(err.Error(), `users ids ["abc"] are not 15 characters of a-z0-9`) {
		t.Fatalf("the upgrade over an id of 3 characters: %v", err)
	}
	if got := chats(); strings.Count(got, memberByEach) != 7 || strings.Contains(got, memberByText) {
		t.Fatalf("after the refused upgrade, the chat rules:\n%s", got)
	}
	if _, err := app.DB().NewQuery(`DELETE FROM users WHERE id = 'abc'`).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}
	if got := chats(); strings.Count(got, memberByText) != 7 {
		t.Fatalf("after the upgrade, the chat rules:\n%s", got)
	}
	if _, err := runner.Down(downTo(t, "1795900901_member_text.go")); err != nil {
		t.Fatal(err)
	}

	if _, err := runner.Down(downTo(t, "1795900700_member_each.go")); err != nil {
		t.Fatal(err)
	}
	if got := chats(); strings.Count(got, memberByJoin) != 7 || strings.Contains(got, memberByEach) {
		t.Fatalf("after reverting 1795900700, the chat rules:\n%s", got)
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

// narrowings are the migrations that narrow API rules with a clause, each
// rule ("collection.action") with its clause as the migration wrote it,
// and whether the migration put the rule in parentheses first.
var narrowings = []struct {
	file   string
	parens bool
	rules  map[string]string
}{
	{"1795900800_file_token.go", true, map[string]string{
		"posts.view":    fileNeedsUser,
		"comments.view": fileNeedsUser,
	}},
	{"1795900820_blocked_posts_replies.go", false, map[string]string{
		"comments.list":   postNotBlocked,
		"comments.view":   postNotBlocked,
		"post_likes.list": postNotBlocked,
		"post_likes.view": postNotBlocked,
	}},
	{"1795900850_anonymous_likes.go", true, map[string]string{
		"post_likes.list": anonymousLikes,
		"post_likes.view": anonymousLikes,
	}},
	{"1795900866_blocked_owners_groups.go", true, map[string]string{
		"chat_sessions.list": sessionOwnerNotBlocked,
		"chat_sessions.view": sessionOwnerNotBlocked,
		"chats.list":         chatOwnerNotBlocked,
		"chats.view":         chatOwnerNotBlocked,
		"chats.create":       chatOwnerNotBlocked,
		"chats.update":       chatOwnerNotBlocked,
		"chats.delete":       chatOwnerNotBlocked,
		"notifications.list": noticeOwnerNotBlocked,
		"notifications.view": noticeOwnerNotBlocked,
	}},
	{"1795900871_blocked_posts_creates.go", true, map[string]string{
		"comments.create":   postNotBlocked,
		"post_likes.create": postNotBlocked,
		"bookmarks.create":  postNotBlocked,
	}},
}

// The clauses, written out again (not the migrations' constants).
const (
	fileNeedsUser          = ` && (@request.context != "protectedFile" || @request.auth.id != "")`
	postNotBlocked         = ` && (@request.auth.id = "" || @request.auth.role = "admin" || post.author = "" || @request.auth.blocking !~ post.author)`
	anonymousLikes         = ` && (post.anonymous_author = "" || user = @request.auth.id || @request.auth.role = "admin")`
	sessionOwnerNotBlocked = ` && (@request.auth.role = "admin" || owner = "" || @request.auth.blocking !~ owner)`
	chatOwnerNotBlocked    = ` && (@request.auth.role = "admin" || session.owner = "" || @request.auth.blocking !~ session.owner)`
	noticeOwnerNotBlocked  = ` && (session = "" || @request.auth.role = "admin" || session.owner = "" || @request.auth.blocking !~ session.owner)`
)

// TestNarrowedRules: each migration that narrows a rule with a clause
// narrows a non-empty rule to the very bytes it did before empty rules were
// handled ("(" + rule + ")" + clause; 1795900820: rule + clause), the rules
// as the migrations before it leave them and an operator's alike; it
// narrows an empty rule (everyone, a dashboard choice) to the clause alone,
// where it stopped the upgrade with "empty filter expression"; and it keeps
// a nil rule (superusers only) nil. Its revert gives back each rule as it
// was.
func TestNarrowedRules(t *testing.T) {
	const operators = `@request.auth.id != "" || id != ""`
	for _, n := range narrowings {
		t.Run(n.file, func(t *testing.T) {
			app := testapp.NewEmpty(t)
			if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Down(downTo(t, n.file)); err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(core.AppMigrations.Items(), func(m *core.Migration) bool { return m.File == n.file })
			migration := core.AppMigrations.Items()[i]
			found := rulesOf(t, app, n.rules)

			for _, c := range []struct {
				name string
				rule func(found *string) *string
			}{
				{"as found", func(found *string) *string { return found }},
				{"an operator's", func(*string) *string { r := operators; return &r }},
				{"empty", func(*string) *string { return new(string) }},
				{"nil", func(*string) *string { return nil }},
			} {
				before := map[string]*string{}
				for key := range n.rules {
					before[key] = c.rule(found[key])
				}
				setRules(t, app, before)
				if err := migration.Up(app); err != nil {
					t.Fatalf("%s rules: up: %v", c.name, err)
				}
				after := rulesOf(t, app, n.rules)
				for key, clause := range n.rules {
					var want *string
					switch {
					case before[key] == nil:
					case *before[key] == "":
						bare := strings.TrimPrefix(clause, " && ")
						want = &bare
					case n.parens:
						old := "(" + *before[key] + ")" + clause
						want = &old
					default:
						old := *before[key] + clause
						want = &old
					}
					if !sameRule(after[key], want) {
						t.Errorf("%s rules: %s after up:\n got %s\nwant %s", c.name, key, show(after[key]), show(want))
					}
				}
				if err := migration.Down(app); err != nil {
					t.Fatalf("%s rules: down: %v", c.name, err)
				}
				for key, rule := range rulesOf(t, app, n.rules) {
					if !sameRule(rule, before[key]) {
						t.Errorf("%s rules: %s after down:\n got %s\nwant %s", c.name, key, show(rule), show(before[key]))
					}
				}
			}
		})
	}
}

// TestEmptyRulesUpgrade: a data dir from before 1795900800 whose narrowed
// rules were all set to everyone ("") in the dashboard migrates up to the
// newest migration, and none of those rules is left open to everyone.
func TestEmptyRulesUpgrade(t *testing.T) {
	app := testapp.NewEmpty(t)
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(downTo(t, narrowings[0].file)); err != nil {
		t.Fatal(err)
	}
	empty := map[string]*string{}
	for _, n := range narrowings {
		for key := range n.rules {
			empty[key] = new(string)
		}
	}
	setRules(t, app, empty)
	if _, err := runner.Up(); err != nil {
		t.Fatalf("up: %v", err)
	}
	for key, rule := range rulesOf(t, app, empty) {
		if rule == nil || *rule == "" {
			t.Errorf("%s after up: %s", key, show(rule))
		}
	}
}

// rulePointer is the field of c holding the rule of action.
func rulePointer(t *testing.T, c *core.Collection, action string) **string {
	t.Helper()
	p, ok := map[string]**string{"list": &c.ListRule, "view": &c.ViewRule, "create": &c.CreateRule, "update": &c.UpdateRule, "delete": &c.DeleteRule}[action]
	if !ok {
		t.Fatalf("no rule %q", action)
	}
	return p
}

// rulesOf reads the rules named by keys ("collection.action").
func rulesOf[V any](t *testing.T, app core.App, keys map[string]V) map[string]*string {
	t.Helper()
	rules := map[string]*string{}
	for key := range keys {
		name, action, _ := strings.Cut(key, ".")
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			t.Fatal(err)
		}
		rules[key] = *rulePointer(t, c, action)
	}
	return rules
}

// ruleText is one rule ("collection.action") as stored; "" for nil.
func ruleText(t *testing.T, app core.App, key string) string {
	t.Helper()
	if rule := rulesOf(t, app, map[string]bool{key: true})[key]; rule != nil {
		return *rule
	}
	return ""
}

// setRules saves the rules ("collection.action": rule) as the dashboard does.
func setRules(t *testing.T, app core.App, rules map[string]*string) {
	t.Helper()
	for key, rule := range rules {
		name, action, _ := strings.Cut(key, ".")
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			t.Fatal(err)
		}
		*rulePointer(t, c, action) = rule
		if err := app.Save(c); err != nil {
			t.Fatalf("set %s: %v", key, err)
		}
	}
}

func sameRule(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show(rule *string) string {
	if rule == nil {
		return "nil"
	}
	return strconv.Quote(*rule)
}

// TestStaleTrainingStartsRow: a data dir that ran 1900770 recorded the
// training starts table as 1795900840_ai_training_starts.go, renamed
// 1795900845 since. 1795900845 takes that row over (deletes it, again
// without harm), so that its revert, which drops the table, leaves no row
// saying the table is there, and the older binary started on the reverted
// dir makes it again.
func TestStaleTrainingStartsRow(t *testing.T) {
	const stale, table = "1795900840_ai_training_starts.go", "_madang_training_starts"
	app := testapp.NewEmpty(t)
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(downTo(t, "1795900845_ai_training_starts.go")); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB().Insert(core.DefaultMigrationsTable, dbx.Params{"file": stale, "applied": 1}).Execute(); err != nil {
		t.Fatal(err)
	}
	applied := func() []string {
		var files []string
		if err := app.DB().Select("file").From(core.DefaultMigrationsTable).Column(&files); err != nil {
			t.Fatal(err)
		}
		return files
	}
	before := len(applied())
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}
	files := applied()
	if slices.Contains(files, stale) || len(files) != before-1+downTo(t, "1795900845_ai_training_starts.go") {
		t.Fatalf("after up: %d rows (%d before, the stale row kept: %v)", len(files), before, slices.Contains(files, stale))
	}
	if !app.HasTable(table) {
		t.Fatal("no training starts table after up")
	}
	i := slices.IndexFunc(core.AppMigrations.Items(), func(m *core.Migration) bool { return m.File == "1795900845_ai_training_starts.go" })
	if err := core.AppMigrations.Items()[i].Up(app); err != nil {
		t.Fatalf("up again: %v", err)
	}

	if _, err := runner.Down(downTo(t, "1795900845_ai_training_starts.go")); err != nil {
		t.Fatal(err)
	}
	if app.HasTable(table) {
		t.Fatal("the training starts table is left after down")
	}
	var older core.MigrationsList // 1900770's migration, as it was
	older.Register(func(app core.App) error {
		_, err := app.DB().NewQuery("CREATE TABLE IF NOT EXISTS " + table + " (model TEXT PRIMARY KEY NOT NULL, starts INTEGER NOT NULL DEFAULT 0)").Execute()
		return err
	}, nil, stale)
	if _, err := core.NewMigrationsRunner(app, older).Up(); err != nil {
		t.Fatal(err)
	}
	if !app.HasTable(table) {
		t.Fatal("the older binary's migration did not make the training starts table again")
	}
}

// TestEmailsIgnoreCase: the migration stops, changing nothing and naming
// the accounts, on a data dir where two accounts' emails differ only in
// case; without such a pair it lowercases the stored emails, and the
// unique index then refuses a case variant even from raw SQL.
func TestEmailsIgnoreCase(t *testing.T) {
	app := testapp.New(t)
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(downTo(t, "1795900881_emails_nocase.go")); err != nil {
		t.Fatal(err)
	}
	setEmail := func(name, email string) error {
		_, err := app.DB().NewQuery("UPDATE users SET email = {:email} WHERE id = {:id}").
			Bind(map[string]any{"email": email, "id": testapp.ID(name)}).Execute()
		return err
	}
	email := func(name string) string {
		u, err := app.FindRecordById("users", testapp.ID(name))
		if err != nil {
			t.Fatal(err)
		}
		return u.Email()
	}
	emailIndex := func(collection string) string {
		c, err := app.FindCollectionByNameOrId(collection)
		if err != nil {
			t.Fatal(err)
		}
		for _, index := range c.Indexes {
			if strings.Contains(index, "idx_email_") {
				return index
			}
		}
		t.Fatalf("%s has no email index: %v", collection, c.Indexes)
		return ""
	}
	// what the old index let through
	for name, e := range map[string]string{testapp.Bob: "Bob@Example.com", testapp.Ada: "ALICE@example.com"} {
		if err := setEmail(name, e); err != nil {
			t.Fatal(err)
		}
	}

	_, err := runner.Up()
	if err == nil || !strings.Contains(err.Error(), "alice@example.com is held by "+testapp.ID(testapp.Alice)+" (alice@example.com), "+
		testapp.ID(testapp.Ada)+" (ALICE@example.com)") {
		t.Fatalf("up with a clash: %v", err)
	}
	if email(testapp.Bob) != "Bob@Example.com" || strings.Contains(emailIndex("users"), "NOCASE") {
		t.Fatalf("a stopped migration changed things: bob %s, index %s", email(testapp.Bob), emailIndex("users"))
	}

	if err := setEmail(testapp.Ada, "Ada.Two@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}
	if email(testapp.Bob) != "bob@example.com" || email(testapp.Ada) != "ada.two@example.com" {
		t.Fatalf("emails after up: %s, %s", email(testapp.Bob), email(testapp.Ada))
	}
	for _, c := range []string{"users", core.CollectionNameSuperusers} {
		if !strings.Contains(emailIndex(c), "COLLATE NOCASE") {
			t.Errorf("%s email index after up: %s", c, emailIndex(c))
		}
	}
	if err := setEmail(testapp.Alice, "BOB@example.com"); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("raw SQL gave alice bob's email in capitals: %v", err)
	}
}

// TestChatNoticesNameTheirMessage checks the backfill of
// notifications.message: a chat or mention notice written before it names
// the message of its session, by its actor, whose text (as notices clip
// it) is its quote, the one closest in time; one whose quote no message of
// its actor matches names none. Reverting drops the field.
func TestChatNoticesNameTheirMessage(t *testing.T) {
	app := testapp.NewEmpty(t)
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(downTo(t, "1795900860_notification_message.go")); err != nil {
		t.Fatal(err)
	}
	notifications, err := app.FindCollectionByNameOrId("notifications")
	if err != nil {
		t.Fatal(err)
	}
	if notifications.Fields.GetByName("message") != nil {
		t.Fatal("notifications.message is still there after down")
	}
	long := strings.Repeat("가", 350)
	insert := func(table string, row dbx.Params) {
		t.Helper()
		if _, err := app.DB().Insert(table, row).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	// the rows the notices' and messages' cascading relations need (the
	// parents' triggers, migration 1795900836)
	insert("users", dbx.Params{"id": "alice0000000001", "email": "alice@example.com", "tokenKey": "alice-token-key", "password": "x"})
	for _, id := range []string{"session00000001", "session00000002", "session00000003"} {
		// owned: 1795900891 deletes a group without owner nor members
		insert("chat_sessions", dbx.Params{"id": id, "name": id, "kind": "group",
			"owner": "alice0000000001", "members": `["alice0000000001"]`})
	}
	at := func(second int) string { return fmt.Sprintf("2026-12-01 10:00:%02d.000Z", second) }
	for _, m := range []struct{ id, session, author, content, created string }{
		{"ginahello000001", "session00000001", "gina00000000001", "hello", at(1)},
		{"bobhello0000001", "session00000001", "bob000000000001", "hello", at(2)},
		{"ginahello000002", "session00000001", "gina00000000001", "hello", at(30)},
		{"ginalong0000001", "session00000001", "gina00000000001", long, at(40)},
		{"ginaelsewhere01", "session00000002", "gina00000000001", "hello", at(3)},
	} {
		insert("chats", dbx.Params{"id": m.id, "session": m.session, "author": m.author, "content": m.content,
			"is_visible": true, "created": m.created, "updated": m.created})
	}
	for _, n := range []struct{ id, kind, actor, session, text, created string }{
		{"chatnotice00001", "chat", "gina00000000001", "session00000001", "hello", at(1)},     // the first of gina's two
		{"mention00000001", "mention", "bob000000000001", "session00000001", "hello", at(2)},  // bob's, not gina's
		{"mention00000002", "mention", "gina00000000001", "session00000001", "hello", at(29)}, // gina's later one
		{"clipped00000001", "mention", "gina00000000001", "session00000001", string([]rune(long)[:299]) + "…", at(40)},
		{"rewritten000001", "chat", "gina00000000001", "session00000001", "gina says: I stole the money", at(5)},
		{"hidden000000001", "chat", "gina00000000001", "session00000001", "", at(1)},
		{"othersession001", "chat", "gina00000000001", "session00000003", "hello", at(1)},
		{"comment00000001", "comment", "gina00000000001", "", "hello", at(1)},
	} {
		insert("notifications", dbx.Params{"id": n.id, "user": "alice0000000001", "kind": n.kind, "actor": n.actor,
			"session": n.session, "text": n.text, "count": 1, "read_at": n.created, // read: one unread chat notice a session and user
			"created": n.created, "updated": n.created})
	}
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"chatnotice00001": "ginahello000001", "mention00000001": "bobhello0000001", "mention00000002": "ginahello000002",
		"clipped00000001": "ginalong0000001", "rewritten000001": "", "hidden000000001": "", "othersession001": "", "comment00000001": "",
	}
	for id, message := range want {
		var got struct {
			Message string `db:"message"`
			Text    string `db:"text"`
		}
		if err := app.DB().Select("message", "text").From("notifications").Where(dbx.HashExp{"id": id}).One(&got); err != nil {
			t.Fatal(err)
		}
		if got.Message != message {
			t.Errorf("notice %s names message %q, want %q", id, got.Message, message)
		}
	}
}

// TestStaleBanFieldsCleared: 1795900885 clears the end and reason that
// unbans through the API left on users who are not banned, and keeps a
// banned user's.
func TestStaleBanFieldsCleared(t *testing.T) {
	app := testapp.New(t)
	stale := "UPDATE users SET ban_reason = 'old', banned_until = '2020-01-01 00:00:00.000Z' WHERE id = {:id}"
	for _, name := range []string{testapp.Alice, testapp.Ben} {
		if _, err := app.DB().NewQuery(stale).Bind(map[string]any{"id": testapp.ID(name)}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	i := slices.IndexFunc(core.AppMigrations.Items(), func(m *core.Migration) bool { return m.File == "1795900885_stale_ban_fields.go" })
	if i < 0 {
		t.Fatal("no migration 1795900885_stale_ban_fields.go")
	}
	if err := core.AppMigrations.Items()[i].Up(app); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{testapp.Alice: "", testapp.Ben: "old"} {
		u, err := app.FindRecordById("users", testapp.ID(name))
		if err != nil {
			t.Fatal(err)
		}
		if u.GetString("ban_reason") != want || u.GetDateTime("banned_until").IsZero() != (want == "") {
			t.Errorf("%s after the migration: reason %q, until %v", name, u.GetString("ban_reason"), u.GetDateTime("banned_until"))
		}
	}
}

// TestOnlyGroupsDeletedByOwners checks that after 1795900890 the
// chat_sessions delete rule lets an owner delete a group only, and that
// reverting it gives back the owner's rule for every session. Who may
// delete what is the chat package's tests'.
func TestOnlyGroupsDeletedByOwners(t *testing.T) {
	app := testapp.NewEmpty(t)
	deleteRule := func() string { return ruleText(t, app, "chat_sessions.delete") }
	if got := deleteRule(); !strings.Contains(got, `owner = @request.auth.id && kind = "group"`) {
		t.Fatalf("after up the owner deletes more than groups: %s", got)
	}
	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Down(downTo(t, "1795900890_support_sessions_kept.go")); err != nil {
		t.Fatal(err)
	}
	if got, want := deleteRule(), `@request.auth.collectionName = "users" && @request.auth.banned = false && owner = @request.auth.id`; got != want {
		t.Fatalf("after down:\n got %s\nwant %s", got, want)
	}
}

// TestOwnerlessGroupsHandedOver: 1795900891 gives a group left without an
// owner (by a deleted owner, before leaves handed groups over) the member
// there longest, as a leave does, and deletes one left without members
// with its messages and read marks, as the last leave does; a support chat
// without owner and an owned group stay as they were.
func TestOwnerlessGroupsHandedOver(t *testing.T) {
	app := testapp.New(t)
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(downTo(t, "1795900891_ownerless_groups.go")); err != nil {
		t.Fatal(err)
	}
	alice, bob, gina := testapp.ID(testapp.Alice), testapp.ID(testapp.Bob), testapp.ID(testapp.Gina)
	insert := func(table string, row dbx.Params) {
		t.Helper()
		if _, err := app.DB().Insert(table, row).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	// as the code before the handover left them: written in SQL, past the hooks
	for _, s := range []struct{ id, kind, owner, members string }{
		{"ownerlessgroup1", "group", "", `["` + gina + `","` + bob + `"]`},
		{"emptygroup00001", "group", "", `[]`},
		{"ownerlesssuppor", "support", "", `[]`},
		{"ownedgroup00001", "group", alice, `["` + alice + `","` + bob + `"]`},
	} {
		insert("chat_sessions", dbx.Params{"id": s.id, "name": s.id, "kind": s.kind, "owner": s.owner, "members": s.members})
		insert("chats", dbx.Params{"id": "msg" + s.id[:12], "session": s.id, "author": bob, "content": "hello", "is_visible": true})
		insert("chat_reads", dbx.Params{"id": "read" + s.id[:11], "session": s.id, "user": bob, "last_read_at": "2026-12-01 10:00:00.000Z"})
	}
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}

	for id, want := range map[string]struct{ owner, members string }{
		"ownerlessgroup1": {gina, gina + "," + bob},
		"ownerlesssuppor": {"", ""},
		"ownedgroup00001": {alice, alice + "," + bob},
	} {
		s, err := app.FindRecordById("chat_sessions", id)
		if err != nil {
			t.Fatalf("session %s is gone: %v", id, err)
		}
		if got := s.GetString("owner"); got != want.owner {
			t.Errorf("session %s: owner %q, want %q", id, got, want.owner)
		}
		if got := strings.Join(s.GetStringSlice("members"), ","); got != want.members {
			t.Errorf("session %s: members %s, want %s", id, got, want.members)
		}
	}
	if _, err := app.FindRecordById("chat_sessions", "emptygroup00001"); err == nil {
		t.Error("the group without members is still there")
	}
	for table, want := range map[string]int{"chats": 3, "chat_reads": 3} {
		var left []string
		if err := app.DB().Select("session").From(table).Column(&left); err != nil {
			t.Fatal(err)
		}
		if len(left) != want || slices.Contains(left, "emptygroup00001") {
			t.Errorf("%s left: %v, want the 3 of the sessions kept", table, left)
		}
	}
}

// TestCommentEditsLeaveBlockedPostsOut: 1795900892 adds the blocked
// writers' clause to the comments update rule only (the delete rule, the
// same rule until then, stays), and reverting it gives back the update
// rule as it was. Who may edit what is the community package's tests'.
func TestCommentEditsLeaveBlockedPostsOut(t *testing.T) {
	app := testapp.NewEmpty(t)
	rules := func() (update, del string) {
		return ruleText(t, app, "comments.update"), ruleText(t, app, "comments.delete")
	}
	// as 1795900892 leaves them (1795900894 has since narrowed the delete rule)
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(downTo(t, "1795900893_support_messages_kept.go")); err != nil {
		t.Fatal(err)
	}
	const clause = "@request.auth.blocking !~ post.author"
	update, del := rules()
	if !strings.HasPrefix(update, "("+del+")") || !strings.HasSuffix(update, clause+")") || strings.Contains(del, clause) {
		t.Fatalf("after up:\nupdate %s\ndelete %s", update, del)
	}

	if _, err := runner.Down(1); err != nil { // 1795900892
		t.Fatal(err)
	}
	if update, del := rules(); update != del {
		t.Fatalf("after down the update rule is not the delete rule:\nupdate %s\ndelete %s", update, del)
	}
}

// TestSupportMessagesKept: after 1795900893 a message's author deletes it
// in a group only (a support session's messages are the admins' record),
// reverting gives back the author's delete everywhere, and a delete rule
// an operator rewrote is kept as they wrote it, the upgrade going on.
func TestSupportMessagesKept(t *testing.T) {
	app := testapp.NewEmpty(t)
	rule := func() string { return ruleText(t, app, "chats.delete") }
	const group = `(author = @request.auth.id && session.is_closed = false && session.kind = "group" && session.members:each ?= @request.auth.id)`
	const anywhere = `(author = @request.auth.id && session.is_closed = false && (session.members:each ?= @request.auth.id || (session.kind = "support" && @request.auth.role = "admin")))`
	// 1795900901 asks membership by the list's text since
	const memberByEach, memberByText = "members:each ?= @request.auth.id", "members ~ @request.auth.id"
	groupNow, anywhereNow := strings.ReplaceAll(group, memberByEach, memberByText), strings.ReplaceAll(anywhere, memberByEach, memberByText)
	if got := rule(); !strings.Contains(got, groupNow) || strings.Contains(got, anywhereNow) {
		t.Fatalf("after up: %s", got)
	}
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(downTo(t, "1795900893_support_messages_kept.go")); err != nil {
		t.Fatal(err)
	}
	if got := rule(); !strings.Contains(got, anywhere) || strings.Contains(got, group) {
		t.Fatalf("after down: %s", got)
	}

	const operators = `@request.auth.role = "admin"`
	setRules(t, app, map[string]*string{"chats.delete": new(operators)})
	if _, err := runner.Up(); err != nil {
		t.Fatalf("up over an operator's rule: %v", err)
	}
	if got := rule(); got != operators {
		t.Fatalf("the operator's rule after up: %s", got)
	}
}

// TestOwnCommentsDeleted: after 1795900894 the comments delete rule no
// longer asks that the writer reads the post (the update rule still
// does), and reverting gives it back.
func TestOwnCommentsDeleted(t *testing.T) {
	app := testapp.NewEmpty(t)
	rules := func() (update, del string) {
		return ruleText(t, app, "comments.update"), ruleText(t, app, "comments.delete")
	}
	const readsPost = "post.board.is_visible = true"
	if update, del := rules(); strings.Contains(del, readsPost) || !strings.Contains(update, readsPost) || !strings.Contains(del, "anonymous_author = @request.auth.id") {
		t.Fatalf("after up:\nupdate %s\ndelete %s", update, del)
	}
	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Down(downTo(t, "1795900894_own_comments_deleted.go")); err != nil {
		t.Fatal(err)
	}
	if _, del := rules(); !strings.Contains(del, readsPost) {
		t.Fatalf("after down: %s", del)
	}
}

// TestTextComposed: 1795900896 rewrites decomposed (NFD) free text
// composed — a post's title and content, a comment, a ban's reason — so
// that a search typed on a Korean keyboard finds it (its index follows);
// composed text, and names (their own rule: a composed twin may exist),
// stay as they are.
func TestTextComposed(t *testing.T) {
	app := testapp.NewWithContent(t)
	const busan, meeting = "부산 모임", "해운대에서 만나요 café"
	nfd := func(s string) string { return norm.NFD.String(s) }
	post, comment, other := testapp.VisiblePost(testapp.BoardPublic), testapp.VisibleComment(testapp.BoardPublic), testapp.VisiblePost(testapp.BoardMembers)
	boardName := nfd("옛 게시판")
	for _, q := range []struct {
		sql    string
		params dbx.Params
	}{
		{"UPDATE posts SET title = {:t}, content = {:c} WHERE id = {:id}", dbx.Params{"t": nfd(busan), "c": nfd(meeting), "id": post}},
		{"UPDATE posts SET title = {:t} WHERE id = {:id}", dbx.Params{"t": "서울 회의", "id": other}},
		{"UPDATE comments SET content = {:c} WHERE id = {:id}", dbx.Params{"c": nfd(meeting), "id": comment}},
		{"UPDATE users SET ban_reason = {:r} WHERE id = {:id}", dbx.Params{"r": nfd("도배"), "id": testapp.ID(testapp.Ben)}},
		{"UPDATE boards SET name = {:n} WHERE id = {:id}", dbx.Params{"n": boardName, "id": testapp.ID(testapp.BoardPublic)}},
	} {
		if _, err := app.DB().NewQuery(q.sql).Bind(q.params).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if err := catchUp(t, "1795900896_composed_text.go")(app); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ collection, id, field, want string }{
		{"posts", post, "title", busan}, {"posts", post, "content", meeting}, {"posts", other, "title", "서울 회의"},
		{"comments", comment, "content", meeting}, {"users", testapp.ID(testapp.Ben), "ban_reason", "도배"},
		{"boards", testapp.ID(testapp.BoardPublic), "name", boardName},
	} {
		r, err := app.FindRecordById(c.collection, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.GetString(c.field); got != c.want {
			t.Errorf("%s %s.%s after the migration: %+q, want %+q", c.collection, c.id, c.field, got, c.want)
		}
	}
	// the search index follows: the composed word finds the post
	var found []string
	err := app.DB().NewQuery("SELECT post FROM posts_search_rowid WHERE rowid IN (SELECT rowid FROM posts_search WHERE posts_search MATCH {:q})").
		Bind(dbx.Params{"q": `"해운대에서"`}).Column(&found)
	if err != nil || !slices.Equal(found, []string{post}) {
		t.Errorf("the index finds %v (%v), want [%s]", found, err, post)
	}
}

// TestModerationLogActions: 1795900895 adds the moderation log's delete,
// edit, board_create, board_delete and role_change actions, after the
// others; reverting it gives back the list as it was. What is logged is
// the community package's tests'.
func TestModerationLogActions(t *testing.T) {
	app := testapp.NewEmpty(t)
	actions := func() []string {
		log, err := app.FindCollectionByNameOrId("moderation_log")
		if err != nil {
			t.Fatal(err)
		}
		return log.Fields.GetByName("action").(*core.SelectField).Values
	}
	before := []string{"hide", "unhide", "pin", "unpin", "ban", "unban", "grant", "revoke", "report_resolve", "board_change", "avatar_remove", "name_reset"}
	added := []string{"delete", "edit", "board_create", "board_delete", "role_change"}
	if got := actions(); !slices.Equal(got, append(slices.Clone(before), added...)) {
		t.Fatalf("after up: %v", got)
	}
	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Down(downTo(t, "1795900895_moderation_log_actions.go")); err != nil {
		t.Fatal(err)
	}
	if got := actions(); !slices.Equal(got, before) {
		t.Fatalf("after down: %v", got)
	}
}

// schemaOf renders what the migrations decide in app's database, to
// compare an upgraded data dir with a new install: each collection's
// rules, fields (in order, without ids), indexes and options (without
// secrets), and the indexes and triggers SQLite holds. A table's column
// order is left out: a field a catch-up adds is a column at the table's
// end, wherever it stands in the collection.
func schemaOf(t *testing.T, app core.App) map[string]string {
	t.Helper()
	collections, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	var strip func(v any) any
	strip = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range []string{"id", "secret", "created", "updated"} {
				delete(v, k)
			}
			for k, x := range v {
				v[k] = strip(x)
			}
		case []any:
			for i, x := range v {
				v[i] = strip(x)
			}
		}
		return v
	}
	out := map[string]string{}
	for _, c := range collections {
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		indexes, _ := m["indexes"].([]any)
		slices.SortFunc(indexes, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		raw, err = json.Marshal(strip(m))
		if err != nil {
			t.Fatal(err)
		}
		out["collection "+c.Name] = string(raw)
	}
	var objects []struct {
		Kind string `db:"type"`
		Name string `db:"name"`
		SQL  string `db:"sql"`
	}
	err = app.DB().NewQuery("SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL").All(&objects)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objects {
		out[o.Kind+" "+o.Name] = strings.Join(strings.Fields(o.SQL), " ")
	}
	return out
}

// assertSchema fails t, naming each difference, unless app's schema is
// want's.
func assertSchema(t *testing.T, app core.App, want map[string]string) {
	t.Helper()
	got := schemaOf(t, app)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s\n  new install: %s\n  upgraded:    %s", k, want[k], got[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s only in the upgraded data dir: %s", k, got[k])
		}
	}
}

// catchUp is the up function of a catch-up migration.
func catchUp(t *testing.T, file string) func(core.App) error {
	t.Helper()
	i := slices.IndexFunc(core.AppMigrations.Items(), func(m *core.Migration) bool { return m.File == file })
	if i < 0 {
		t.Fatalf("no migration %s", file)
	}
	return core.AppMigrations.Items()[i].Up
}

// forget makes the data dir as if file had never run (it did not exist).
func forget(t *testing.T, app core.App, file string) {
	t.Helper()
	if _, err := app.DB().Delete(core.DefaultMigrationsTable, dbx.HashExp{"file": file}).Execute(); err != nil {
		t.Fatal(err)
	}
}

// rewriteRules rewrites every API rule of the collections (a nil rule
// stays nil) and saves them.
func rewriteRules(t *testing.T, app core.App, rewrite func(string) string, names ...string) {
	t.Helper()
	for _, name := range names {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, rule := range []**string{&c.ListRule, &c.ViewRule, &c.CreateRule, &c.UpdateRule, &c.DeleteRule} {
			if *rule != nil {
				r := rewrite(**rule)
				*rule = &r
			}
		}
		if err := app.Save(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// removeSchema removes fields ("collection.field") and indexes
// ("collection:index").
func removeSchema(t *testing.T, app core.App, what ...string) {
	t.Helper()
	for _, w := range what {
		name, index, isIndex := strings.Cut(w, ":")
		field := ""
		if !isIndex {
			name, field, _ = strings.Cut(w, ".")
		}
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			t.Fatal(err)
		}
		if isIndex {
			c.RemoveIndex(index)
		} else {
			c.Fields.RemoveByName(field)
		}
		if err := app.Save(c); err != nil {
			t.Fatalf("removing %s: %v", w, err)
		}
	}
}

// The texts 1795900500 wrote before 9914aed and 22a2f20 changed it.
const (
	blockListCheck = ` && (@request.auth.id = "" || @request.auth.role = "admin" || author = "" || @request.auth.blocking !~ author)`
	blockJoinCheck = ` && (@request.auth.id = "" || @request.auth.role = "admin" || author.blocks_via_blocked.user != @request.auth.id)`
)

var anonymousOwn = regexp.MustCompile(`\(([a-z_.]*)author = @request\.auth\.id \|\| ([a-z_.]*)anonymous_author = @request\.auth\.id\)`)

// communityAsAt puts back what 1795900500 as it landed at commit left,
// on a data dir where the present text ran: ce0cbd7 (no anonymous
// writers, the blocks join, no users.blocking, no feeds index), 22a2f20
// (the blocks join, no users.blocking, no feeds index) or 9914aed (no
// feeds index).
func communityAsAt(t *testing.T, app core.App, commit string) {
	t.Helper()
	switch commit {
	case "ce0cbd7":
		rewriteRules(t, app, func(r string) string { return anonymousOwn.ReplaceAllString(r, "${1}author = @request.auth.id") },
			"posts", "comments", "post_likes", "bookmarks")
		fallthrough
	case "22a2f20":
		rewriteRules(t, app, func(r string) string { return strings.ReplaceAll(r, blockListCheck, blockJoinCheck) },
			"posts", "comments", "chats")
		removeSchema(t, app, "users.blocking")
		if commit == "ce0cbd7" {
			removeSchema(t, app, "posts.anonymous_author", "comments.anonymous_author")
		}
		fallthrough
	case "9914aed":
		removeSchema(t, app, "posts:idx_posts_visible_created")
	default:
		t.Fatalf("no 1795900500 of %s", commit)
	}
}

// TestCommunityCatchUp: 1795900501 brings a data dir that ran an earlier
// text of 1795900500 to a new install's schema, whether the later
// migrations run after it (the data dir stopped at 1795900500) or ran
// before it (upgraded by a version without it), and fills users.blocking
// from the blocks records.
func TestCommunityCatchUp(t *testing.T) {
	want := schemaOf(t, testapp.NewEmpty(t))
	const file = "1795900501_community_catch_up.go"
	for _, c := range []struct {
		commit     string
		laterFirst bool
	}{
		{"ce0cbd7", false}, {"22a2f20", false}, {"9914aed", false}, {"22a2f20", true}, {"9914aed", true},
	} {
		name := c.commit
		if c.laterFirst {
			name += " upgraded without the catch-up"
		}
		t.Run(name, func(t *testing.T) {
			app := testapp.New(t)
			runner := core.NewMigrationsRunner(app, core.AppMigrations)
			if c.laterFirst {
				// that data dir predates Madang's fields being system ones
				if _, err := runner.Down(downTo(t, "1795900900_contract_fields.go")); err != nil {
					t.Fatal(err)
				}
				forget(t, app, file)
			} else if _, err := runner.Down(downTo(t, file)); err != nil {
				t.Fatal(err)
			}
			communityAsAt(t, app, c.commit)
			if c.commit == "ce0cbd7" {
				posts, err := app.FindCollectionByNameOrId("posts")
				if err != nil {
					t.Fatal(err)
				}
				const ce0cbd7 = `(@request.auth.role = "admin" || ((board.is_visible = true && (board.read = "public" || ` +
					`(board.read = "members" && @request.auth.id != "") || (board.read = "granted" && @request.auth.boards.id ?= board))) && ` +
					`(is_visible = true || (@request.auth.id != "" && author = @request.auth.id)))) && ` +
					`(@request.auth.id = "" || @request.auth.role = "admin" || author.blocks_via_blocked.user != @request.auth.id)`
				if *posts.ListRule != ce0cbd7 {
					t.Fatalf("not ce0cbd7's posts list rule:\n%s", *posts.ListRule)
				}
			}
			// alice blocked gina, then bob (ids the other way round)
			for i, blocked := range []string{testapp.Gina, testapp.Bob} {
				_, err := app.DB().Insert("blocks", dbx.Params{"id": fmt.Sprintf("block%010d", i), "user": testapp.ID(testapp.Alice),
					"blocked": testapp.ID(blocked), "created": fmt.Sprintf("2026-12-01 10:00:0%d.000Z", i)}).Execute()
				if err != nil {
					t.Fatal(err)
				}
			}

			applied, err := runner.Up()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(applied, file) {
				t.Fatalf("%s did not run: %v", file, applied)
			}
			assertSchema(t, app, want)
			alice, err := app.FindRecordById("users", testapp.ID(testapp.Alice))
			if err != nil {
				t.Fatal(err)
			}
			wantBlocking := []string{testapp.ID(testapp.Gina), testapp.ID(testapp.Bob)}
			if c.commit == "9914aed" {
				wantBlocking = []string{} // kept by the community package since: not rewritten
			}
			if got := alice.GetStringSlice("blocking"); !slices.Equal(got, wantBlocking) {
				t.Errorf("alice's blocking %v, want %v", got, wantBlocking)
			}
		})
	}
}

// counterTriggers are the triggers 1795900100 got at 02a8685.
var counterTriggers = []string{"comments_count_insert", "comments_count_delete", "comments_count_update",
	"likes_count_insert", "likes_count_delete", "posts_count_insert", "posts_count_delete", "posts_count_update"}

func dropCounterTriggers(t *testing.T, app core.App) {
	t.Helper()
	for _, name := range counterTriggers {
		if _, err := app.DB().NewQuery("DROP TRIGGER " + name).Execute(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPostsCatchUp: 1795900101 gives a data dir that ran 1795900100
// before 02a8685 the counter triggers, with every counter counted again
// (a version without the catch-up had let them stop), and, where
// 1795900500's first text left them, the rules of before cafbbb4 the
// clause that an author does not unhide.
func TestPostsCatchUp(t *testing.T) {
	want := schemaOf(t, testapp.NewEmpty(t))
	const file = "1795900101_posts_catch_up.go"

	t.Run("counters", func(t *testing.T) {
		app := testapp.NewWithContent(t)
		dropCounterTriggers(t, app)
		forget(t, app, file)
		// what a version without the triggers nor the catch-up wrote
		post := testapp.CreatePost(t, app, testapp.ID(testapp.BoardPublic), testapp.ID(testapp.Alice), "uncounted")
		testapp.CreateComment(t, app, post.Id, testapp.ID(testapp.Bob), "")
		testapp.CreateLike(t, app, testapp.VisiblePost(testapp.BoardPublic), testapp.ID(testapp.Bob))
		var stale int
		if err := app.DB().Select("count(*)").From("posts").Where(dbx.HashExp{"id": post.Id, "comments_count": 0}).Row(&stale); err != nil || stale != 1 {
			t.Fatalf("the comment was counted without triggers: %d %v", stale, err)
		}

		if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Up(); err != nil {
			t.Fatal(err)
		}
		assertSchema(t, app, want)
		if n := testapp.AssertCounts(t, app); n == 0 {
			t.Fatal("no counters checked")
		}
		testapp.CreateComment(t, app, post.Id, testapp.ID(testapp.Gina), "")
		testapp.AssertCounts(t, app)
	})

	t.Run("rules of before cafbbb4, through ce0cbd7", func(t *testing.T) {
		app := testapp.New(t)
		runner := core.NewMigrationsRunner(app, core.AppMigrations)
		if _, err := runner.Down(downTo(t, "1795900501_community_catch_up.go")); err != nil {
			t.Fatal(err)
		}
		communityAsAt(t, app, "ce0cbd7")
		rewriteRules(t, app, func(r string) string {
			return strings.ReplaceAll(r, ` && (@request.body.is_visible:changed = false || is_visible = true)`, "")
		}, "posts", "comments")
		posts, err := app.FindCollectionByNameOrId("posts")
		if err != nil {
			t.Fatal(err)
		}
		const before = `@request.auth.role = "admin" || ((@request.auth.id != "" && author = @request.auth.id) && ` +
			`(board.is_visible = true && (board.read = "public" || (board.read = "members" && @request.auth.id != "") || ` +
			`(board.read = "granted" && @request.auth.boards.id ?= board))) && @request.body.is_pinned:changed = false)`
		if *posts.UpdateRule != before {
			t.Fatalf("not the posts update rule of 1298ef4 (kept by ce0cbd7):\n%s", *posts.UpdateRule)
		}
		dropCounterTriggers(t, app)
		forget(t, app, file)

		if _, err := runner.Up(); err != nil {
			t.Fatal(err)
		}
		assertSchema(t, app, want)
	})
}

// TestResetLinkCatchUp: 1795900003 points the reset mail of a data dir
// made before f74ad8d at the web client, keeping a reworded template's
// words, and leaves a template that links elsewhere.
func TestResetLinkCatchUp(t *testing.T) {
	want := schemaOf(t, testapp.NewEmpty(t))
	const (
		file   = "1795900003_reset_link_catch_up.go"
		before = `href="{APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}"`
		now    = `href="{APP_URL}/#/reset-password/{TOKEN}"`
	)
	app := testapp.NewEmpty(t)
	setBody := func(rewrite func(string) string) {
		t.Helper()
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			t.Fatal(err)
		}
		users.ResetPasswordTemplate.Body = rewrite(users.ResetPasswordTemplate.Body)
		if err := app.Save(users); err != nil {
			t.Fatal(err)
		}
	}
	body := func() string {
		t.Helper()
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			t.Fatal(err)
		}
		return users.ResetPasswordTemplate.Body
	}
	setBody(func(b string) string {
		if !strings.Contains(b, now) {
			t.Fatalf("a new install's reset mail does not link %s:\n%s", now, b)
		}
		return strings.Replace(b, now, before, 1)
	})
	forget(t, app, file)
	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Up(); err != nil {
		t.Fatal(err)
	}
	assertSchema(t, app, want)

	for template, wantBody := range map[string]string{
		`<p>Reworded</p><a ` + before + `>reset</a>`:            `<p>Reworded</p><a ` + now + `>reset</a>`,
		`<a href="https://example.com/reset/{TOKEN}">reset</a>`: `<a href="https://example.com/reset/{TOKEN}">reset</a>`,
	} {
		setBody(func(string) string { return template })
		if err := catchUp(t, file)(app); err != nil {
			t.Fatal(err)
		}
		if got := body(); got != wantBody {
			t.Errorf("after the catch-up:\n got %s\nwant %s", got, wantBody)
		}
	}
}

// TestNotificationReachCatchUp: 1795900831 gives the notifications read
// rules of a data dir that ran 1795900830 before e07f286 the block check
// on the post's writer, whether 1795900866 runs after it or ran before.
func TestNotificationReachCatchUp(t *testing.T) {
	want := schemaOf(t, testapp.NewEmpty(t))
	const (
		file          = "1795900831_notification_reach_catch_up.go"
		actorOnly     = ` && (actor = "" || @request.auth.role = "admin" || @request.auth.blocking !~ actor)`
		actorOrWriter = ` && (@request.auth.role = "admin" || ((actor = "" || @request.auth.blocking !~ actor) && ` +
			`(post = "" || post.author = "" || @request.auth.blocking !~ post.author)))`
	)
	for _, laterFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("1795900866 first: %v", laterFirst), func(t *testing.T) {
			app := testapp.NewEmpty(t)
			runner := core.NewMigrationsRunner(app, core.AppMigrations)
			if laterFirst {
				forget(t, app, file)
			} else if _, err := runner.Down(downTo(t, file)); err != nil {
				t.Fatal(err)
			}
			rewriteRules(t, app, func(r string) string { return strings.Replace(r, actorOrWriter, actorOnly, 1) }, "notifications")
			notifications, err := app.FindCollectionByNameOrId("notifications")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(*notifications.ListRule, actorOnly) || !strings.Contains(*notifications.ViewRule, actorOnly) {
				t.Fatalf("not 95e0d32's block check:\n%s\n%s", *notifications.ListRule, *notifications.ViewRule)
			}

			if _, err := runner.Up(); err != nil {
				t.Fatal(err)
			}
			assertSchema(t, app, want)
		})
	}
}

// TestCatchUpsChangeNothingOnANewInstall: on a data dir that ran the
// present texts, the catch-ups write nothing at all.
func TestCatchUpsChangeNothingOnANewInstall(t *testing.T) {
	app := testapp.NewWithContent(t)
	testapp.SaveRecord(t, app, "blocks", map[string]any{"user": testapp.ID(testapp.Alice), "blocked": testapp.ID(testapp.Gina)})
	rows, objects := testapp.TakeSnapshot(t, app), testapp.TakeSnapshot(t, app, "sqlite_master")
	for _, file := range []string{"1795900003_reset_link_catch_up.go", "1795900101_posts_catch_up.go",
		"1795900501_community_catch_up.go", "1795900831_notification_reach_catch_up.go"} {
		if err := catchUp(t, file)(app); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	rows.AssertUnchanged(t, app)
	objects.AssertUnchanged(t, app)
}

// TestCommentsSearchIndex: 1795900897 indexes the comments written before
// it (oldest first, as the triggers number new ones), keeps the index
// through writes, and its way down drops the index and its triggers.
func TestCommentsSearchIndex(t *testing.T) {
	app := testapp.NewWithContent(t)
	found := func(q string) []string {
		t.Helper()
		var ids []string
		err := app.DB().NewQuery("SELECT comment FROM comments_search_rowid WHERE rowid IN " +
			"(SELECT rowid FROM comments_search WHERE comments_search MATCH {:q}) ORDER BY rowid").
			Bind(dbx.Params{"q": q}).Column(&ids)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	tables := func() int {
		var n int
		if err := app.DB().NewQuery("SELECT count(*) FROM sqlite_master WHERE name LIKE 'comments_search%'").Row(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Down(downTo(t, "1795900897_comments_search.go")); err != nil {
		t.Fatal(err)
	}
	if n := tables(); n != 0 {
		t.Fatalf("after down: %d comments_search tables and triggers", n)
	}
	older := testapp.CreateComment(t, app, testapp.VisiblePost(testapp.BoardPublic), testapp.ID(testapp.Alice), "")
	newer := testapp.CreateComment(t, app, testapp.VisiblePost(testapp.BoardMembers), testapp.ID(testapp.Bob), "")
	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Up(); err != nil {
		t.Fatal(err)
	}
	if got := found(`"a comment"`); !slices.Equal(got, []string{older.Id, newer.Id}) {
		t.Errorf("the comments written before the index: %v, want [%s %s] in that order", got, older.Id, newer.Id)
	}
	if got := found(`"fixture"`); len(got) != 4*len(testapp.Boards) {
		t.Errorf("the fixtures' comments: %d indexed, want %d", len(got), 4*len(testapp.Boards))
	}
	newer.Set("content", "고친 댓글입니다")
	if err := app.Save(newer); err != nil {
		t.Fatal(err)
	}
	if err := app.Delete(older); err != nil {
		t.Fatal(err)
	}
	latest := testapp.CreateComment(t, app, testapp.VisiblePost(testapp.BoardPublic), testapp.ID(testapp.Gina), "")
	if got := found(`"a comment"`); !slices.Equal(got, []string{latest.Id}) {
		t.Errorf("after an edit, a delete and a create: %v, want [%s]", got, latest.Id)
	}
	if got := found(`"고친 댓글"`); !slices.Equal(got, []string{newer.Id}) {
		t.Errorf("the edited comment: %v, want [%s]", got, newer.Id)
	}
}

// TestAnonymousWriterText: 1795900898 makes posts' and comments'
// anonymous_author hidden text, keeping every value; the way down makes it a
// relation to users again, keeping the ids of users that exist and
// emptying the marks of deleted accounts (gone-…), which a relation cannot
// hold; up again keeps them.
func TestAnonymousWriterText(t *testing.T) {
	app := testapp.NewWithContent(t)
	post, comment := testapp.VisiblePost(testapp.BoardPublic), testapp.VisibleComment(testapp.BoardPublic)
	alice := testapp.ID(testapp.Alice)
	for _, q := range []string{
		"UPDATE posts SET anonymous_author = {:alice} WHERE id = {:post}",
		"UPDATE comments SET anonymous_author = 'gone-abc123' WHERE id = {:comment}",
	} {
		if _, err := app.DB().NewQuery(q).Bind(dbx.Params{"alice": alice, "post": post, "comment": comment}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when, fieldType, postWriter, commentWriter string) {
		t.Helper()
		for _, c := range []struct{ collection, id, want string }{{"posts", post, postWriter}, {"comments", comment, commentWriter}} {
			col, err := app.FindCollectionByNameOrId(c.collection)
			if err != nil {
				t.Fatal(err)
			}
			f := col.Fields.GetByName("anonymous_author")
			if f == nil || f.Type() != fieldType || !f.GetHidden() {
				t.Errorf("%s: %s.anonymous_author is %v, want hidden %s", when, c.collection, f, fieldType)
			}
			r, err := app.FindRecordById(c.collection, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.GetString("anonymous_author"); got != c.want {
				t.Errorf("%s: %s %s anonymous_author %q, want %q", when, c.collection, c.id, got, c.want)
			}
		}
	}
	check("after up", core.FieldTypeText, alice, "gone-abc123")
	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Down(downTo(t, "1795900898_anonymous_writer_text.go")); err != nil {
		t.Fatal(err)
	}
	check("after down", core.FieldTypeRelation, alice, "")
	if _, err := core.NewMigrationsRunner(app, core.AppMigrations).Up(); err != nil {
		t.Fatal(err)
	}
	check("up again", core.FieldTypeText, alice, "")
}

// TestSVGAvatarsRemoved: 1795900903 narrows avatars to raster images and
// removes the stored avatars that are none, by the type detected at upload:
// an SVG named bomb.png goes, a PNG named logo.svg.png stays.
func TestSVGAvatarsRemoved(t *testing.T) {
	app := testapp.New(t)
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle r="4"/></svg>`
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
	for name, file := range map[string][2]string{testapp.Alice: {svg, "bomb.png"}, testapp.Bob: {png, "logo.svg.png"}} {
		u, err := app.FindRecordById("users", testapp.ID(name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := filesystem.NewFileFromBytes([]byte(file[0]), file[1])
		if err != nil {
			t.Fatal(err)
		}
		u.Set("avatar", f)
		if err := app.SaveNoValidate(u); err != nil { // as stored before the checks
			t.Fatal(err)
		}
	}
	i := slices.IndexFunc(core.AppMigrations.Items(), func(m *core.Migration) bool { return m.File == "1795900903_raster_avatars.go" })
	if i < 0 {
		t.Fatal("no migration 1795900903_raster_avatars.go")
	}
	if err := core.AppMigrations.Items()[i].Up(app); err != nil {
		t.Fatal(err)
	}
	for name, kept := range map[string]bool{testapp.Alice: false, testapp.Bob: true} {
		u, err := app.FindRecordById("users", testapp.ID(name))
		if err != nil {
			t.Fatal(err)
		}
		if got := u.GetString("avatar"); (got != "") != kept {
			t.Errorf("%s's avatar after the migration: %q, kept %v", name, got, kept)
		}
	}
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	if got := users.Fields.GetByName("avatar").(*core.FileField).MimeTypes; slices.Contains(got, "image/svg+xml") || len(got) != 4 {
		t.Errorf("avatar types: %v", got)
	}
}
