package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestKillDuringLoadKeepsWhatWasAnswered holds the README's promise under
// "Crashes and full disks" against a real process: members write posts,
// edits, comments, comment deletes, likes, unlikes and chat messages at
// once, the server is killed with SIGKILL after a set number of answered
// writes (so mid-load, whatever the machine's speed), and the data dir then
// holds every write answered 2xx as it was answered, nothing half-written
// (a row without its counter step or search entry, an orphan), and of each
// request the kill cut off (one per member at most) either all or nothing.
// Twice, each time on the dir the last kill left, and then the server
// starts there once more, takes more writes and keeps every count exact.
func TestKillDuringLoadKeepsWhatWasAnswered(t *testing.T) {
	srv := newCrashServer(t)
	members := srv.seed(t, 4)

	for round, kill := range []killPoint{
		{answered: 120},
		// the moment a request has committed and is still answering,
		// which a kill right after an answer seldom hits
		{answered: 240, chatUnanswered: true},
	} {
		srv.load(t, members, round+1, &kill, 0)
		srv.checkCrashedDir(t, members, round+1)
		srv.start(t)
		srv.assertAPIMatches(t, members)
	}

	// the dir two kills left takes more writes, every one answered 2xx, and
	// both the database and the API agree with what was answered
	srv.load(t, members, 3, nil, 15)
	srv.assertAPIMatches(t, members)
	srv.stop(t)
	db := srv.openDB(t)
	assertDataDirHolds(t, db, members, "after restarting twice and writing more")
	db.Close()

	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, refused := range srv.refused {
		t.Errorf("a write the members' own records say is allowed was not answered 2xx: %s", refused)
	}
	if log := srv.log.String(); strings.Contains(log, "DATA RACE") || strings.Contains(log, "panic:") {
		t.Errorf("the server's output reports a race or a panic:\n%s", log)
	}
	// a checkpoint, a views flush or a realtime send that failed on the
	// dir a kill left is logged, not answered (what the kills left of the
	// log: PocketBase writes it in batches)
	logs, err := sql.Open("sqlite", "file:"+srv.dir+"/auxiliary.db?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	if found := queryStrings(t, logs, "SELECT level || ' ' || message || ' ' || data FROM _logs WHERE level > 0"); len(found) > 0 {
		t.Errorf("the server logged warnings or errors:\n%s", strings.Join(found, "\n"))
	}
}

// crashServer is one data dir and the madang serve process on it (a new
// one after each kill), with the board and chat the members write in.
type crashServer struct {
	dir, addr, base  string
	board, chat      string
	client           *http.Client
	cmd              *exec.Cmd
	exited           chan struct{}
	log              lockedBuffer
	killed           atomic.Bool // set before the kill, so a failed request after it is expected
	mu               sync.Mutex
	posts            []string // every post answered so far, which members comment on and like
	refused, dropped []string // non-2xx answers; requests failed while the server was alive
}

func newCrashServer(t *testing.T) *crashServer {
	addr := freePort(t)
	return &crashServer{
		dir: t.TempDir(), addr: addr, base: "http://" + addr,
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 16},
		},
	}
}

