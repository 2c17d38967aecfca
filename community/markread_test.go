package community_test

import (
	"net/http"
	"slices"
	"testing"

	"madang/internal/testapp"
)

// TestMarkingReadMarksWhatTheListShows: POST /api/notifications/read marks
// (and counts) only the notices the owner's list shows: those about a
// board they no longer reach stay unread, and come back unread when they
// reach it again. Until 2026-12-04 they were marked and counted too.
func TestMarkingReadMarksWhatTheListShows(t *testing.T) {
	app, base := server(t)
	granted := testapp.ID(testapp.BoardGranted)
	post := mustCall(t, base, http.MethodPost, "/api/collections/posts/records", testapp.Gina,
		map[string]any{"board": granted, "title": "허가", "content": "본문"}, 200).Body["id"].(string)
	for range 3 {
		mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Adam,
			map[string]any{"post": post, "content": "답변"}, 200)
	}
	var hidden []any
	for _, n := range notificationsOf(t, app, gina) {
		hidden = append(hidden, n.Id)
	}
	unread := func() float64 {
		t.Helper()
		return mustCall(t, base, http.MethodGet, "/api/notifications/unread", testapp.Gina, nil, 200).Body["total"].(float64)
	}
	if len(hidden) != 3 || unread() != 3 {
		t.Fatalf("gina's notices: %d, unread %v; want 3 and 3", len(hidden), unread())
	}
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+gina, testapp.Adam, map[string]any{"boards-": granted}, 200)
	// one she still sees, beside the three she no longer does
	mustCall(t, base, http.MethodPost, "/api/collections/comments/records", testapp.Bob,
		map[string]any{"post": testapp.VisiblePost(testapp.BoardPublic), "content": "hello @gina"}, 200)
	if got := unread(); got != 1 {
		t.Fatalf("gina's unread once the board is out of reach: %v, want 1", got)
	}
	if got := mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Gina, map[string]any{"ids": hidden[:1]}, 200).Body["marked"]; got != 0.0 {
		t.Errorf("marking a notice she cannot list: marked %v, want 0", got)
	}
	if got := mustCall(t, base, http.MethodPost, "/api/notifications/read", testapp.Gina, map[string]any{"all": true}, 200).Body["marked"]; got != 1.0 {
		t.Errorf("marking all: marked %v, want 1 (what left the unread count)", got)
	}
	for _, n := range notificationsOf(t, app, gina) {
		if want := !slices.Contains(hidden, any(n.Id)); n.GetString("read_at") != "" != want {
			t.Errorf("notice %s read: %v, want %v", n.Id, !want, want)
		}
	}
	mustCall(t, base, http.MethodPatch, "/api/collections/users/records/"+gina, testapp.Adam, map[string]any{"boards+": granted}, 200)
	if got := unread(); got != 3 {
		t.Errorf("gina's unread with the board back: %v, want 3", got)
	}
}
