package cli_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testapp.Cleanup()
	os.Exit(code)
}

func user(t *testing.T, app core.App, email string) *core.Record {
	t.Helper()
	u, err := app.FindAuthRecordByEmail("users", email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

func TestAdminCreate(t *testing.T) {
	app := testapp.New(t)
	out, err := testapp.RunCLI(t, app, "admin", "create", "mod@example.com", "secret-pass-1", "--name", "모더")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Created admin mod@example.com") {
		t.Fatalf("output: %q", out)
	}
	u := user(t, app, "mod@example.com")
	if u.GetString("role") != "admin" || u.GetString("name") != "모더" || !u.ValidatePassword("secret-pass-1") {
		t.Fatalf("admin record: role %q name %q", u.GetString("role"), u.GetString("name"))
	}

	// The name defaults to the email's local part.
	if _, err := testapp.RunCLI(t, app, "admin", "create", "second.mod@example.com", "secret-pass-1"); err != nil {
		t.Fatal(err)
	}
	if n := user(t, app, "second.mod@example.com").GetString("name"); n != "second.mod" {
		t.Fatalf("default name %q", n)
	}

	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"admin", "create", "alice@example.com", "secret-pass-1"}, "already exists"},
		{[]string{"admin", "create", "new@example.com", "short"}, "password"},
		{[]string{"admin", "create", "not-an-email", "secret-pass-1"}, "email"},
		{[]string{"admin", "create", "x@example.com", "secret-pass-1", "--name", "bob"}, "name"},
		{[]string{"admin", "create", "only-email@example.com"}, "accepts 2 arg(s)"},
	} {
		before, _ := app.CountRecords("users")
		_, err := testapp.RunCLI(t, app, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.msg)
		}
		if after, _ := app.CountRecords("users"); after != before {
			t.Errorf("%v: users %d -> %d", c.args, before, after)
		}
	}
}

// TestEmailsIgnoreCase: the commands find a user by their email in any
// case, refuse a new admin whose email another account holds in another
// case, and store a new admin's email lowercased.
func TestEmailsIgnoreCase(t *testing.T) {
	app := testapp.New(t)
	if _, err := testapp.RunCLI(t, app, "users", "ban", "ALICE@Example.COM"); err != nil {
		t.Fatalf("ban by the email in capitals: %v", err)
	}
	if !user(t, app, "alice@example.com").GetBool("banned") {
		t.Fatal("alice is not banned")
	}
	before, _ := app.CountRecords("users")
	if _, err := testapp.RunCLI(t, app, "admin", "create", "BOB@example.com", "secret-pass-1", "--name", "newadm"); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Fatalf("admin create with bob's email in capitals: %v", err)
	}
	if after, _ := app.CountRecords("users"); after != before {
		t.Fatalf("users %d -> %d", before, after)
	}
	if _, err := testapp.RunCLI(t, app, "admin", "create", "New.Mod@Example.com", "secret-pass-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.FindFirstRecordByData("users", "email", "new.mod@example.com"); err != nil {
		t.Fatalf("the new admin's email is not stored lowercased: %v", err)
	}
}

