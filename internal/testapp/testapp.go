// Package testapp builds real Madang apps for tests: every migration and hook,
// plus a fixed community (users of each role, boards of each access level).
// The community is written once per test binary into a template data dir;
// each test gets its own copy in milliseconds.
package testapp

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/madang"
	"madang/internal/sqlite"
	_ "madang/pb_migrations"
)

// Password is every fixture user's password.
const Password = "fixture-pass-2026"

// Fixture users, by name. Ids are the name padded with zeros to 15 chars.
const (
	Alice = "alice" // member
	Bob   = "bob"   // member
	Gina  = "gina"  // member granted the "granted" and "grantw" boards
	Ben   = "ben"   // banned member (permanent)
	Adam  = "adam"  // admin
	Ada   = "ada"   // second admin
)

// Fixture boards, by name: read/write levels.
const (
	BoardPublic  = "public"  // read public, write members
	BoardMembers = "members" // read members, write members
	BoardGranted = "granted" // read granted, write granted
	BoardAdmins  = "admins"  // read public, write admins
	BoardGrantW  = "grantw"  // read members, write granted
	BoardHidden  = "hidden"  // hidden; read public, write members
)

// SuperuserEmail is the fixture superuser's email.
const SuperuserEmail = "root@example.com"

// ID returns the fixture record id for a fixture name.
func ID(name string) string { return name + strings.Repeat("0", 15-len(name)) }

// Email returns a fixture user's email.
func Email(name string) string { return name + "@example.com" }

var (
	once        sync.Once
	templateDir string
	tokens      map[string]string
	onceErr     error
)

// New returns a fresh app with the fixtures; it is removed when t ends.
func New(t testing.TB) *tests.TestApp {
	t.Helper()
	app, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	return app
}

// Factory fits tests.ApiScenario.TestAppFactory.
func Factory(t testing.TB) *tests.TestApp {
	t.Helper()
	app, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func newApp() (*tests.TestApp, error) {
	once.Do(func() { templateDir, tokens, onceErr = buildTemplate() })
	if onceErr != nil {
		return nil, onceErr
	}
	app, err := newTestApp(templateDir)
	if err != nil {
		return nil, err
	}
	madang.Bind(app)
	return app, nil
}

// Token returns a valid auth token of a fixture user (or "root" for the
// superuser). Tokens stay valid in every copy until the user's key rotates.
func Token(name string) string {
	once.Do(func() { templateDir, tokens, onceErr = buildTemplate() })
	return tokens[name]
}

// Auth returns the request headers that authenticate as a fixture user.
func Auth(name string) map[string]string {
	return map[string]string{"Authorization": Token(name)}
}

// Cleanup removes the template data dir; call it from TestMain after m.Run.
func Cleanup() {
	if templateDir != "" {
		os.RemoveAll(templateDir)
	}
}

func buildTemplate() (string, map[string]string, error) {
	empty, err := os.MkdirTemp("", "madang_empty_")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(empty)
	app, err := newTestApp(empty)
	if err != nil {
		return "", nil, err
	}
	madang.Bind(app)
	toks, err := seed(app)
	if err != nil {
		app.Cleanup()
		return "", nil, fmt.Errorf("seeding test fixtures: %w", err)
	}
	dir := app.DataDir()
	if err := app.ResetBootstrapState(); err != nil {
		return "", nil, err
	}
	return dir, toks, nil
}

func seed(app core.App) (map[string]string, error) {
	boards, err := app.FindCollectionByNameOrId("boards")
	if err != nil {
		return nil, err
	}
	for _, b := range []struct {
		name, read, write string
		visible           bool
	}{
		{BoardPublic, "public", "members", true},
		{BoardMembers, "members", "members", true},
		{BoardGranted, "granted", "granted", true},
		{BoardAdmins, "public", "admins", true},
		{BoardGrantW, "members", "granted", true},
		{BoardHidden, "public", "members", false},
	} {
		r := core.NewRecord(boards)
		r.Id = ID(b.name)
		r.Set("name", b.name)
		r.Set("read", b.read)
		r.Set("write", b.write)
		r.Set("is_visible", b.visible)
		if err := app.Save(r); err != nil {
			return nil, fmt.Errorf("board %s: %w", b.name, err)
		}
	}

	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return nil, err
	}
	toks := map[string]string{}
	for _, u := range []struct {
		name, role string
		banned     bool
		boards     []string
	}{
		{Alice, "member", false, nil},
		{Bob, "member", false, nil},
		{Gina, "member", false, []string{ID(BoardGranted), ID(BoardGrantW)}},
		{Ben, "member", false, nil}, // banned below, after its token is made
		{Adam, "admin", false, nil},
		{Ada, "admin", false, nil},
	} {
		r := core.NewRecord(users)
		r.Id = ID(u.name)
		r.SetEmail(Email(u.name))
		r.SetPassword(Password)
		r.SetVerified(true)
		r.Set("name", u.name)
		r.Set("role", u.role)
		r.Set("boards", u.boards)
		if err := app.Save(r); err != nil {
			return nil, fmt.Errorf("user %s: %w", u.name, err)
		}
		if toks[u.name], err = r.NewAuthToken(); err != nil {
			return nil, err
		}
	}

	// Ben is banned in SQL, which keeps his token's key: requests with a live
	// token of a banned user must still be refused (through the app a ban
	// also rotates the key, so this is the harder case).
	if _, err := app.DB().NewQuery("UPDATE users SET banned = TRUE, ban_reason = 'spam' WHERE id = {:id}").
		Bind(map[string]any{"id": ID(Ben)}).Execute(); err != nil {
		return nil, err
	}

	supers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		return nil, err
	}
	root := core.NewRecord(supers)
	root.SetEmail(SuperuserEmail)
	root.SetPassword(Password)
	if err := app.Save(root); err != nil {
		return nil, err
	}
	if toks["root"], err = root.NewAuthToken(); err != nil {
		return nil, err
	}
	// the fixtures are no moderator's actions: the boards and admins made
	// above leave the moderation log empty, for each test to read its own
	if _, err := app.DB().NewQuery("DELETE FROM moderation_log").Execute(); err != nil {
		return nil, err
	}
	return toks, nil
}

// NewEmpty returns a fresh app with every migration and hook but no
// fixtures, as on a first start.
func NewEmpty(t testing.TB) *tests.TestApp {
	t.Helper()
	dir := t.TempDir()
	app, err := newTestApp(dir)
	if err != nil {
		t.Fatal(err)
	}
	madang.Bind(app)
	t.Cleanup(app.Cleanup)
	return app
}

// newTestApp is tests.NewTestApp on Madang's SQLite connections and pool
// (see main.go): the tests run the statement cache the server runs.
// sqliteConnect is the server's own connection (connect wraps it).
var sqliteConnect = sqlite.Connect

func newTestApp(dataDir string) (*tests.TestApp, error) {
	return tests.NewTestAppWithConfig(core.BaseAppConfig{DataDir: dataDir, EncryptionEnv: "pb_test_env", DBConnect: connect,
		DataMaxIdleConns: sqlite.DataMaxIdleConns})
}