// seed makes the community with the operators' CLI (a superuser, so the
// first start opens no installer, and a board), starts the server, and
// signs up and signs in n members through the API, who open a group chat
// of them all.
func (s *crashServer) seed(t *testing.T, n int) []*crashMember {
	t.Helper()
	if out, err := madangCmd("superuser", "upsert", "root@crash.example", "crash-root-password-2026", "--dir", s.dir).CombinedOutput(); err != nil {
		t.Fatalf("superuser upsert: %v %s", err, out)
	}
	out, err := madangCmd("boards", "create", "부하시험", "--read", "members", "--write", "members", "--dir", s.dir).CombinedOutput()
	id := regexp.MustCompile(`\(id ([a-z0-9]{15}),`).FindSubmatch(out)
	if err != nil || id == nil {
		t.Fatalf("boards create: %v %s", err, out)
	}
	s.board = string(id[1])

	s.start(t)
	// at once: each sign-up and sign-in is a bcrypt hash, about a second
	// under -race
	members := make([]*crashMember, n)
	var wg sync.WaitGroup
	for i := range members {
		m := &crashMember{name: fmt.Sprintf("crash%d", i), posts: map[string]crashText{},
			comments: map[string]crashComment{}, likes: map[string]string{}, chats: map[string]string{}}
		members[i] = m
		wg.Add(1)
		go func() {
			defer wg.Done()
			email, password := m.name+"@crash.example", "crash-member-password-"+m.name
			status, body, raw, err := s.call(http.MethodPost, "/api/collections/users/records", "",
				map[string]any{"name": m.name, "email": email, "password": password, "passwordConfirm": password})
			if m.id, _ = body["id"].(string); err != nil || status != http.StatusOK || m.id == "" {
				t.Errorf("sign-up of %s: %d %v %s", m.name, status, err, raw)
				return
			}
			status, body, raw, err = s.call(http.MethodPost, "/api/collections/users/auth-with-password", "",
				map[string]any{"identity": email, "password": password})
			if m.token, _ = body["token"].(string); err != nil || status != http.StatusOK || m.token == "" {
				t.Errorf("sign-in of %s: %d %v %s", m.name, status, err, raw)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	ids := make([]string, n)
	for i, m := range members {
		ids[i] = m.id
	}
	status, body, raw, err := s.call(http.MethodPost, "/api/collections/chat_sessions/records", members[0].token,
		map[string]any{"name": "부하시험 대화", "kind": "group", "members": ids})
	if s.chat, _ = body["id"].(string); err != nil || status != http.StatusOK || s.chat == "" {
		t.Fatalf("opening the group chat: %d %v %s", status, err, raw)
	}
	return members
}

// start serves the data dir and waits for the health check; a server that
// does not come up on the dir a kill left is what this test looks for.
func (s *crashServer) start(t *testing.T) {
	t.Helper()
	began := time.Now()
	s.killed.Store(false)
	s.cmd = madangCmd("serve", "--http", s.addr, "--dir", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd, exited := s.cmd, make(chan struct{})
	s.exited = exited
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.exited:
			t.Fatalf("madang serve on %s exited with %v before answering:\n%s", s.dir, s.cmd.ProcessState, s.log.String())
		default:
		}
		if status, _, _, err := s.call(http.MethodGet, "/api/health", "", nil); err == nil && status == http.StatusOK {
			t.Logf("the server answered %.1f s after its start", time.Since(began).Seconds())
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("madang serve on %s did not answer /api/health within 30 s:\n%s", s.dir, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the server as a power cut or the OOM killer would: no hook,
// no flush of the views waiting to be counted.
func (s *crashServer) kill(t *testing.T) {
	t.Helper()
	s.killed.Store(true)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.exited
	s.client.CloseIdleConnections()
}

func (s *crashServer) stop(t *testing.T) {
	t.Helper()
	s.killed.Store(true)
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("madang serve did not stop within 30 s of an interrupt:\n%s", s.log.String())
	}
	if !s.cmd.ProcessState.Success() {
		t.Errorf("madang serve stopped with %v:\n%s", s.cmd.ProcessState, s.log.String())
	}
	s.client.CloseIdleConnections()
}

// call sends a JSON request as the SDK does; err is a request that got no
// answer at all.
func (s *crashServer) call(method, path, token string, body any) (int, map[string]any, string, error) {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, "", err
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, reader)
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, "", err
	}
	var decoded map[string]any
	_ = json.Unmarshal(raw, &decoded)
	return res.StatusCode, decoded, string(raw), nil
}

// killPoint is when load kills the server: once the round's answered
// writes reach answered, and then, with chatUnanswered, as soon as the
// database holds a chat message whose answer has not been read yet.
type killPoint struct {
	answered       int64
	chatUnanswered bool
}

// load runs every member's writes at once, until the kill point (the
// requests then in flight are cut off), or without one until each member
// has made ops writes.
func (s *crashServer) load(t *testing.T, members []*crashMember, round int, kill *killPoint, ops int) {
	t.Helper()
	var answered, chatsAnswered atomic.Int64
	reached := make(chan struct{})
	var kindsMu sync.Mutex
	kinds := map[string]int{}
	chatsBefore := 0
	for _, m := range members {
		chatsBefore += len(m.chats)
	}
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(round), uint64(i)))
			for n := 0; ops == 0 || n < ops; n++ {
				op := m.nextOp(rng, s)
				stored, err := s.send(m, op)
				if err != nil && s.killed.Load() && errors.Is(err, syscall.ECONNREFUSED) {
					return // sent after the kill: it reached no server
				}
				if err != nil {
					// the kill cut this one off: stored or not, checkCrashedDir finds out
					m.pending = &op
					if !s.killed.Load() {
						s.note(&s.dropped, "round %d, %s, %s: %v", round, m.name, op, err)
					}
					return
				}
				if !stored {
					continue
				}
				kindsMu.Lock()
				kinds[op.kind]++
				kindsMu.Unlock()
				if op.kind == "chat" {
					chatsAnswered.Add(1)
				}
				if n := answered.Add(1); kill != nil && n == kill.answered {
					close(reached)
				}
			}
		}()
	}
	began := time.Now()
	if kill != nil {
		select {
		case <-reached:
		case <-time.After(40 * time.Second):
			s.kill(t)
			wg.Wait()
			t.Fatalf("round %d: %d writes answered 2xx in 40 s, short of the %d to kill after", round, answered.Load(), kill.answered)
		}
		if kill.chatUnanswered {
			// a window this test tries to catch, not a promise of the
			// server's: missing it kills at an ordinary moment
			if err := s.awaitChatUnanswered(chatsBefore, &chatsAnswered); err != nil {
				t.Logf("round %d: %v; killing now", round, err)
			}
		}
		s.kill(t)
	}
	wg.Wait()
	t.Logf("round %d: %d writes answered 2xx in %.1f s%s: %v", round, answered.Load(), time.Since(began).Seconds(),
		map[bool]string{true: ", then the kill", false: ""}[kill != nil], kinds)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.dropped) > 0 {
		t.Fatalf("requests failed with no answer while the server was up:\n%s\n%s", strings.Join(s.dropped, "\n"), s.log.String())
	}
}