// TestNamesAsStored: users, boards and names typed in another form of the
// stored name (full-width, decomposed Hangul) are found, and a look-alike
// of a taken name or board is refused naming its owner.
func TestNamesAsStored(t *testing.T) {
	app := testapp.New(t)
	if _, err := testapp.RunCLI(t, app, "users", "ban", "ａｌｉｃｅ"); err != nil {
		t.Fatalf("ban by the name typed full-width: %v", err)
	}
	if !user(t, app, "alice@example.com").GetBool("banned") {
		t.Fatal("alice is not banned")
	}
	if _, err := testapp.RunCLI(t, app, "users", "grant", "bob", "ＧＲＡＮＴＥＤ"); err != nil {
		t.Fatalf("grant of a board typed full-width: %v", err)
	}
	if got := user(t, app, "bob@example.com").GetStringSlice("boards"); len(got) != 1 || got[0] != testapp.ID(testapp.BoardGranted) {
		t.Fatalf("bob's boards: %v", got)
	}
	if _, err := testapp.RunCLI(t, app, "boards", "create", "민수"); err != nil {
		t.Fatal(err)
	}
	const minsuNFD = "\u1106\u1175\u11ab\u1109\u116e" // 민수 as conjoining jamo
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"admin", "create", "new@example.com", "secret-pass-1", "--name", "ａｄａｍ"}, `the name "ａｄａｍ" is already taken by adam@example.com`},
		{[]string{"boards", "create", "ｐｕｂｌｉｃ"}, `a board named "public" already exists (id `},
		{[]string{"boards", "create", minsuNFD}, "already exists"},
	} {
		users, _ := app.CountRecords("users")
		boards, _ := app.CountRecords("boards")
		if _, err := testapp.RunCLI(t, app, c.args...); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.msg)
		}
		if u, _ := app.CountRecords("users"); u != users {
			t.Errorf("%v: users %d -> %d", c.args, users, u)
		}
		if b, _ := app.CountRecords("boards"); b != boards {
			t.Errorf("%v: boards %d -> %d", c.args, boards, b)
		}
	}
}

