package cli_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"madang/internal/centrifugo"
	"madang/internal/testapp"
)

// A sign-out or ban whose Centrifugo disconnect fails says so and fails
// (exit 1), and keeps the rotated token key; until 2026-12-03 it printed
// success while the user's tier connections stayed open.
func TestTierDisconnectFailureIsReported(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"users", "sign-out", "alice@example.com"}, "signed alice@example.com out: their tokens were rotated, but the user's live connections on the realtime tier could not be closed (Centrifugo's disconnect of user "},
		{[]string{"users", "ban", "alice@example.com"}, "banned alice@example.com (permanent): their tokens were rotated, but the user's live connections on the realtime tier could not be closed (Centrifugo's disconnect of user "},
	} {
		app := testapp.New(t)
		var disconnects atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/disconnect" {
				disconnects.Add(1)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{"result":{}}`))
		}))
		centrifugo.BindConfig(app, centrifugo.Config{APIURL: srv.URL + "/api", APIKey: "WRONG", TokenSecret: "s",
			WSURL: "ws://127.0.0.1:1/connection/websocket"})
		before := user(t, app, "alice@example.com").TokenKey()

		out, err := testapp.RunCLI(t, app, c.args...)
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "HTTP 401") {
			t.Errorf("%v: error %v, want %q… HTTP 401", c.args, err, c.want)
		}
		if out != "" {
			t.Errorf("%v printed %q", c.args, out)
		}
		if disconnects.Load() != 1 {
			t.Errorf("%v: %d disconnect calls, want 1", c.args, disconnects.Load())
		}
		if user(t, app, "alice@example.com").TokenKey() == before {
			t.Errorf("%v: the token key was not rotated", c.args)
		}
	}
}

// With a refused MADANG_CENTRIFUGO_* configuration (half-set: the API
// URL's name misspelt) the CLI runs without the tier, and says so.
func TestHalfSetTierIsReported(t *testing.T) {
	t.Setenv("MADANG_CENTRIFUGO_API_URL", "")
	t.Setenv("MADANG_CENTRIFUGO_API_KEY", "k")
	t.Setenv("MADANG_CENTRIFUGO_TOKEN_SECRET", "s")
	t.Setenv("MADANG_CENTRIFUGO_WS_URL", "ws://127.0.0.1:1/connection/websocket")
	app := testapp.New(t)
	before := user(t, app, "alice@example.com").TokenKey()
	_, err := testapp.RunCLI(t, app, "users", "sign-out", "alice@example.com")
	if want := "signed alice@example.com out: their tokens were rotated, but the user's live connections on the realtime tier could not be closed (" +
		"MADANG_CENTRIFUGO_API_KEY, MADANG_CENTRIFUGO_TOKEN_SECRET, MADANG_CENTRIFUGO_WS_URL set, so the Centrifugo tier also needs MADANG_CENTRIFUGO_API_URL"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %v, want %q…", err, want)
	}
	if user(t, app, "alice@example.com").TokenKey() == before {
		t.Fatal("the token key was not rotated")
	}
}