// awaitChatUnanswered polls the database until it holds more chat messages
// than were there before the round and answered since: one is committed
// and its request still running (counted first, so a message answered
// meanwhile cannot look unanswered).
func (s *crashServer) awaitChatUnanswered(before int, answered *atomic.Int64) error {
	db, err := sql.Open("sqlite", "file:"+s.dir+"/data.db?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var stored int
		if err := db.QueryRow("SELECT COUNT(*) FROM chats WHERE session = ?", s.chat).Scan(&stored); err != nil {
			return err
		}
		if stored > before+int(answered.Load()) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no chat message was stored before its answer in 20 s (%d stored, %d before the round and %d answered)",
				stored, before, answered.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *crashServer) note(list *[]string, format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*list = append(*list, fmt.Sprintf(format, args...))
}

// checkCrashedDir reads the data dir as the kill left it (before any
// restart could repair it), then settles each member's cut-off request by
// what it finds, so the members go on from what is stored.
func (s *crashServer) checkCrashedDir(t *testing.T, members []*crashMember, round int) {
	t.Helper()
	db := s.openDB(t)
	defer db.Close()
	assertDataDirHolds(t, db, members, fmt.Sprintf("after kill %d", round))
	outcomes := map[bool][]string{}
	for _, m := range members {
		if m.pending != nil {
			kind := m.pending.kind
			stored := m.settle(t, db)
			outcomes[stored] = append(outcomes[stored], kind)
		}
	}
	t.Logf("kill %d cut requests off in flight: stored whole %v, not at all %v", round, outcomes[true], outcomes[false])
}

// openDB opens data.db read-only, waiting for a running server's writes.
func (s *crashServer) openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+s.dir+"/data.db?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// crashMember is one member's writes as the server answered them: the
// expected state of everything they own. Only its own goroutine touches it
// during a round.
type crashMember struct {
	id, name, token string
	seq             int
	posts           map[string]crashText    // id → title and content as last answered
	comments        map[string]crashComment // id → the comment, while its delete is unanswered
	likes           map[string]string       // post → the member's like of it
	chats           map[string]string       // id → content
	pending         *crashOp                // the request the kill cut off
}

type crashText struct{ title, content string }

type crashComment struct{ post, content string }

// crashOp is one write a member sends. Its texts are unique, so a record
// the kill cut off can be told apart from the others.
type crashOp struct {
	kind           string // post, edit, comment, uncomment, like, unlike, chat
	id             string // the record an edit, uncomment or unlike changes
	post           string // the post a comment or like is on
	title, content string
}

func (op crashOp) String() string {
	return fmt.Sprintf("%s %s%s %q", op.kind, op.id, op.post, op.title+op.content)
}

// nextOp picks a write as a busy member makes them: mostly comments, likes
// and chat, some posts and edits, now and then a comment deleted or a like
// taken back.
func (m *crashMember) nextOp(rng *rand.Rand, s *crashServer) crashOp {
	m.seq++
	text := fmt.Sprintf("%s 글 %d", m.name, m.seq)
	s.mu.Lock()
	posts := slices.Clone(s.posts)
	s.mu.Unlock()
	pick := rng.IntN(100)
	switch {
	case pick < 10 || len(posts) == 0:
		return crashOp{kind: "post", title: text, content: text + " 본문"}
	case pick < 25 && len(m.posts) > 0:
		id := anyKey(rng, m.posts)
		return crashOp{kind: "edit", id: id, title: text + " 고침", content: text + " 고친 본문"}
	case pick < 30 && len(m.comments) > 0:
		return crashOp{kind: "uncomment", id: anyKey(rng, m.comments)}
	case pick < 55:
		return crashOp{kind: "comment", post: posts[rng.IntN(len(posts))], content: text + " 댓글"}
	case pick < 80:
		post := posts[rng.IntN(len(posts))]
		if like, ok := m.likes[post]; ok {
			return crashOp{kind: "unlike", id: like, post: post}
		}
		return crashOp{kind: "like", post: post}
	default:
		return crashOp{kind: "chat", content: text + " 채팅"}
	}
}

func anyKey[V any](rng *rand.Rand, m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys[rng.IntN(len(keys))]
}

// send makes the request of op as the JS SDK would and, on a 2xx answer,
// records what it stored. err is no answer; a non-2xx answer is noted.
func (s *crashServer) send(m *crashMember, op crashOp) (bool, error) {
	const records = "/api/collections/%s/records"
	var method, path string
	var body any // nil for a delete: no body at all, not "null"
	switch op.kind {
	case "post":
		method, path, body = http.MethodPost, fmt.Sprintf(records, "posts"), map[string]any{"board": s.board, "title": op.title, "content": op.content}
	case "edit":
		method, path, body = http.MethodPatch, fmt.Sprintf(records, "posts")+"/"+op.id, map[string]any{"title": op.title, "content": op.content}
	case "comment":
		method, path, body = http.MethodPost, fmt.Sprintf(records, "comments"), map[string]any{"post": op.post, "content": op.content}
	case "uncomment":
		method, path = http.MethodDelete, fmt.Sprintf(records, "comments")+"/"+op.id
	case "like":
		method, path, body = http.MethodPost, fmt.Sprintf(records, "post_likes"), map[string]any{"post": op.post, "user": m.id}
	case "unlike":
		method, path = http.MethodDelete, fmt.Sprintf(records, "post_likes")+"/"+op.id
	case "chat":
		method, path, body = http.MethodPost, fmt.Sprintf(records, "chats"), map[string]any{"session": s.chat, "content": op.content}
	}
	status, answer, raw, err := s.call(method, path, m.token, body)
	if err != nil {
		return false, err
	}
	if status/100 != 2 {
		s.note(&s.refused, "%s, %s: %d %s", m.name, op, status, raw)
		return false, nil
	}
	id, _ := answer["id"].(string)
	switch op.kind {
	case "post":
		m.posts[id] = crashText{op.title, op.content}
		s.mu.Lock()
		s.posts = append(s.posts, id)
		s.mu.Unlock()
	case "edit":
		m.posts[op.id] = crashText{op.title, op.content}
	case "comment":
		m.comments[id] = crashComment{op.post, op.content}
	case "uncomment":
		delete(m.comments, op.id)
	case "like":
		m.likes[op.post] = id
	case "unlike":
		delete(m.likes, op.post)
	case "chat":
		m.chats[id] = op.content
	}
	return true, nil
}

// assertDataDirHolds checks the database against the members' answered
// writes (each cut-off request may be stored whole or not at all) and
// against itself: integrity, every counter equal to the rows it counts,
// every search entry beside its row, no row whose parent is gone.
func assertDataDirHolds(t *testing.T, db *sql.DB, members []*crashMember, when string) {
	t.Helper()
	var integrity string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("%s: integrity_check says %q (%v)", when, integrity, err)
	}
	for _, m := range members {
		assertMemberStored(t, db, m, when)
	}
	// each query lists what breaks an invariant: it must list nothing
	for name, query := range map[string]string{
		"posts whose comments_count is not their visible comments": `SELECT p.id || ' counts ' || p.comments_count || ', has ' ||
			(SELECT COUNT(*) FROM comments c WHERE c.post = p.id AND c.is_visible) FROM posts p
			WHERE p.comments_count != (SELECT COUNT(*) FROM comments c WHERE c.post = p.id AND c.is_visible)`,
		"posts whose likes_count is not their likes": `SELECT p.id || ' counts ' || p.likes_count || ', has ' ||
			(SELECT COUNT(*) FROM post_likes l WHERE l.post = p.id) FROM posts p
			WHERE p.likes_count != (SELECT COUNT(*) FROM post_likes l WHERE l.post = p.id)`,
		"boards whose posts_count is not their visible posts": `SELECT b.id || ' counts ' || b.posts_count || ', has ' ||
			(SELECT COUNT(*) FROM posts p WHERE p.board = b.id AND p.is_visible) FROM boards b
			WHERE b.posts_count != (SELECT COUNT(*) FROM posts p WHERE p.board = b.id AND p.is_visible)`,
		"chats whose last_message_at is not their newest message": `SELECT s.id || ' says ' || quote(s.last_message_at) || ', newest ' ||
			quote((SELECT MAX(created) FROM chats c WHERE c.session = s.id)) FROM chat_sessions s
			WHERE s.last_message_at IS NOT COALESCE((SELECT MAX(created) FROM chats c WHERE c.session = s.id), '')`,
		"comments whose post is gone":      `SELECT id FROM comments WHERE post NOT IN (SELECT id FROM posts)`,
		"replies whose comment is gone":    `SELECT id FROM comments WHERE parent != '' AND parent NOT IN (SELECT id FROM comments)`,
		"likes whose post or user is gone": `SELECT id FROM post_likes WHERE post NOT IN (SELECT id FROM posts) OR user NOT IN (SELECT id FROM users)`,
		"posts whose board is gone":        `SELECT id FROM posts WHERE board NOT IN (SELECT id FROM boards)`,
		"chat messages whose chat is gone": `SELECT id FROM chats WHERE session NOT IN (SELECT id FROM chat_sessions)`,
		"notifications of a post, comment or chat that is gone": `SELECT id FROM notifications WHERE
			(post != '' AND post NOT IN (SELECT id FROM posts)) OR (comment != '' AND comment NOT IN (SELECT id FROM comments))
			OR (session != '' AND session NOT IN (SELECT id FROM chat_sessions))`,
		"posts without their search entry, or entries without their post": `SELECT id FROM posts WHERE id NOT IN (SELECT post FROM posts_search_rowid)
			UNION ALL SELECT post FROM posts_search_rowid WHERE post NOT IN (SELECT id FROM posts)`,
		"comments without their search entry, or entries without their comment": `SELECT id FROM comments WHERE id NOT IN (SELECT comment FROM comments_search_rowid)
			UNION ALL SELECT comment FROM comments_search_rowid WHERE comment NOT IN (SELECT id FROM comments)`,
	} {
		if found := queryStrings(t, db, query); len(found) > 0 {
			t.Errorf("%s: %s: %v", when, name, found)
		}
	}
}

