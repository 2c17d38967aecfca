package chat

import (
	"crypto/rand"
	"errors"
	"maps"
	"slices"
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

	// TicketsPerUser bounds the live tickets (issued within the last
	// TicketTTL) of one user: a connection needs one, and a user holds at
	// most maxConnsPerUser connections. The bound is per user, so one
	// account's flood of tickets costs only that account; it also bounds the
	// memory of redeemed ticket ids, which is kept per user.
	TicketsPerUser = 30

	ticketAudience = "madang-chat-ws"
)

var (
	errTicketInvalid  = errors.New("The chat ticket is not valid; ask for a new one with POST /api/chat/ticket.")
	errTicketExpired  = errors.New("The chat ticket has expired (tickets last 60 seconds); ask for a new one with POST /api/chat/ticket.")
	errTicketUsed     = errors.New("The chat ticket was already used; every connection needs a new one from POST /api/chat/ticket.")
	errTooManyTickets = errors.New("You asked for too many chat tickets in the last minute; wait a minute and try again.")
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
	users   map[string]*userTickets // user id → their tickets of the last minute
	sweepAt int
}

// userTickets are one user's live tickets: when each issued one expires, and
// which were redeemed.
type userTickets struct {
	issued []time.Time
	used   map[string]time.Time // ticket id → expiry
}

// prune forgets what expired by now, and tells whether anything is left.
func (u *userTickets) prune(now time.Time) bool {
	u.issued = slices.DeleteFunc(u.issued, func(exp time.Time) bool { return now.After(exp) })
	maps.DeleteFunc(u.used, func(_ string, exp time.Time) bool { return now.After(exp) })
	return len(u.issued) > 0 || len(u.used) > 0
}

func newTickets() *tickets {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return &tickets{secret: secret, users: map[string]*userTickets{}, sweepAt: 1024}
}

func (t *tickets) key(user *core.Record) []byte {
	return append(append([]byte(nil), t.secret...), user.TokenKey()...)
}

// of returns userID's tickets, now pruned (t.mu held).
func (t *tickets) of(userID string, now time.Time) *userTickets {
	if len(t.users) >= t.sweepAt {
		maps.DeleteFunc(t.users, func(_ string, u *userTickets) bool { return !u.prune(now) })
		t.sweepAt = max(1024, 2*len(t.users))
	}
	u := t.users[userID]
	if u == nil {
		u = &userTickets{used: map[string]time.Time{}}
		t.users[userID] = u
	}
	u.prune(now)
	return u
}

// issue signs a ticket for user, valid for ttl from now, unless the user
// holds TicketsPerUser live ones already.
func (t *tickets) issue(user *core.Record, ttl time.Duration) (string, time.Time, error) {
	now := time.Now()
	expires := now.Add(ttl)
	t.mu.Lock()
	u := t.of(user.Id, now)
	if len(u.issued) >= TicketsPerUser {
		t.mu.Unlock()
		return "", time.Time{}, errTooManyTickets
	}
	u.issued = append(u.issued, expires)
	t.mu.Unlock()
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
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.of(user.Id, time.Now())
	if _, seen := u.used[claims.ID]; seen {
		return nil, errTicketUsed
	}
	u.used[claims.ID] = claims.ExpiresAt.Time
	return user, nil
}
