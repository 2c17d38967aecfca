package migrations_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"madang/internal/testapp"
)

// TestDownAndUpAgain reverts every Madang migration, checks the schema is
// PocketBase's own again, then re-applies them all.
func TestDownAndUpAgain(t *testing.T) {
	app := testapp.NewEmpty(t)
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	count := len(core.AppMigrations.Items())

	reverted, err := runner.Down(count)
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	if len(reverted) != count {
		t.Fatalf("reverted %d of %d migrations", len(reverted), count)
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

	applied, err := runner.Up()
	if err != nil {
		t.Fatalf("up again: %v", err)
	}
	if len(applied) != count {
		t.Fatalf("re-applied %d of %d migrations", len(applied), count)
	}
	if _, err := app.FindCollectionByNameOrId("boards"); err != nil {
		t.Fatal("boards missing after up")
	}
	if app.Settings().Meta.AppName != "Madang" || !app.Settings().RateLimits.Enabled {
		t.Fatal("settings not applied")
	}
}
