package centrifugo

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
	"madang/internal/keyrate"
	"madang/internal/realtime"
)

// bindRoutes adds the tier's routes; they read the configuration at each
// request (BindConfig may come after Bind):
//
//	GET      /api/realtime/config     public: {enabled, url, personal, shared, topics} (realtime.TierTopics)
//	GET/POST /api/realtime/token      signed-in, not banned user: {url, token}
//	POST     /api/realtime/subscribe  Centrifugo's subscribe proxy
func bindRoutes(e *core.ServeEvent) {
	e.Router.GET("/api/realtime/config", func(re *core.RequestEvent) error {
		c := ConfigOf(re.App)
		out := map[string]any{"enabled": c.Enabled(), "url": "", "personal": []string{}, "shared": []string{}, "topics": []string{}}
		if c.Enabled() {
			personal, shared, topics := realtime.TierTopics(re.App)
			out["url"], out["personal"], out["shared"], out["topics"] = c.WSURL, personal, shared, topics
		}
		return re.JSON(http.StatusOK, out)
	})
	token := func(re *core.RequestEvent) error {
		c := ConfigOf(re.App)
		if !c.Enabled() {
			return re.NotFoundError("The Centrifugo realtime tier is off.", nil)
		}
		return connectionToken(re, c)
	}
	e.Router.GET("/api/realtime/token", token).Bind(apis.RequireAuth(access.CollectionNameUsers))
	e.Router.POST("/api/realtime/token", token).Bind(apis.RequireAuth(access.CollectionNameUsers))
	e.Router.POST("/api/realtime/subscribe", func(re *core.RequestEvent) error {
		c := ConfigOf(re.App)
		if !c.Enabled() {
			return re.NotFoundError("The Centrifugo realtime tier is off.", nil)
		}
		return subscribeProxy(re, c)
	})
}

// connectionToken mints a connection JWT for the requester.
func connectionToken(e *core.RequestEvent, c Config) error {
	user := access.UserOf(e.Auth)
	if user == nil {
		return e.UnauthorizedError("Sign in to follow live updates.", nil)
	}
	if user.GetBool("banned") {
		return apis.NewForbiddenError(access.BanMessage(user), access.BanData(user))
	}
	token, err := Token(c, user, time.Now())
	if err != nil {
		return e.InternalServerError("", err)
	}
	mintedOf(e.App).remember(user.Id, SessionTag(c, user.TokenKey()))
	realtime.TierConnecting(e.App, user)
	return e.JSON(http.StatusOK, map[string]string{"url": c.WSURL, "token": token})
}

// Token is a Centrifugo connection token for user, valid from now for
// c.TokenTTL. Its meta (which Centrifugo hands to the subscribe proxy,
// never to clients' peers) holds the session tag of user's token key:
// every subscription of the connection, the personal channel's too, is
// refused once the key has changed (a password change, sign-out
// everywhere), so a token minted before that connects to nothing.
func Token(c Config, user *core.Record, now time.Time) (string, error) {
	claims := jwt.MapClaims{"sub": user.Id, "iat": now.Unix(), "exp": now.Add(c.TokenTTL).Unix(),
		"meta": map[string]string{"session": SessionTag(c, user.TokenKey())}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(c.TokenSecret))
}

// SessionTag names a token key without telling it (the key signs the
// user's PocketBase tokens; a connection token's claims are readable by
// whoever holds it): an HMAC of it under the token secret.
func SessionTag(c Config, tokenKey string) string {
	mac := hmac.New(sha256.New, []byte(c.TokenSecret))
	mac.Write([]byte("madang session\x00" + tokenKey))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// subscribeRequest is the part of Centrifugo's subscribe proxy request
// Madang reads. Meta is the connection token's meta
// (channel.proxy.subscribe.include_connection_meta).
type subscribeRequest struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
	Meta    *struct {
		Session string `json:"session"`
	} `json:"meta"`
}