// assertMemberStored compares what the member owns in the database with
// what was answered: every answered create there with its text, every
// answered delete gone, every answered edit the last one; and of the cut-off
// request, either outcome.
func assertMemberStored(t *testing.T, db *sql.DB, m *crashMember, when string) {
	t.Helper()
	var cut crashOp
	if m.pending != nil {
		cut = *m.pending
	}
	rows := queryRows(t, db, "SELECT id, title, content FROM posts WHERE author = ?", m.id)
	for id, want := range m.posts {
		got, ok := rows[id]
		switch {
		case !ok:
			t.Errorf("%s: %s's post %s, answered 2xx, is missing", when, m.name, id)
		case got != [2]string{want.title, want.content} && !(cut.kind == "edit" && cut.id == id && got == [2]string{cut.title, cut.content}):
			t.Errorf("%s: %s's post %s holds %q, answered %q", when, m.name, id, got, want)
		}
	}
	for id, got := range rows {
		if _, ok := m.posts[id]; !ok && !(cut.kind == "post" && got == [2]string{cut.title, cut.content}) {
			t.Errorf("%s: %s has a post %s %q that no answer or cut-off request made", when, m.name, id, got)
		}
	}

	rows = queryRows(t, db, "SELECT id, post, content FROM comments WHERE author = ?", m.id)
	for id, want := range m.comments {
		got, ok := rows[id]
		switch {
		case !ok && !(cut.kind == "uncomment" && cut.id == id):
			t.Errorf("%s: %s's comment %s, answered 2xx, is missing", when, m.name, id)
		case ok && got != [2]string{want.post, want.content}:
			t.Errorf("%s: %s's comment %s holds %q, answered %q", when, m.name, id, got, want)
		}
	}
	for id, got := range rows {
		if _, ok := m.comments[id]; !ok && !(cut.kind == "comment" && got == [2]string{cut.post, cut.content}) {
			t.Errorf("%s: %s has a comment %s %q that no answer or cut-off request made (a delete answered 2xx undone?)", when, m.name, id, got)
		}
	}

	rows = queryRows(t, db, "SELECT post, id, '' FROM post_likes WHERE user = ?", m.id)
	for post, like := range m.likes {
		got, ok := rows[post]
		switch {
		case !ok && !(cut.kind == "unlike" && cut.id == like):
			t.Errorf("%s: %s's like %s of post %s, answered 2xx, is missing", when, m.name, like, post)
		case ok && got[0] != like:
			t.Errorf("%s: %s's like of post %s is %s, answered %s", when, m.name, post, got[0], like)
		}
	}
	for post, got := range rows {
		if _, ok := m.likes[post]; !ok && !(cut.kind == "like" && cut.post == post) {
			t.Errorf("%s: %s has a like %s of post %s that no answer or cut-off request made (an unlike answered 2xx undone?)", when, m.name, got[0], post)
		}
	}

	rows = queryRows(t, db, "SELECT id, content, '' FROM chats WHERE author = ?", m.id)
	for id, want := range m.chats {
		got, ok := rows[id]
		switch {
		case !ok:
			t.Errorf("%s: %s's chat message %s, answered 2xx, is missing", when, m.name, id)
		case got[0] != want:
			t.Errorf("%s: %s's chat message %s holds %q, answered %q", when, m.name, id, got[0], want)
		}
	}
	for id, got := range rows {
		if _, ok := m.chats[id]; !ok && !(cut.kind == "chat" && got[0] == cut.content) {
			t.Errorf("%s: %s has a chat message %s %q that no answer or cut-off request made", when, m.name, id, got[0])
		}
	}
}