// TestLegacyLookAlikesByTheirOwnSpelling: names stored before they were
// kept in NFKC (a full-width ｊａｎｅ beside jane, a decomposed 민수 beside
// the composed one) are found by the spelling `users list` shows: a ban,
// a password reset or a grant lands on that account, not on the one it
// looks like. Until 2026-12-03 each landed on the other.
func TestLegacyLookAlikesByTheirOwnSpelling(t *testing.T) {
	app := testapp.New(t)
	const minsuNFD = "\u1106\u1175\u11ab\u1109\u116e"
	// as the versions before access.Names stored them (raw SQL: Names would fold them now)
	for email, name := range map[string]string{"alice@example.com": "ｊａｎｅ", "bob@example.com": "jane", "ben@example.com": minsuNFD, "gina@example.com": "민수"} {
		if _, err := app.DB().NewQuery("UPDATE users SET name = {:name} WHERE email = {:email}").
			Bind(dbx.Params{"name": name, "email": email}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := testapp.RunCLI(t, app, "users", "ban", "ｊａｎｅ", "--reason", "impersonation"); err != nil {
		t.Fatal(err)
	}
	if !user(t, app, "alice@example.com").GetBool("banned") || user(t, app, "bob@example.com").GetBool("banned") {
		t.Fatalf("ban ｊａｎｅ: alice (ｊａｎｅ) banned %v, bob (jane) banned %v", user(t, app, "alice@example.com").GetBool("banned"), user(t, app, "bob@example.com").GetBool("banned"))
	}
	if _, err := testapp.RunCLI(t, app, "users", "reset-password", minsuNFD); err != nil {
		t.Fatal(err)
	}
	if ben, gina := user(t, app, "ben@example.com"), user(t, app, "gina@example.com"); ben.ValidatePassword(testapp.Password) || !gina.ValidatePassword(testapp.Password) {
		t.Fatalf("reset-password of the decomposed 민수: ben's (decomposed) password kept %v, gina's (composed) %v",
			ben.ValidatePassword(testapp.Password), gina.ValidatePassword(testapp.Password))
	}
	// typed in another case or form, the name in the stored form is found
	if _, err := testapp.RunCLI(t, app, "users", "ban", "JANE"); err != nil {
		t.Fatal(err)
	}
	if !user(t, app, "bob@example.com").GetBool("banned") {
		t.Fatal("ban JANE: bob (jane) is not banned")
	}
}

// TestNamesInAnyCaseOfAnyScript: a name typed in another case of a
// script NOCASE does not fold (élodie for Élodie) is found, unless two
// names differ only in such a case (Иван, иван): then each is found by its
// own spelling and a third (ИВАН) finds neither. Until 2026-12-04 élodie
// found nobody.
func TestNamesInAnyCaseOfAnyScript(t *testing.T) {
	app := testapp.New(t)
	for email, name := range map[string]string{"alice@example.com": "Élodie", "bob@example.com": "Иван", "gina@example.com": "иван"} {
		if _, err := app.DB().NewQuery("UPDATE users SET name = {:name} WHERE email = {:email}").
			Bind(dbx.Params{"name": name, "email": email}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := testapp.RunCLI(t, app, "users", "ban", "élodie"); err != nil {
		t.Fatal(err)
	}
	if !user(t, app, "alice@example.com").GetBool("banned") {
		t.Fatal("ban élodie: alice (Élodie) is not banned")
	}
	if _, err := testapp.RunCLI(t, app, "users", "ban", "ИВАН"); err == nil {
		t.Error("ban ИВАН with an Иван and an иван: no error")
	}
	if _, err := testapp.RunCLI(t, app, "users", "ban", "иван"); err != nil {
		t.Fatal(err)
	}
	if bob, gina := user(t, app, "bob@example.com"), user(t, app, "gina@example.com"); bob.GetBool("banned") || !gina.GetBool("banned") {
		t.Errorf("ban ИВАН, then иван: bob (Иван) banned %v, gina (иван) banned %v; want false, true", bob.GetBool("banned"), gina.GetBool("banned"))
	}
}

// TestFieldProblemsAsSentences: a refused save names each field in a
// sentence of its own, without the doubled period ozzo-validation's list
// added ("Invalid value format..").
func TestFieldProblemsAsSentences(t *testing.T) {
	app := testapp.New(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"admin", "create", "new@example.com", "secret-pass-1", "--name", "a b"},
			"creating admin new@example.com: name: Use letters of any script, digits, _ . or - (no spaces)."},
		{[]string{"admin", "create", "not-an-email", "secret-pass-1", "--name", "a"},
			"creating admin not-an-email: email: must be a valid email address. name: Must be at least 2 character(s)."},
		{[]string{"admin", "create", "new@example.com", "password123"},
			"creating admin new@example.com: password: This password is one of the most common and easy to guess; choose another. " +
				"(너무 흔한 비밀번호라 쉽게 추측됩니다. 다른 비밀번호를 쓰세요.)"},
		{[]string{"boards", "create", "x", "--info", strings.Repeat("x", 513)},
			`creating board "x": information: Must be no more than 512 character(s).`},
	} {
		if _, err := testapp.RunCLI(t, app, c.args...); err == nil || err.Error() != c.want {
			t.Errorf("%v:\n got %v\nwant %s", c.args, err, c.want)
		}
	}
}

func TestUsersBanUnban(t *testing.T) {
	app := testapp.New(t)
	tokenKey := user(t, app, "alice@example.com").TokenKey()
	out, err := testapp.RunCLI(t, app, "users", "ban", "alice@example.com", "--reason", "spam", "--until", "2099-05-01 12:00")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "(until 2099-05-01 12:00 UTC)") { // as README says: the date is UTC
		t.Fatalf("output %q", out)
	}
	u := user(t, app, "alice@example.com")
	if !u.GetBool("banned") || u.GetString("ban_reason") != "spam" ||
		u.GetDateTime("banned_until").String() != "2099-05-01 12:00:00.000Z" || u.TokenKey() == tokenKey {
		t.Fatalf("after ban: %v %q %v key rotated %v", u.GetBool("banned"), u.GetString("ban_reason"),
			u.GetDateTime("banned_until"), u.TokenKey() != tokenKey)
	}

	// banned again without --until: permanent, with the new reason
	if out, err := testapp.RunCLI(t, app, "users", "ban", "alice", "--reason", "spam again"); err != nil ||
		!strings.Contains(out, `the ban is now permanent, reason "spam again"`) {
		t.Fatalf("ban again: %v %q", err, out)
	}
	if u := user(t, app, "alice@example.com"); !u.GetBool("banned") || u.GetString("ban_reason") != "spam again" ||
		!u.GetDateTime("banned_until").IsZero() {
		t.Fatalf("after a permanent ban: %v %q %v", u.GetBool("banned"), u.GetString("ban_reason"), u.GetDateTime("banned_until"))
	}

	if _, err := testapp.RunCLI(t, app, "users", "ban", "alice", "--until", "2099-05-01 12:00"); err != nil {
		t.Fatal(err)
	}
	if _, err := testapp.RunCLI(t, app, "users", "unban", "alice"); err != nil {
		t.Fatal(err)
	}
	// the ban's end and reason go with it (the users model hooks clear them)
	if u := user(t, app, "alice@example.com"); u.GetBool("banned") || u.GetString("ban_reason") != "" ||
		!u.GetDateTime("banned_until").IsZero() {
		t.Fatalf("after unban: %v %q %v", u.GetBool("banned"), u.GetString("ban_reason"), u.GetDateTime("banned_until"))
	}

	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"users", "ban", "nobody@example.com"}, `no user with email or name "nobody@example.com"`},
		{[]string{"users", "ban", "bob", "--until", "tomorrow"}, `bad date "tomorrow"`},
		{[]string{"users", "ban", "bob", "--until", "2001-01-01"}, "in the past"},
		{[]string{"users", "ban", "bob", "--reason", strings.Repeat("x", 513)}, "512 at most"},
		{[]string{"users", "unban", "bob"}, "is not banned"},
		{[]string{"users", "unban", "nobody"}, "no user"},
	} {
		_, err := testapp.RunCLI(t, app, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.msg)
		}
	}
	if u := user(t, app, "bob@example.com"); u.GetBool("banned") || u.GetString("ban_reason") != "" ||
		!u.GetDateTime("banned_until").IsZero() {
		t.Fatal("a refused ban changed bob")
	}
}

