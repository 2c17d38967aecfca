package centrifugo

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
)

func setEnv(t *testing.T, apiURL, key, secret, wsURL string) {
	t.Setenv("MADANG_CENTRIFUGO_API_URL", apiURL)
	t.Setenv("MADANG_CENTRIFUGO_API_KEY", key)
	t.Setenv("MADANG_CENTRIFUGO_TOKEN_SECRET", secret)
	t.Setenv("MADANG_CENTRIFUGO_WS_URL", wsURL)
}

// A malformed URL, or the tier's variables without the API URL (misspelt),
// stop serve with a sentence naming the variable, never a value.
func TestFromEnvRefusesMalformedAndHalfSet(t *testing.T) {
	const ws = "ws://127.0.0.1:18451/connection/websocket"
	for _, c := range []struct{ apiURL, wsURL, want string }{
		{"127.0.0.1:18451/api", ws, "MADANG_CENTRIFUGO_API_URL is not an http(s) URL"},
		{"ftp://127.0.0.1:18451/api", ws, "MADANG_CENTRIFUGO_API_URL is not an http(s) URL"},
		{"http:///api", ws, "MADANG_CENTRIFUGO_API_URL is not an http(s) URL"},
		{"http://127.0.0.1:18451/api", "127.0.0.1:18451", "MADANG_CENTRIFUGO_WS_URL is not a ws(s) URL"},
		{"http://127.0.0.1:18451/api", "https://rt.example.com/connection/websocket", "MADANG_CENTRIFUGO_WS_URL is not a ws(s) URL"},
	} {
		setEnv(t, c.apiURL, "KEYVALUE", "SECRETVALUE", c.wsURL)
		_, err := FromEnv()
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "18451") {
			t.Errorf("API URL %q, WS URL %q: %v, want %q and no value", c.apiURL, c.wsURL, err, c.want)
		}
	}

	setEnv(t, "", "KEYVALUE", "SECRETVALUE", ws)
	t.Setenv("MADANG_CENTRIFUGO_APIURL", "http://127.0.0.1:18451/api")
	_, err := FromEnv()
	if err == nil || !strings.Contains(err.Error(), "also needs MADANG_CENTRIFUGO_API_URL") ||
		!strings.Contains(err.Error(), "is MADANG_CENTRIFUGO_APIURL one of them misspelt?") ||
		strings.Contains(err.Error(), "VALUE") {
		t.Fatalf("three variables and a misspelt API URL: %v", err)
	}

	// the four set, and the TTL's name misspelt: refused as well
	setEnv(t, "http://127.0.0.1:18451/api", "KEYVALUE", "SECRETVALUE", ws)
	t.Setenv("MADANG_CENTRIFUGO_APIURL", "") // empty: sets nothing
	t.Setenv("MADANG_CENTRIFUGO_TOKENTTL", "1m")
	want := "MADANG_CENTRIFUGO_TOKENTTL: not one of the Centrifugo tier's variables " +
		"(MADANG_CENTRIFUGO_API_URL, MADANG_CENTRIFUGO_API_KEY, MADANG_CENTRIFUGO_TOKEN_SECRET, MADANG_CENTRIFUGO_WS_URL, " +
		"MADANG_CENTRIFUGO_TOKEN_TTL); rename it if it is one of them misspelt, or unset it"
	if _, err := FromEnv(); err == nil || err.Error() != want {
		t.Fatalf("the four and a misspelt TTL: %v, want %s", err, want)
	}
}

// Check names the variable at fault when the server API refuses the key,
// is not the server API, or does not answer.
func TestCheckNamesTheVariable(t *testing.T) {
	var gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("X-API-Key")
		switch r.URL.Path {
		case "/api/info":
			if gotKey != "right" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{"result":{"nodes":[]}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, c := range []struct{ apiURL, key, want string }{
		{srv.URL + "/api", "right", ""},
		{srv.URL + "/api", "WRONGKEY", "Centrifugo's server API refused MADANG_CENTRIFUGO_API_KEY (HTTP 401)"},
		{srv.URL + "/nope", "right", "MADANG_CENTRIFUGO_API_URL answered HTTP 404"},
		{closed.URL + "/api", "right", "Centrifugo's server API did not answer at MADANG_CENTRIFUGO_API_URL"},
	} {
		err := Check(Config{APIURL: c.apiURL, APIKey: c.key, TokenSecret: "s", WSURL: "ws://x/connection/websocket"})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.apiURL, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s with key %s: %v, want %q", c.apiURL, c.key, err, c.want)
		case err != nil && strings.Contains(err.Error(), c.key):
			t.Errorf("the error shows the key: %v", err)
		}
	}
	if gotKey == "" {
		t.Fatal("Check sent no X-API-Key")
	}
	// nothing answering is only a warning at serve: Centrifugo may start
	// after Madang (its subscribe proxy calls Madang); a wrong key is not
	err := Check(Config{APIURL: closed.URL + "/api", APIKey: "right", TokenSecret: "s", WSURL: "ws://x/connection/websocket"})
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("nothing answering: %v, want ErrUnreachable", err)
	}
	err = Check(Config{APIURL: srv.URL + "/api", APIKey: "WRONGKEY", TokenSecret: "s", WSURL: "ws://x/connection/websocket"})
	if errors.Is(err, ErrUnreachable) {
		t.Errorf("a refused key counts as unreachable: %v", err)
	}
}

// Failing broadcasts reach stderr once per outage (each one is in the
// app's log), and so does their recovery.
func TestBroadcastFailuresOnStderr(t *testing.T) {
	app, err := tests.NewTestApp()
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 3 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"result":{}}`))
	}))
	defer srv.Close()
	a := newAPI(app, Config{APIURL: srv.URL + "/api", APIKey: "k"})
	var stderr bytes.Buffer
	a.stderr = &stderr
	for range 5 {
		a.Send([]string{"u"}, "notifications/x", []byte(`{}`))
	}
	a.stop() // sends the queue
	want := "centrifugo: broadcasts are failing (broadcast: HTTP 401): the tier's clients miss events until it recovers\n" +
		"centrifugo: broadcasts are sent again, after 3 failed\n"
	if stderr.String() != want {
		t.Fatalf("stderr = %q, want %q", stderr.String(), want)
	}
}