// settle adopts the stored outcome of the member's cut-off request, which
// assertMemberStored found to be either all of it or none, and says which.
func (m *crashMember) settle(t *testing.T, db *sql.DB) bool {
	t.Helper()
	op := *m.pending
	m.pending = nil
	one := func(query string, args ...any) (string, bool) {
		var id string
		err := db.QueryRow(query, args...).Scan(&id)
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		return id, err == nil
	}
	switch op.kind {
	case "post":
		id, ok := one("SELECT id FROM posts WHERE author = ? AND title = ?", m.id, op.title)
		if ok {
			m.posts[id] = crashText{op.title, op.content}
		}
		return ok
	case "edit":
		_, ok := one("SELECT id FROM posts WHERE id = ? AND title = ?", op.id, op.title)
		if ok {
			m.posts[op.id] = crashText{op.title, op.content}
		}
		return ok
	case "comment":
		id, ok := one("SELECT id FROM comments WHERE author = ? AND content = ?", m.id, op.content)
		if ok {
			m.comments[id] = crashComment{op.post, op.content}
		}
		return ok
	case "uncomment":
		_, ok := one("SELECT id FROM comments WHERE id = ?", op.id)
		if !ok {
			delete(m.comments, op.id)
		}
		return !ok
	case "like":
		id, ok := one("SELECT id FROM post_likes WHERE user = ? AND post = ?", m.id, op.post)
		if ok {
			m.likes[op.post] = id
		}
		return ok
	case "unlike":
		_, ok := one("SELECT id FROM post_likes WHERE id = ?", op.id)
		if !ok {
			delete(m.likes, op.post)
		}
		return !ok
	case "chat":
		id, ok := one("SELECT id FROM chats WHERE author = ? AND content = ?", m.id, op.content)
		if ok {
			m.chats[id] = op.content
		}
		return ok
	}
	t.Fatalf("no such write as %q", op.kind)
	return false
}

