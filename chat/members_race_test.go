package chat_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/chat"
	"madang/internal/testapp"
)

// together runs the calls at once (released together) and returns their
// statuses, in order.
func together(t *testing.T, calls ...func() (int, error)) []int {
	t.Helper()
	statuses := make([]int, len(calls))
	errs := make([]error, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Go(func() {
			<-start
			statuses[i], errs[i] = call()
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return statuses
}

// request sends a JSON request from a goroutine of together.
func request(method, url, token string, body any) func() (int, error) {
	return func() (int, error) {
		var b []byte
		if body != nil {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return 0, err
			}
		}
		req, err := http.NewRequest(method, url, bytes.NewReader(b))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		return res.StatusCode, res.Body.Close()
	}
}

func storedMembers(t *testing.T, app core.App, session string) []string {
	t.Helper()
	r, err := app.FindRecordById(chat.Sessions, session)
	if err != nil {
		t.Fatal(err)
	}
	members := r.GetStringSlice("members")
	slices.Sort(members)
	return members
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// TestConcurrentMemberChangesAllHold: every change of a group's members
// that was answered with success holds, however many run at once — twelve
// members leaving together, an owner's removal or addition racing a leave.
// Each change used to save the whole list as its request had loaded it,
// undoing the changes committed meanwhile.
func TestConcurrentMemberChangesAllHold(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	users, tokens := testapp.CreateMembers(t, app, "racer", 14)
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.Id
	}
	leave := func(session string, i int) func() (int, error) {
		return request(http.MethodPost, base+"/api/chat/sessions/"+session+"/leave", tokens[i], nil)
	}
	patch := func(session string, body any) func() (int, error) {
		return request(http.MethodPatch, base+"/api/collections/chat_sessions/records/"+session, testapp.Token(testapp.Alice), body)
	}
	want := func(statuses []int, codes ...int) {
		t.Helper()
		if !slices.Equal(statuses, codes) {
			t.Fatalf("statuses %v, want %v", statuses, codes)
		}
	}

	for round := range 4 {
		// twelve members leave at once
		s := saveSession(t, app, "", fmt.Sprint("everyone leaves ", round), "group", alice, false, ids[:12]...)
		calls := make([]func() (int, error), 12)
		for i := range calls {
			calls[i] = leave(s.Id, i)
		}
		want(together(t, calls...), slices.Repeat([]int{http.StatusNoContent}, 12)...)
		if got := storedMembers(t, app, s.Id); !slices.Equal(got, []string{alice}) {
			t.Fatalf("round %d: members after twelve leaves: %v, want alice alone", round, got)
		}

		// the owner removes one member while two others leave
		s = saveSession(t, app, "", fmt.Sprint("removed and left ", round), "group", alice, false, ids[:4]...)
		want(together(t, patch(s.Id, map[string]any{"members-": ids[0]}), leave(s.Id, 1), leave(s.Id, 2)),
			http.StatusOK, http.StatusNoContent, http.StatusNoContent)
		if got := storedMembers(t, app, s.Id); !slices.Equal(got, sorted(alice, ids[3])) {
			t.Fatalf("round %d: members after a removal and two leaves: %v, want alice and %s", round, got, ids[3])
		}

		// the owner adds two members while one leaves
		s = saveSession(t, app, "", fmt.Sprint("added and left ", round), "group", alice, false, ids[:2]...)
		want(together(t, patch(s.Id, map[string]any{"members+": []string{ids[12], ids[13]}}), leave(s.Id, 0)),
			http.StatusOK, http.StatusNoContent)
		if got := storedMembers(t, app, s.Id); !slices.Equal(got, sorted(alice, ids[1], ids[12], ids[13])) {
			t.Fatalf("round %d: members after an addition and a leave: %v", round, got)
		}

		// a rename carries no members and changes none
		s = saveSession(t, app, "", fmt.Sprint("renamed and left ", round), "group", alice, false, ids[:3]...)
		want(together(t, patch(s.Id, map[string]any{"name": "new name"}), leave(s.Id, 0), leave(s.Id, 1)),
			http.StatusOK, http.StatusNoContent, http.StatusNoContent)
		if got := storedMembers(t, app, s.Id); !slices.Equal(got, sorted(alice, ids[2])) {
			t.Fatalf("round %d: members after a rename and two leaves: %v", round, got)
		}
	}
}

// TestMembersChangeKeepsItsLimit: a change re-based on the stored list is
// still held to the 1,000 members, counted on the list it makes.
func TestMembersChangeKeepsItsLimit(t *testing.T) {
	app := testapp.New(t)
	users, _ := testapp.CreateMembers(t, app, "many", 999)
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.Id
	}
	s := saveSession(t, app, "", "full", "group", alice, false, ids[:998]...) // 999 with alice
	loaded, err := app.FindRecordById(chat.Sessions, s.Id)
	if err != nil {
		t.Fatal(err)
	}
	// another writer fills the last place after this one loaded the list
	other, err := app.FindRecordById(chat.Sessions, s.Id)
	if err != nil {
		t.Fatal(err)
	}
	other.Set("members+", ids[998])
	if err := app.Save(other); err != nil {
		t.Fatal(err)
	}
	loaded.Set("members+", bob)
	if err := app.Save(loaded); err == nil || !bytes.Contains([]byte(err.Error()), []byte("at most 1000 members")) {
		t.Fatalf("saving a 1,001st member: %v, want the limit named", err)
	}
	if got := storedMembers(t, app, s.Id); len(got) != 1000 || slices.Contains(got, bob) {
		t.Fatalf("members after the refused change: %d, bob among them: %v", len(got), slices.Contains(got, bob))
	}
}