// TestUsersBanAgain: banning a banned user replaces their ban, says what it
// was and what it is now, and logs the change as the first ban was logged;
// the same ban again changes nothing and logs nothing. Until 2026-12-07 a
// second ban made a temporary ban permanent, its reason gone, with
// "Banned … (permanent)." and no line in the log.
func TestUsersBanAgain(t *testing.T) {
	app := testapp.New(t)
	ban := func(want string, args ...string) {
		t.Helper()
		out, err := testapp.RunCLI(t, app, append([]string{"users", "ban", "alice"}, args...)...)
		if err != nil || out != want {
			t.Errorf("ban %v: %v %q, want %q", args, err, out, want)
		}
	}
	ban("Banned alice@example.com (until 2099-05-01 00:00 UTC).\n", "--reason", "first", "--until", "2099-05-01")
	ban(`alice@example.com was already banned (until 2099-05-01 00:00 UTC, reason "first"); the ban is now permanent, no reason.` + "\n")
	ban(`alice@example.com was already banned (permanent, no reason); nothing changed.` + "\n")
	ban(`alice@example.com was already banned (permanent, no reason); the ban is now permanent, reason "second".`+"\n", "--reason", "second")

	if u := user(t, app, "alice@example.com"); !u.GetBool("banned") || u.GetString("ban_reason") != "second" || !u.GetDateTime("banned_until").IsZero() {
		t.Errorf("after the bans: %v %q %v", u.GetBool("banned"), u.GetString("ban_reason"), u.GetDateTime("banned_until"))
	}
	lines, err := app.FindRecordsByFilter("moderation_log", "target_id = {:id}", "created,id", 0, 0, dbx.Params{"id": testapp.ID(testapp.Alice)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, l.GetString("action")+" by "+l.GetString("actor_label")+": "+l.GetString("reason"))
	}
	want := []string{
		"ban by cli: first",
		`ban by cli: changed: until 2099-05-01 00:00 UTC, reason "first" → permanent, no reason`,
		`ban by cli: changed: permanent, no reason → permanent, reason "second"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("log of alice's bans:\n got %q\nwant %q", got, want)
	}
}

func TestUsersGrantRevoke(t *testing.T) {
	app := testapp.New(t)
	granted := testapp.ID(testapp.BoardGranted)
	if _, err := testapp.RunCLI(t, app, "users", "grant", "alice@example.com", "granted"); err != nil {
		t.Fatal(err)
	}
	if got := user(t, app, "alice@example.com").GetStringSlice("boards"); len(got) != 1 || got[0] != granted {
		t.Fatalf("boards after grant: %v", got)
	}
	if _, err := testapp.RunCLI(t, app, "users", "grant", "alice", granted); err == nil || !strings.Contains(err.Error(), "already has") {
		t.Fatalf("second grant: %v", err)
	}
	if _, err := testapp.RunCLI(t, app, "users", "revoke", "alice@example.com", "GRANTED"); err != nil {
		t.Fatal(err)
	}
	if got := user(t, app, "alice@example.com").GetStringSlice("boards"); len(got) != 0 {
		t.Fatalf("boards after revoke: %v", got)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"users", "grant", "alice", "no-such-board"}, `no board with name or id "no-such-board"`},
		{[]string{"users", "grant", "nobody", "granted"}, "no user"},
		{[]string{"users", "revoke", "alice", "granted"}, "does not have"},
	} {
		if _, err := testapp.RunCLI(t, app, c.args...); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.msg)
		}
	}
	if got := user(t, app, "alice@example.com").GetStringSlice("boards"); len(got) != 0 {
		t.Fatalf("a refused command changed boards: %v", got)
	}
}

func TestUsersResetPasswordWithoutSMTP(t *testing.T) {
	app := testapp.New(t)
	out, err := testapp.RunCLI(t, app, "users", "reset-password", "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "SMTP is not configured") || !strings.Contains(out, "Set a temporary password for bob@example.com: ") ||
		!strings.Contains(out, "It works until changed") {
		t.Fatalf("output %q", out)
	}
	i := strings.Index(out, "bob@example.com: ")
	password := strings.Fields(out[i+len("bob@example.com: "):])[0]
	u := user(t, app, "bob@example.com")
	if !u.ValidatePassword(password) || u.ValidatePassword(testapp.Password) {
		t.Fatal("the printed temporary password does not work, or the old one still does")
	}
	if app.TestMailer.TotalSend() != 0 {
		t.Fatal("a mail was sent without SMTP")
	}
}

func TestUsersResetPasswordWithSMTP(t *testing.T) {
	app := testapp.New(t)
	app.Settings().SMTP.Enabled = true
	out, err := testapp.RunCLI(t, app, "users", "reset-password", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Mailed a password-reset link to bob@example.com") {
		t.Fatalf("output %q", out)
	}
	if app.TestMailer.TotalSend() != 1 || !strings.Contains(app.TestMailer.LastMessage().HTML, "#/reset-password/") {
		t.Fatalf("mails sent: %d", app.TestMailer.TotalSend())
	}
	if !user(t, app, "bob@example.com").ValidatePassword(testapp.Password) {
		t.Fatal("the password changed although a mail was sent")
	}
}

func TestUsersList(t *testing.T) {
	app := testapp.New(t)
	out, err := testapp.RunCLI(t, app, "users", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"EMAIL", "alice@example.com", "adam@example.com", "admin", "permanent"} {
		if !strings.Contains(out, want) {
			t.Errorf("users list lacks %q:\n%s", want, out)
		}
	}
	if lines := strings.Count(strings.TrimSpace(out), "\n"); lines != 6 {
		t.Errorf("users list has %d rows, want 6:\n%s", lines, out)
	}
}

func TestBoardsCreateAndList(t *testing.T) {
	app := testapp.New(t)
	out, err := testapp.RunCLI(t, app, "boards", "create", "스터디 모임", "--read", "granted", "--write", "granted", "--info", "invite only")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `Created board "스터디 모임"`) {
		t.Fatalf("output %q", out)
	}
	b, err := app.FindFirstRecordByData("boards", "name", "스터디 모임")
	if err != nil || b.GetString("read") != "granted" || b.GetString("write") != "granted" ||
		b.GetString("information") != "invite only" || !b.GetBool("is_visible") {
		t.Fatalf("board: %v %v", b, err)
	}
	if _, err := testapp.RunCLI(t, app, "boards", "create", "secret", "--hidden"); err != nil {
		t.Fatal(err)
	}
	if b, _ := app.FindFirstRecordByData("boards", "name", "secret"); b.GetBool("is_visible") {
		t.Fatal("--hidden board is visible")
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"boards", "create", "x", "--read", "everyone"}, `bad --read "everyone"`},
		{[]string{"boards", "create", "x", "--write", "nobody"}, `bad --write "nobody"`},
		{[]string{"boards", "create", "PUBLIC"}, "already exists"},
		{[]string{"boards", "create", strings.Repeat("x", 129)}, "name"},
		{[]string{"boards", "create", "x", "--info", strings.Repeat("x", 513)}, "information"},
	} {
		before, _ := app.CountRecords("boards")
		if _, err := testapp.RunCLI(t, app, c.args...); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.msg)
		}
		if after, _ := app.CountRecords("boards"); after != before {
			t.Errorf("%v: boards %d -> %d", c.args, before, after)
		}
	}
	out, err = testapp.RunCLI(t, app, "boards", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"스터디 모임", "secret", "hidden", "granted"} {
		if !strings.Contains(out, want) {
			t.Errorf("boards list lacks %q:\n%s", want, out)
		}
	}
	// the READ column starts under its header in every row, Korean names
	// (two columns a letter) too; until 2026-12-04 they were padded by rune count
	lines := strings.Split(strings.TrimSpace(out), "\n")
	readAt := strings.Index(lines[0], "READ") // the header is ASCII
	for _, line := range lines[1:] {
		rest, ok := fromColumn(line, readAt)
		if read, _, _ := strings.Cut(rest, " "); !ok || !slices.Contains([]string{"public", "members", "granted", "admins"}, read) {
			t.Errorf("no READ value at column %d, under its header: %q", readAt, line)
		}
	}
}

// TestBoardsCreateTrimsTheName: boards create looks the name up in the
// form it is stored in (trimmed, NFKC), so a name typed with spaces, in
// another case or full-width is refused as taken, in the same words as the
// name as stored; until 2026-12-07 "  News " got the unique index's "name:
// Value must be unique.".
func TestBoardsCreateTrimsTheName(t *testing.T) {
	app := testapp.New(t)
	out, err := testapp.RunCLI(t, app, "boards", "create", "  news\u3000")
	if err != nil || !strings.HasPrefix(out, `Created board "news" (id `) {
		t.Errorf("create: %v %q", err, out)
	}
	news, err := app.FindFirstRecordByData("boards", "name", "news")
	if err != nil {
		t.Fatal(err)
	}
	want := `a board named "news" already exists (id ` + news.Id + `)`
	for _, name := range []string{"news", "  News ", "NEWS\t", "\u3000ｎｅｗｓ", news.Id} {
		before, _ := app.CountRecords("boards")
		if out, err := testapp.RunCLI(t, app, "boards", "create", name); err == nil || err.Error() != want || out != "" {
			t.Errorf("create %q: error %v, output %q, want %s", name, err, out, want)
		}
		if after, _ := app.CountRecords("boards"); after != before {
			t.Errorf("create %q: boards %d -> %d", name, before, after)
		}
	}
}

// fromColumn is line from terminal column col on (Hangul taking two), and
// whether a character starts there after a space.
func fromColumn(line string, col int) (string, bool) {
	n := 0
	for i, r := range line {
		if n == col {
			return line[i:], i > 0 && line[i-1] == ' ' && r != ' '
		}
		n++
		if unicode.Is(unicode.Hangul, r) {
			n++
		}
	}
	return "", false
}

func TestDemo(t *testing.T) {
	app := testapp.New(t)
	// The fixtures make the data dir non-empty: the demo must refuse and write nothing.
	before, _ := app.CountRecords("boards")
	if _, err := testapp.RunCLI(t, app, "demo"); err == nil || !strings.Contains(err.Error(), "only fills an empty one") {
		t.Fatalf("demo on a non-empty dir: %v", err)
	}
	if after, _ := app.CountRecords("boards"); after != before {
		t.Fatal("a refused demo wrote boards")
	}

	empty := testapp.NewEmpty(t)
	out, err := testapp.RunCLI(t, empty, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "admin@madang.example") {
		t.Fatalf("demo output %q", out)
	}
	admin := user(t, empty, "admin@madang.example")
	if admin.GetString("role") != "admin" || !admin.ValidatePassword("madang-admin-2026") {
		t.Fatal("demo admin cannot sign in with the printed password")
	}
	if n, _ := empty.CountRecords("boards"); n != 6 { // four, and the question and anonymous boards of the community demo
		t.Fatalf("demo boards: %d", n)
	}
}

// TestQuickStartOrder runs the README's quick start on a fresh data dir:
// the operator's own admin first, then the demo, whose admin they become.
// The other order refuses the second admin clearly (the demo's has the name).
func TestQuickStartOrder(t *testing.T) {
	app := testapp.NewEmpty(t)
	if _, err := testapp.RunCLI(t, app, "admin", "create", "you@example.com", "a-long-password", "--name", "운영자"); err != nil {
		t.Fatal(err)
	}
	out, err := testapp.RunCLI(t, app, "demo")
	if err != nil {
		t.Fatalf("demo after admin create: %v", err)
	}
	if !strings.Contains(out, "you@example.com") || strings.Contains(out, "admin@madang.example") {
		t.Fatalf("demo output should name the operator's admin and not the demo's:\n%s", out)
	}
	if _, err := app.FindAuthRecordByEmail("users", "admin@madang.example"); err == nil {
		t.Fatal("the demo made a second admin")
	}
	you := user(t, app, "you@example.com")
	if you.GetString("role") != "admin" || !you.ValidatePassword("a-long-password") {
		t.Fatal("the operator's admin changed")
	}
	pinned, err := app.FindFirstRecordByFilter("posts", "is_pinned = true")
	if err != nil || pinned.GetString("author") != you.Id {
		t.Fatalf("the demo's notice should be the operator admin's: %v", err)
	}
	if n, _ := app.CountRecords("boards"); n != 6 {
		t.Fatalf("demo boards: %d", n)
	}
	// a second demo now refuses: there are members and boards
	if _, err := testapp.RunCLI(t, app, "demo"); err == nil || !strings.Contains(err.Error(), "only fills an empty one") {
		t.Fatalf("second demo: %v", err)
	}

	other := testapp.NewEmpty(t)
	if _, err := testapp.RunCLI(t, other, "demo"); err != nil {
		t.Fatal(err)
	}
	users, _ := other.CountRecords("users")
	_, err = testapp.RunCLI(t, other, "admin", "create", "you@example.com", "a-long-password", "--name", "운영자")
	if err == nil || !strings.Contains(err.Error(), `"운영자" is already taken by admin@madang.example`) {
		t.Fatalf("admin create with the demo admin's name: %v", err)
	}
	if after, _ := other.CountRecords("users"); after != users {
		t.Fatal("a refused admin create wrote a user")
	}
	if _, err := testapp.RunCLI(t, other, "admin", "create", "you@example.com", "a-long-password", "--name", "관리인"); err != nil {
		t.Fatalf("admin create with a free name after the demo: %v", err)
	}
}

// TestUnknownCommands: a group called without one of its commands, or
// with one it does not have, fails with one line and changes nothing
// (cobra alone printed the help and succeeded).
func TestUnknownCommands(t *testing.T) {
	app := testapp.New(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"users", "unbna", "ben"}, `unknown command "unbna" for "madang users"; see madang users --help`},
		{[]string{"users"}, `"madang users" needs a command: ban, grant, list, reset-password, revoke, sign-out, unban (see madang users --help)`},
		{[]string{"admin", "frobnicate"}, `unknown command "frobnicate" for "madang admin"; see madang admin --help`},
		{[]string{"boards", "frobnicate"}, `unknown command "frobnicate" for "madang boards"; see madang boards --help`},
		{[]string{"ai", "frobnicate"}, `unknown command "frobnicate" for "madang ai"; see madang ai --help`},
		{[]string{"ai"}, `"madang ai" needs a command: jobs, list, train (see madang ai --help)`},
	} {
		out, err := testapp.RunCLI(t, app, c.args...)
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: error %v, want %s", c.args, err, c.want)
		}
		if out != "" {
			t.Errorf("%v printed %q", c.args, out)
		}
	}
	if !user(t, app, "ben@example.com").GetBool("banned") {
		t.Fatal("ben was unbanned")
	}
}