// assertAPIMatches reads back through the API, as a member, everything the
// members wrote, with counts worked out from their answered writes alone:
// an oracle independent of the triggers that keep them.
func (s *crashServer) assertAPIMatches(t *testing.T, members []*crashMember) {
	t.Helper()
	var posts []string
	comments, likes := map[string]int{}, map[string]int{}
	wantPosts, wantComments, wantLikes, wantChats := map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	for _, m := range members {
		for id, p := range m.posts {
			wantPosts[id] = p.title + "|" + p.content
			posts = append(posts, id)
		}
		for id, c := range m.comments {
			wantComments[id] = c.post + "|" + c.content
			comments[c.post]++
		}
		for post, id := range m.likes {
			wantLikes[id] = post + "|" + m.id
			likes[post]++
		}
		for id, c := range m.chats {
			wantChats[id] = c
		}
	}
	// what the members comment on and like next, cut-off posts that were
	// stored included
	slices.Sort(posts)
	s.mu.Lock()
	s.posts = posts
	s.mu.Unlock()
	for id, p := range wantPosts {
		wantPosts[id] = fmt.Sprintf("%s|%d comments|%d likes", p, comments[id], likes[id])
	}
	token := members[0].token
	s.assertList(t, token, "posts", "filter="+url.QueryEscape("board='"+s.board+"'"), wantPosts, func(r map[string]any) string {
		return fmt.Sprintf("%s|%s|%v comments|%v likes", r["title"], r["content"], r["comments_count"], r["likes_count"])
	})
	s.assertList(t, token, "comments", "", wantComments, func(r map[string]any) string { return fmt.Sprintf("%s|%s", r["post"], r["content"]) })
	s.assertList(t, token, "post_likes", "", wantLikes, func(r map[string]any) string { return fmt.Sprintf("%s|%s", r["post"], r["user"]) })
	s.assertList(t, token, "chats", "filter="+url.QueryEscape("session='"+s.chat+"'"), wantChats, func(r map[string]any) string { return fmt.Sprint(r["content"]) })
}

