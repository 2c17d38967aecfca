package chat

import (
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"madang/internal/access"
)

const (
	// TicketTTL is how long a WebSocket ticket stays valid.
	TicketTTL = 60 * time.Second

	ticketAudience = "madang-chat-ws"

	// maxUsedTickets bounds the memory of redeemed ticket ids. A ticket id is
	// forgotten once the ticket has expired; a server that has redeemed this
	// many live tickets within a minute refuses the next ones until some expire.
	maxUsedTickets = 100_000
)

var (
	errTicketInvalid = errors.New("The chat ticket is not valid; ask for a new one with POST /api/chat/ticket.")
	errTicketExpired = errors.New("The chat ticket has expired (tickets last 60 seconds); ask for a new one with POST /api/chat/ticket.")
	errTicketUsed    = errors.New("The chat ticket was already used; every connection needs a new one from POST /api/chat/ticket.")
	errTicketsBusy   = errors.New("The chat server is accepting too many connections right now; try again in a minute.")
)

// tickets issues and redeems the single-use JWTs that open a WebSocket
// (browsers cannot send an Authorization header with a WebSocket).
//
// A ticket is signed (HS256) with a random secret drawn when the process
// starts, joined with the user's token key: a ban or a password change, which
// rotate that key, kills the user's outstanding tickets, as it kills their
// auth tokens. Tickets therefore do not survive a restart, and work only on
// the process that issued them; both are fine for a minute-long credential.
type tickets struct {
	secret []byte

	mu      sync.Mutex
	used    map[string]time.Time // redeemed ticket id → its expiry
	pruneAt int
}

func newTickets() *tickets {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return &tickets{secret: secret, used: map[string]time.Time{}, pruneAt: 1024}
}

func (t *tickets) key(user *core.Record) []byte {
	return append(append([]byte(nil), t.secret...), user.TokenKey()...)
}

// issue signs a ticket for user, valid for ttl from now.
func (t *tickets) issue(user *core.Record, ttl time.Duration) (string, time.Time, error) {
	now := time.Now()
	expires := now.Add(ttl)
	claims := jwt.RegisteredClaims{
		ID:        security.RandomString(24),
		Subject:   user.Id,
		Audience:  jwt.ClaimStrings{ticketAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(expires),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.key(user))
	return signed, expires, err
}

// redeem checks a ticket, marks it used and returns its user, freshly read.
func (t *tickets) redeem(app core.App, raw string) (*core.Record, error) {
	var user *core.Record
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(token *jwt.Token) (any, error) {
		sub, err := token.Claims.GetSubject()
		if err != nil {
			return nil, err
		}
		user, err = app.FindRecordById(access.CollectionNameUsers, sub)
		if err != nil {
			return nil, err
		}
		return t.key(user), nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(ticketAudience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errTicketExpired
	case err != nil || claims.ID == "" || user == nil:
		return nil, errTicketInvalid
	}
	if err := t.markUsed(claims.ID, claims.ExpiresAt.Time); err != nil {
		return nil, err
	}
	return user, nil
}

func (t *tickets) markUsed(id string, expires time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.used[id]; seen {
		return errTicketUsed
	}
	if len(t.used) >= t.pruneAt {
		now := time.Now()
		for k, exp := range t.used {
			if now.After(exp) {
				delete(t.used, k)
			}
		}
		t.pruneAt = min(maxUsedTickets, max(1024, 2*len(t.used)))
		if len(t.used) >= maxUsedTickets {
			return errTicketsBusy
		}
	}
	t.used[id] = expires
	return nil
}
