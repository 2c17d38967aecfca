package access_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/testapp"
)

// TestVerdictsAgreeWithTheRule: for every record of every collection, and
// every requester — a guest, the seeded members, admins, a banned user,
// granted and blocking members, four members alike in everything the rules
// read, and the superuser; a comment by another than its post's writer — Verdicts answers each rule exactly as
// PocketBase's CanAccessRecord answers it for that requester alone, while
// asking PocketBase once per class: the alike members share their answers.
func TestVerdictsAgreeWithTheRule(t *testing.T) {
	app := community(t)
	testapp.SaveRecord(t, app, "blocks", map[string]any{"user": bob, "blocked": alice})
	alike, _ := testapp.CreateMembers(t, app, "alike", 4)
	// a comment whose post's writer (one of the alike) is not its own
	// (alice): the comments rule names the post's writer through the post
	hidden := testapp.SaveRecord(t, app, "posts", map[string]any{"board": testapp.ID(testapp.BoardPublic), "author": alike[0].Id,
		"title": "hidden", "content": "by one of the alike", "is_visible": false})
	testapp.SaveRecord(t, app, "comments", map[string]any{"post": hidden.Id, "author": alice,
		"content": "on a hidden post", "is_visible": true})
	requesters := seededRequesters(t, app)
	for i, u := range alike {
		requesters["alike"+string(rune('0'+i))] = u
	}
	names := slices.Sorted(maps.Keys(requesters))
	checked, asked, shared := 0, 0, map[string]int{}
	eachRecord(t, app, func(c *core.Collection, record *core.Record) {
		v := access.NewVerdicts(app, record)
		var auths []*core.Record
		for _, who := range names {
			auths = append(auths, requesters[who])
		}
		v.Load(auths, c.ViewRule, c.ListRule)
		for kind, rule := range map[string]*string{"list": c.ListRule, "view": c.ViewRule} {
			for _, who := range names {
				info := &core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: "GET", Auth: requesters[who]}
				want, err := app.CanAccessRecord(record, info, rule)
				if err != nil {
					t.Fatalf("%s %s as %s: %v", c.Name, record.Id, who, err)
				}
				if got := v.CanAccess(info, rule); got != want {
					t.Errorf("%s %s, %s rule, as %s: Verdicts says %v, the rule %v", c.Name, record.Id, kind, who, got, want)
				}
				checked++
			}
		}
		asked += access.VerdictsAsked(v)
		if c.Name == "posts" || c.Name == "comments" || c.Name == "boards" {
			shared[c.Name] += 2*len(names) - access.VerdictsAsked(v)
		}
	})
	for _, name := range []string{"posts", "comments", "boards"} {
		if shared[name] == 0 {
			t.Errorf("%s: no answer was shared", name)
		}
	}
	t.Logf("%d checks, %d asked of PocketBase; shared: %v", checked, asked, shared)
}

// TestVerdictsOfAChangedRequesterStayTheirs: when what a class was formed
// from changes before its first reader's answer is in — that reader was
// made an admin, or the record was given to them — the answer is theirs
// alone, and the others of the class are asked alone: a member alike to
// them until then does not see the hidden post they now may.
func TestVerdictsOfAChangedRequesterStayTheirs(t *testing.T) {
	for _, change := range []string{"made an admin", "made the writer"} {
		t.Run(change, func(t *testing.T) {
			app := community(t)
			alike, _ := testapp.CreateMembers(t, app, "alike", 2)
			post, err := app.FindRecordById("posts", testapp.HiddenPost(testapp.BoardPublic))
			if err != nil {
				t.Fatal(err)
			}
			rule := post.Collection().ListRule
			v := access.NewVerdicts(app, post)
			v.Load(alike, rule)
			infoOf := func(u *core.Record) *core.RequestInfo {
				return &core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: "GET", Auth: u}
			}
			for _, u := range alike {
				if ok, _ := app.CanAccessRecord(post, infoOf(u), rule); ok {
					t.Fatalf("a member sees the hidden post before the change")
				}
			}
			// another class's answer: the record's writer is read for the
			// classes now, before the change
			admin, err := app.FindRecordById("users", adam)
			if err != nil {
				t.Fatal(err)
			}
			if !v.CanAccess(infoOf(admin), rule) {
				t.Fatalf("an admin is refused the hidden post")
			}
			switch change {
			case "made an admin":
				_, err = app.DB().NewQuery("UPDATE users SET role = 'admin' WHERE id = {:id}").Bind(map[string]any{"id": alike[0].Id}).Execute()
			case "made the writer":
				_, err = app.DB().NewQuery("UPDATE posts SET author = {:id} WHERE id = {:post}").Bind(map[string]any{"id": alike[0].Id, "post": post.Id}).Execute()
			}
			if err != nil {
				t.Fatal(err)
			}
			if !v.CanAccess(infoOf(alike[0]), rule) {
				t.Errorf("the changed member is refused the post they may now see")
			}
			if v.CanAccess(infoOf(alike[1]), rule) {
				t.Errorf("the other member got the changed member's answer: the hidden post")
			}
			if ok, _ := app.CanAccessRecord(post, infoOf(alike[1]), rule); ok {
				t.Errorf("the rule itself lets the other member see the hidden post")
			}
		})
	}
}

// TestVerdictsOfWhatTheRequesterWrote: a rule that reads the requester's
// own records through a back-relation (`@request.auth.posts_via_author`)
// tells every requester apart, even those alike in their own fields.
func TestVerdictsOfWhatTheRequesterWrote(t *testing.T) {
	app := community(t)
	alike, _ := testapp.CreateMembers(t, app, "alike", 2)
	testapp.SaveRecord(t, app, "posts", map[string]any{"board": testapp.ID(testapp.BoardPublic), "author": alike[0].Id,
		"title": "mine", "content": "by the first", "is_visible": true})
	board, err := app.FindRecordById("boards", testapp.ID(testapp.BoardPublic))
	if err != nil {
		t.Fatal(err)
	}
	rule := `@request.auth.posts_via_author.id != ""`
	v := access.NewVerdicts(app, board)
	v.Load(alike, &rule)
	for i, u := range alike {
		info := &core.RequestInfo{Context: core.RequestInfoContextRealtime, Method: "GET", Auth: u}
		want, err := app.CanAccessRecord(board, info, &rule)
		if err != nil {
			t.Fatal(err)
		}
		if want != (i == 0) {
			t.Fatalf("the rule says %v for member %d", want, i)
		}
		if got := v.CanAccess(info, &rule); got != want {
			t.Errorf("member %d: Verdicts says %v, the rule %v", i, got, want)
		}
	}
}
