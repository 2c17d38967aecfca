package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
	"golang.org/x/crypto/bcrypt"

	_ "madang/pb_migrations"
)

// password is every seeded account's password.
const password = "bench-password-1"

const superuserEmail = "bench@example.com"

// fixture is the seeded community both targets start from.
type fixture struct {
	template   map[string]string // target → seeded (closed) data dir
	users      []benchUser
	superToken string
	mainBoard  string // read and write: members; 90% of the posts
	posts      int
	session    string // a group chat whose members are every user
	ai         aiFixture
}

type benchUser struct {
	id, email, token string
}

func userID(i int) string  { return fmt.Sprintf("u%014d", i) }
func postID(i int) string  { return fmt.Sprintf("p%014d", i) }
func boardID(i int) string { return fmt.Sprintf("b%014d", i) }

const sessionID = "chat00000000000"

// seed builds the data dirs: every migration run in-process, then users,
// boards, posts and a chat written with raw SQL in one transaction (one
// bcrypt hash shared by every user), and tokens minted in-process, which
// the servers accept since they share the collection secrets.
func seed(cfg config, work string) (*fixture, error) {
	fx := &fixture{
		template:  map[string]string{madang: filepath.Join(work, "seed-madang"), baseline: filepath.Join(work, "seed-baseline")},
		mainBoard: boardID(0),
		posts:     cfg.Posts,
		session:   sessionID,
	}
	app, err := openApp(fx.template[madang])
	if err != nil {
		return nil, err
	}
	err = fill(app, cfg, fx)
	if closeErr := app.ResetBootstrapState(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, err
	}
	if err := copyDir(fx.template[madang], fx.template[baseline]); err != nil {
		return nil, err
	}
	return fx, adaptBaseline(fx.template[baseline])
}

// openApp bootstraps a PocketBase app on dir and applies Madang's migrations.
func openApp(dir string) (*core.BaseApp, error) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return nil, fmt.Errorf("bootstrapping %s: %w", dir, err)
	}
	if err := app.RunAllMigrations(); err != nil {
		app.ResetBootstrapState()
		return nil, fmt.Errorf("migrating %s: %w", dir, err)
	}
	return app, nil
}

func fill(app core.App, cfg config, fx *fixture) error {
	settings := app.Settings()
	settings.RateLimits.Enabled = false
	// Each member's requests carry their own address (memberAddr), as
	// behind a reverse proxy configured as the README says. Without it every
	// member shares 127.0.0.1, and PocketBase's throttle of empty filtered
	// lists (over 3 a collection in 3 s from one address: up to 500 ms
	// each, apis/record_crud.go) delayed most of the post page's requests
	// — "my like", "my bookmark", a post without comments — for everyone.
	settings.TrustedProxy.Headers = []string{memberAddrHeader}
	if err := app.Save(settings); err != nil {
		return fmt.Errorf("saving the settings: %w", err)
	}
	superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		return err
	}
	su := core.NewRecord(superusers)
	su.SetEmail(superuserEmail)
	su.SetPassword(password)
	if err := app.Save(su); err != nil {
		return fmt.Errorf("creating the superuser: %w", err)
	}
	hash, err := passwordHash(app)
	if err != nil {
		return err
	}
	err = app.RunInTransaction(func(tx core.App) error {
		if err := insertBoards(tx); err != nil {
			return err
		}
		if err := insertUsers(tx, cfg.Users, hash); err != nil {
			return err
		}
		if err := insertPosts(tx, cfg.Posts, cfg.Users); err != nil {
			return err
		}
		return insertChat(tx, min(cfg.Users, 1000))
	})
	if err != nil {
		return err
	}
	if fx.ai, err = seedAI(app); err != nil {
		return err
	}
	return mintTokens(app, fx, su)
}

// passwordHash hashes the shared password at the cost the users collection
// asks for, as a sign-up would.
func passwordHash(app core.App) (string, error) {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return "", err
	}
	cost := bcrypt.DefaultCost
	if f, ok := users.Fields.GetByName("password").(*core.PasswordField); ok && f.Cost > 0 {
		cost = f.Cost
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	return string(hash), err
}

