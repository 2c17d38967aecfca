package access_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"madang/internal/access"
	"madang/internal/testapp"
)

// TestABlockMadeDuringTheReadOfItsListCounts: a block committed while the
// list it belongs to is being read (the read began before it, so it sees
// the blocks as they were) is not lost: the list read is not kept, and the
// next message asks again. Both lists are tried, who blocked an author
// (access.AuthorHider) and whom a user blocked (access.HidesAuthor).
func TestABlockMadeDuringTheReadOfItsListCounts(t *testing.T) {
	for _, list := range []struct{ name, column string }{{"who blocked the author", "blocked"}, {"whom the reader blocked", "user"}} {
		t.Run(list.name, func(t *testing.T) {
			app := testapp.New(t)
			alice, err := app.FindRecordById("users", testapp.ID(testapp.Alice))
			if err != nil {
				t.Fatal(err)
			}
			bob := testapp.ID(testapp.Bob)
			hides := func() bool {
				if list.column == "blocked" {
					return access.AuthorHider(app, bob)(alice)
				}
				return access.HidesAuthor(app, alice, bob)
			}
			var once sync.Once
			blockedMidRead := false
			stop := testapp.OnQuery(app.ConcurrentDB(), func(_ context.Context, _ time.Duration, text string, _ *sql.Rows, err error) {
				if err != nil || !strings.Contains(text, "`blocks`") || !strings.Contains(text, "WHERE `"+list.column+"`") {
					return
				}
				// the read's statement has taken its snapshot: block now
				once.Do(func() {
					testapp.SaveRecord(t, app, "blocks", map[string]any{"user": alice.Id, "blocked": bob})
					blockedMidRead = true
				})
			})
			hides() // decided on the blocks as they were; not kept
			stop()
			if !blockedMidRead {
				t.Fatal("the list was not read from the read pool: the test saw no read to block during")
			}
			if !hides() {
				t.Fatal("alice blocked bob during the read of the list, and the next message still reaches her")
			}
		})
	}
}