// assertList pages through a collection's list and compares it, record by
// record, with want (id → what show makes of the record).
func (s *crashServer) assertList(t *testing.T, token, collection, query string, want map[string]string, show func(map[string]any) string) {
	t.Helper()
	got := map[string]string{}
	for page := 1; ; page++ {
		path := fmt.Sprintf("/api/collections/%s/records?page=%d&perPage=200&skipTotal=1&%s", collection, page, query)
		status, body, raw, err := s.call(http.MethodGet, path, token, nil)
		items, _ := body["items"].([]any)
		if err != nil || status != http.StatusOK {
			t.Fatalf("GET %s: %d %v %.300s", path, status, err, raw)
		}
		for _, item := range items {
			r, _ := item.(map[string]any)
			got[fmt.Sprint(r["id"])] = show(r)
		}
		if len(items) < 200 {
			break
		}
	}
	for id, w := range want {
		switch g, ok := got[id]; {
		case !ok:
			t.Errorf("the API does not list %s %s, answered 2xx as %q", collection, id, w)
		case g != w:
			t.Errorf("the API's %s %s: %q, want %q", collection, id, g, w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("the API lists %s %s %q that no answered write made", collection, id, g)
		}
	}
}

// queryRows maps the first column of query's rows to the next two.
func queryRows(t *testing.T, db *sql.DB, query string, args ...any) map[string][2]string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := map[string][2]string{}
	for rows.Next() {
		var key string
		var values [2]string
		if err := rows.Scan(&key, &values[0], &values[1]); err != nil {
			t.Fatal(err)
		}
		found[key] = values
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return found
}

func queryStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%v: %s", err, query)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		found = append(found, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return found
}

// lockedBuffer collects the server's output, written by exec's copying
// goroutines while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
