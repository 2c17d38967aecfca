package sqlite_test

import (
	"context"
	"testing"

	"madang/internal/testapp"
)

// PocketBase's backups (dashboard → Settings → Backups) work on these
// connections: a backup of a live app with kept statements is written
// and listed.
func TestBackupOfALiveApp(t *testing.T) {
	app := testapp.NewWithContent(t)
	defer app.Cleanup()
	for range 3 { // run a read often enough that connections keep it
		if _, err := app.FindAllRecords("posts"); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.CreateBackup(context.Background(), "live.zip"); err != nil {
		t.Fatalf("creating a backup: %v", err)
	}
	fs, err := app.NewBackupsFilesystem()
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if ok, err := fs.Exists("live.zip"); err != nil || !ok {
		t.Errorf("the backup is not in the backups store: %v %v", ok, err)
	}
	if _, err := app.FindAllRecords("posts"); err != nil {
		t.Errorf("reading after the backup: %v", err)
	}
}