// Errors answered to the subscribe proxy (Centrifugo passes them to the
// client; codes 400–1999 are the application's).
var (
	errProxyAuth = map[string]any{"error": map[string]any{"code": 401, "message": "unauthorized"}}
	errForbidden = map[string]any{"error": map[string]any{"code": 403, "message": "permission denied"}}
	// a connection whose session ended: closed, not to reconnect with its
	// token (the code Disconnect closes with)
	endedSession = map[string]any{"disconnect": map[string]any{"code": 4500, "reason": "signed out"}}
	// past a user's subscription allowance: centrifuge-js tries again later
	errTooMany = map[string]any{"error": map[string]any{"code": 429, "message": "too many subscriptions", "temporary": true}}
)

// A user's subscriptions through the proxy, by session: SubscribeBurst at once (a
// page that connects again subscribes to each of its channels), then
// one every SubscribeEvery. Each is a question to Madang's database: until
// 2026-12-07 one account's 16 connections subscribing in a loop made
// 1,000–1,400 a second and took a posts list from p99 9 ms to 31–216 ms.
const (
	SubscribeBurst = 60
	SubscribeEvery = 200 * time.Millisecond
	subscribesKey  = "madang.centrifugo.subscribes"
)

// now is the subscription allowance's clock (tests stop it).
var now = time.Now

func subscribesOf(app core.App) *keyrate.Limits {
	return app.Store().GetOrSet(subscribesKey, func() any {
		return keyrate.New(SubscribeEvery, SubscribeBurst, 4096)
	}).(*keyrate.Limits)
}

// subscribeProxy answers Centrifugo's question "may this user subscribe
// to this channel?" with realtime.MayFollow: the topic's rule, as SSE
// delivery applies it.
func subscribeProxy(e *core.RequestEvent, c Config) error {
	if subtle.ConstantTimeCompare([]byte(e.Request.Header.Get(ProxyKeyHeader)), []byte(c.APIKey)) != 1 {
		return e.JSON(http.StatusUnauthorized, errProxyAuth)
	}
	var req subscribeRequest
	if err := json.NewDecoder(http.MaxBytesReader(e.Response, e.Request.Body, 64<<10)).Decode(&req); err != nil {
		return e.BadRequestError("Invalid subscribe proxy request.", err)
	}
	if req.User == "" {
		return e.JSON(http.StatusOK, errForbidden)
	}
	// counted by session: a stolen token of an ended session spends its
	// own allowance, never the live session's
	allowance := req.User
	if req.Meta != nil {
		allowance += "/" + req.Meta.Session
	}
	if !subscribesOf(e.App).Allow(allowance, now()) {
		return e.JSON(http.StatusOK, errTooMany)
	}
	user, err := e.App.FindRecordById(access.CollectionNameUsers, req.User)
	if err != nil {
		return e.JSON(http.StatusOK, errForbidden)
	}
	if req.Meta == nil {
		e.App.Logger().Warn("centrifugo subscribe proxy request without the connection's meta: " +
			"set channel.proxy.subscribe.include_connection_meta (README, Scaling); every subscription is refused")
		return e.JSON(http.StatusOK, errForbidden)
	}
	if subtle.ConstantTimeCompare([]byte(req.Meta.Session), []byte(SessionTag(c, user.TokenKey()))) != 1 {
		return e.JSON(http.StatusOK, endedSession)
	}
	if req.Channel == PersonalChannel(user.Id) {
		if user.GetBool("banned") {
			return e.JSON(http.StatusOK, errForbidden)
		}
		return e.JSON(http.StatusOK, map[string]any{"result": map[string]any{}})
	}
	if !realtime.MayFollow(e.App, req.Channel, user) {
		return e.JSON(http.StatusOK, errForbidden)
	}
	return e.JSON(http.StatusOK, map[string]any{"result": map[string]any{}})
}