func dbTime(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

func insertBoards(tx core.App) error {
	now := dbTime(time.Now())
	for i, name := range []string{"자유게시판", "Questions"} {
		_, err := tx.DB().NewQuery(`INSERT INTO boards (id, name, information, is_visible, read, write, created, updated)
			VALUES ({:id}, {:name}, 'seeded by bench', TRUE, 'members', 'members', {:now}, {:now})`).
			Bind(dbx.Params{"id": boardID(i), "name": name, "now": now}).Execute()
		if err != nil {
			return fmt.Errorf("inserting board %s: %w", name, err)
		}
	}
	return nil
}

func insertUsers(tx core.App, n int, hash string) error {
	q := tx.DB().NewQuery(`INSERT INTO users (id, email, emailVisibility, verified, password, tokenKey, name, role, created, updated)
		VALUES ({:id}, {:email}, FALSE, TRUE, {:hash}, {:key}, {:name}, 'member', {:now}, {:now})`).Prepare()
	defer q.Close()
	now := dbTime(time.Now())
	for i := range n {
		_, err := q.Bind(dbx.Params{"id": userID(i), "email": fmt.Sprintf("user%04d@example.com", i),
			"hash": hash, "key": security.RandomString(50), "name": fmt.Sprintf("user%04d", i), "now": now}).Execute()
		if err != nil {
			return fmt.Errorf("inserting user %d: %w", i, err)
		}
	}
	return nil
}

// insertPosts writes n posts, one a second up to now: 90% on the main
// board. One INSERT … SELECT, not n INSERTs: the search index fills itself
// through the migration's triggers, and FTS5 flushes its index once per
// statement.
func insertPosts(tx core.App, n, users int) error {
	_, err := tx.DB().NewQuery(`WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < {:n})
		INSERT INTO posts (id, board, author, title, content, attachments, is_file_attached,
			views_count, comments_count, likes_count, is_visible, is_pinned, created, updated)
		SELECT printf('p%014d', n), CASE WHEN n % 10 = 9 THEN {:other} ELSE {:main} END, printf('u%014d', n * 7 % {:users}),
			printf('글 %d: 마당 게시판의 벤치마크 글', n),
			printf('본문 %d. 오늘 마당에서 이야기를 나눕니다. Lorem ipsum dolor sit amet, consectetur adipiscing elit %d.', n, n * 31),
			'[]', FALSE, n % 1000, 0, 0, TRUE, FALSE,
			strftime('%Y-%m-%d %H:%M:%fZ', {:start}, '+' || n || ' seconds'),
			strftime('%Y-%m-%d %H:%M:%fZ', {:start}, '+' || n || ' seconds')
		FROM seq`).Bind(dbx.Params{"n": n, "users": users, "main": boardID(0), "other": boardID(1),
		"start": dbTime(time.Now().Add(-time.Duration(n) * time.Second))}).Execute()
	if err != nil {
		return fmt.Errorf("inserting %d posts: %w", n, err)
	}
	_, err = tx.DB().NewQuery(`UPDATE boards SET posts_count = (SELECT COUNT(*) FROM posts WHERE posts.board = boards.id AND is_visible)`).Execute()
	return err
}

// insertChat makes a group chat whose members are the first n users (the
// collection allows 1,000), owned by the first.
func insertChat(tx core.App, n int) error {
	members := make([]string, n)
	for i := range n {
		members[i] = userID(i)
	}
	raw, err := json.Marshal(members)
	if err != nil {
		return err
	}
	now := dbTime(time.Now())
	_, err = tx.DB().NewQuery(`INSERT INTO chat_sessions (id, name, information, kind, owner, members, is_closed, created, updated)
		VALUES ({:id}, 'bench room', '', 'group', {:owner}, {:members}, FALSE, {:now}, {:now})`).
		Bind(dbx.Params{"id": sessionID, "owner": userID(0), "members": string(raw), "now": now}).Execute()
	if err != nil {
		return fmt.Errorf("inserting the chat session: %w", err)
	}
	return nil
}

func mintTokens(app core.App, fx *fixture, su *core.Record) error {
	users, err := app.FindAllRecords("users")
	if err != nil {
		return err
	}
	byID := map[string]*core.Record{}
	for _, u := range users {
		byID[u.Id] = u
	}
	fx.users = make([]benchUser, len(users))
	for i := range users {
		u := byID[userID(i)]
		if u == nil {
			return fmt.Errorf("user %s was not seeded", userID(i))
		}
		token, err := u.NewAuthToken()
		if err != nil {
			return fmt.Errorf("minting a token for %s: %w", u.Id, err)
		}
		fx.users[i] = benchUser{id: u.Id, email: u.Email(), token: token}
	}
	fx.superToken, err = su.NewAuthToken()
	return err
}

// adaptBaseline opens the chat to everyone on the baseline's copy: its
// subscribers measure PocketBase's bare SSE fan-out, with no rule to run.
func adaptBaseline(dir string) error {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	chats, err := app.FindCollectionByNameOrId("chats")
	if err != nil {
		return err
	}
	chats.ListRule = types.Pointer("")
	chats.ViewRule = types.Pointer("")
	if err := app.Save(chats); err != nil {
		return fmt.Errorf("opening the baseline chats rules: %w", err)
	}
	return nil
}

// missingCollections lists which of names the app lacks.
func missingCollections(app core.App, names ...string) []string {
	var missing []string
	for _, n := range names {
		if _, err := app.FindCollectionByNameOrId(n); err != nil {
			missing = append(missing, n)
		}
	}
	return missing
}
