package saldo

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"strings"
	"sync"
	"time"
)

// Operators are the people who run saldo (a partner's operations and support staff, the
// operator's compliance team), who use the web console. The CLI creates them; the console
// logs them in. Decisions in docs/decisions.md, "Operator console".

// Operator roles: an admin may act, a viewer only looks, and sees personal data masked.
const (
	OperatorAdmin  = "admin"
	OperatorViewer = "viewer"
)

// The console's security rules, as the contract fixes them.
const (
	OperatorMaxFailedLogins = 5                // failed logins in a row that lock an operator out
	OperatorLockout         = 15 * time.Minute // how long the lock lasts
	OperatorSessionIdle     = 30 * time.Minute // a session unused this long is over
	// operatorSessionTouch is how stale a session's last use may be recorded before a request
	// writes it again: a page load need not cost a write.
	operatorSessionTouch = time.Minute
	// OperatorSessionPrefix starts the secret in an operator's session cookie.
	OperatorSessionPrefix = "os_"
)

// Operator is a person who runs saldo. LockedUntil and DisabledAt are zero when not set.
type Operator struct {
	ID           int64
	Email        string
	Role         string // OperatorAdmin or OperatorViewer
	PasswordHash string // argon2id, PHC string format
	FailedLogins int    // failed logins since the last success or lock
	LockedUntil  time.Time
	DisabledAt   time.Time
	CreatedAt    time.Time
}

// IsAdmin reports whether the operator may act, not only look.
func (o *Operator) IsAdmin() bool { return o.Role == OperatorAdmin }

// Disabled reports whether the operator may no longer log in.
func (o *Operator) Disabled() bool { return !o.DisabledAt.IsZero() }

// OperatorSession is a logged-in operator's session: its cookie holds a secret whose hash is
// Hash, and every form it posts carries CSRFToken.
type OperatorSession struct {
	ID         int64
	OperatorID int64
	Hash       []byte
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// AuditEntry is one operator action: who, what, on what, when.
type AuditEntry struct {
	ID            int64
	OperatorID    int64
	OperatorEmail string
	Action        string // e.g. "customer.block", "login.failed"
	Target        string // what it acted on: "customer 12", "partner 3"
	Detail        string // the outcome: "ok" or the refusal's code
	CreatedAt     time.Time
}

// OperatorTx is what a transaction can do with operators, their sessions and the audit log,
// and the reads across partners that only the console makes.
type OperatorTx interface {
	// InsertOperator stores o and sets its ID; an email taken already is an error for which
	// errors.Is(err, ErrDuplicate) holds.
	InsertOperator(ctx context.Context, o *Operator) error
	// OperatorByEmail returns the operator whose email has key emailKey, or ENOTFOUND.
	OperatorByEmail(ctx context.Context, emailKey string) (*Operator, error)
	// Operator returns operator id, or ENOTFOUND.
	Operator(ctx context.Context, id int64) (*Operator, error)
	// Operators returns every operator in id order.
	Operators(ctx context.Context) ([]Operator, error)
	// ActiveOperatorExists reports whether some operator is not disabled.
	ActiveOperatorExists(ctx context.Context) (bool, error)
	// UpdateOperator stores o's role, password hash, failed logins, lock and disabling.
	UpdateOperator(ctx context.Context, o *Operator) error
	// OperatorLoginFailed counts a failed login of operator id in one statement, so that
	// concurrent failures all count: at the max-th in a row the count starts again and the
	// operator is locked until lockUntil. It returns the operator as updated.
	OperatorLoginFailed(ctx context.Context, id int64, max int, lockUntil time.Time) (*Operator, error)

	InsertOperatorSession(ctx context.Context, s *OperatorSession) error
	// OperatorSessionByHash returns the session whose secret hashes to hash, or ENOTFOUND.
	OperatorSessionByHash(ctx context.Context, hash []byte) (*OperatorSession, error)
	TouchOperatorSession(ctx context.Context, id int64, at time.Time) error
	DeleteOperatorSession(ctx context.Context, id int64) error
	// DeleteOperatorSessions ends every session of operator operatorID.
	DeleteOperatorSessions(ctx context.Context, operatorID int64) error

	InsertAuditEntry(ctx context.Context, a *AuditEntry) error
	// AuditEntries returns up to limit entries with ids below beforeID (0: from the newest),
	// newest first.
	AuditEntries(ctx context.Context, beforeID int64, limit int) ([]AuditEntry, error)

	// CustomerPartnerID returns the partner of customer id, or ENOTFOUND.
	CustomerPartnerID(ctx context.Context, id int64) (int64, error)
	// LiveCustomerTokens returns the oauth and refresh tokens of partner partnerID's customer
	// that are neither revoked nor expired at now, newest first.
	LiveCustomerTokens(ctx context.Context, partnerID, customerID int64, now time.Time) ([]Token, error)
	// SubjectEvents returns up to limit of partner partnerID's events about subject, newest
	// first.
	SubjectEvents(ctx context.Context, partnerID int64, subject string, limit int) ([]Event, error)
	// CountByDay counts series' rows in each day [bounds[i], bounds[i+1]).
	CountByDay(ctx context.Context, series DaySeries, bounds []time.Time) ([]int64, error)
	// PartnerTotals returns, for each of the partners, in their order, the money in its
	// customers' wallets and its composite balances' credit.
	PartnerTotals(ctx context.Context, partnerIDs []int64) ([]PartnerTotals, error)
}

// DaySeries names what CountByDay counts.
type DaySeries int

const (
	SeriesCustomersCreated   DaySeries = iota + 1 // customers by created_at
	SeriesDeliveriesSucceded                      // webhook attempts answered 2xx, by attempted_at
	SeriesDeliveriesFailed                        // webhook attempts with any other outcome
)

// PartnerTotals are a partner's sums the console's overview draws.
type PartnerTotals struct {
	PartnerID   int64
	WalletMoney int64 // cents in its customers' wallets
	CreditLines int64 // cents granted as composite parents' credit lines
	Allocated   int64 // cents of those lines carved into children
	Used        int64 // cents of children's debt and holds
}

// NewOperator creates an operator and returns it with a password made for it, shown this once.
func (s *Service) NewOperator(ctx context.Context, email, role string) (*Operator, string, error) {
	var h Hints
	email = strings.TrimSpace(email)
	checkEmail(&h, email)
	if role != OperatorAdmin && role != OperatorViewer {
		h.Add("role", "invalid")
	}
	if err := h.Err(EINVALID); err != nil {
		return nil, "", err
	}
	password := newOperatorPassword()
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, "", err
	}
	o := &Operator{Email: email, Role: role, PasswordHash: hash}
	err = s.store.Update(ctx, func(tx Tx) error {
		o.CreatedAt = s.clock.Now()
		return tx.InsertOperator(ctx, o)
	})
	if errors.Is(err, ErrDuplicate) {
		return nil, "", Errorf(ECONFLICT, "email:duplicate")
	}
	if err != nil {
		return nil, "", err
	}
	return o, password, nil
}

// newOperatorPassword is 26 characters of base32 (130 random bits): nothing to guess, and
// nothing a person misreads in a terminal.
func newOperatorPassword() string { return rand.Text() }

// hashPassword hashes a password with argon2id, bounding how many hashes run at once.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	select {
	case s.passwordHashes <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.passwordHashes }()
	return hashPassword(password), nil
}

// checkPassword is verifyPassword under the same bound as hashPassword.
func (s *Service) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	select {
	case s.passwordHashes <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.passwordHashes }()
	return verifyPassword(hash, password), nil
}

// Operators lists every operator.
func (s *Service) Operators(ctx context.Context) ([]Operator, error) {
	var list []Operator
	err := s.store.View(ctx, func(tx Tx) (err error) {
		list, err = tx.Operators(ctx)
		return err
	})
	return list, err
}

// ConsoleEnabled reports whether an operator who can log in exists: the console is off until
// one does.
func (s *Service) ConsoleEnabled(ctx context.Context) (bool, error) {
	var ok bool
	err := s.store.Autocommit(ctx, func(tx Tx) (err error) {
		ok, err = tx.ActiveOperatorExists(ctx)
		return err
	})
	return ok, err
}

// DisableOperator stops operator email from logging in and ends its sessions.
func (s *Service) DisableOperator(ctx context.Context, email string) (*Operator, error) {
	return s.changeOperator(ctx, email, func(o *Operator, now time.Time) {
		if !o.Disabled() {
			o.DisabledAt = now
		}
	})
}

// ResetOperatorPassword gives operator email a new password, shown this once, lifts a lock
// and ends its sessions. A disabled operator stays disabled.
func (s *Service) ResetOperatorPassword(ctx context.Context, email string) (*Operator, string, error) {
	password := newOperatorPassword()
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, "", err
	}
	o, err := s.changeOperator(ctx, email, func(o *Operator, _ time.Time) {
		o.PasswordHash, o.FailedLogins, o.LockedUntil = hash, 0, time.Time{}
	})
	if err != nil {
		return nil, "", err
	}
	return o, password, nil
}

// changeOperator applies change to operator email and ends its sessions, in one transaction.
func (s *Service) changeOperator(ctx context.Context, email string, change func(*Operator, time.Time)) (*Operator, error) {
	var o *Operator
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		o, err = tx.OperatorByEmail(ctx, EmailKeyOf(strings.TrimSpace(email)))
		if err != nil {
			return err
		}
		change(o, s.clock.Now())
		if err := tx.UpdateOperator(ctx, o); err != nil {
			return err
		}
		return tx.DeleteOperatorSessions(ctx, o.ID)
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "operator:not_found")
	}
	return o, err
}

// ErrOperatorLocked marks the refusal of a login to an operator locked out by failed logins.
var ErrOperatorLocked = errors.New("operator locked out")

// dummyOperatorHash is checked against when no operator has the email given, so that a login
// takes as long whether or not the email is an operator's. It is made on first use: a hash
// costs 19 MiB and tens of milliseconds, which no other command should pay at start.
var dummyOperatorHash = sync.OnceValue(func() string { return hashPassword("no operator has this password") })

// OperatorLogin checks an operator's email and password and opens a session, whose secret (for
// the cookie) it returns. Every refusal is EUNAUTHORIZED, the same for an unknown email, a
// wrong password and a disabled operator; a locked operator's also wraps ErrOperatorLocked,
// whatever the password. Each attempt is written to the audit log.
func (s *Service) OperatorLogin(ctx context.Context, email, password string) (*Operator, *OperatorSession, string, error) {
	email = strings.TrimSpace(email)
	var o *Operator
	err := s.store.Autocommit(ctx, func(tx Tx) (err error) {
		o, err = tx.OperatorByEmail(ctx, EmailKeyOf(email))
		return err
	})
	if ErrorCode(err) == ENOTFOUND {
		_, _ = s.checkPassword(ctx, dummyOperatorHash(), password)
		return nil, nil, "", Errorf(EUNAUTHORIZED)
	}
	if err != nil {
		return nil, nil, "", err
	}
	now := s.clock.Now()
	if now.Before(o.LockedUntil) {
		s.audit(ctx, o, "login.refused_locked", "operator "+formatID(o.ID), "locked")
		return nil, nil, "", &Error{Code: EUNAUTHORIZED, Hints: []string{"operator:locked"}, Err: ErrOperatorLocked}
	}
	ok, err := s.checkPassword(ctx, o.PasswordHash, password)
	if err != nil {
		return nil, nil, "", err
	}
	switch {
	case o.Disabled():
		s.audit(ctx, o, "login.refused_disabled", "operator "+formatID(o.ID), "disabled")
		return nil, nil, "", Errorf(EUNAUTHORIZED)
	case !ok:
		return nil, nil, "", s.loginFailed(ctx, o)
	}
	secret := NewSecret(OperatorSessionPrefix)
	sess := &OperatorSession{OperatorID: o.ID, Hash: HashSecret(secret), CSRFToken: NewSecret("")}
	err = s.store.Update(ctx, func(tx Tx) error {
		now := s.clock.Now()
		sess.CreatedAt, sess.LastSeenAt = now, now
		o.FailedLogins = 0
		if err := tx.UpdateOperator(ctx, o); err != nil {
			return err
		}
		if err := tx.InsertOperatorSession(ctx, sess); err != nil {
			return err
		}
		return tx.InsertAuditEntry(ctx, &AuditEntry{OperatorID: o.ID, OperatorEmail: o.Email, Action: "login",
			Target: "operator " + formatID(o.ID), Detail: "ok", CreatedAt: now})
	})
	if err != nil {
		return nil, nil, "", err
	}
	return o, sess, secret, nil
}

// loginFailed counts a wrong password and returns the refusal, locked when it was the last one
// allowed.
func (s *Service) loginFailed(ctx context.Context, o *Operator) error {
	var after *Operator
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		now := s.clock.Now()
		after, err = tx.OperatorLoginFailed(ctx, o.ID, OperatorMaxFailedLogins, now.Add(OperatorLockout))
		if err != nil {
			return err
		}
		detail := "wrong password"
		if now.Before(after.LockedUntil) {
			detail = "wrong password; locked"
		}
		return tx.InsertAuditEntry(ctx, &AuditEntry{OperatorID: o.ID, OperatorEmail: o.Email, Action: "login.failed",
			Target: "operator " + formatID(o.ID), Detail: detail, CreatedAt: now})
	})
	if err != nil {
		return err
	}
	if s.clock.Now().Before(after.LockedUntil) {
		return &Error{Code: EUNAUTHORIZED, Hints: []string{"operator:locked"}, Err: ErrOperatorLocked}
	}
	return Errorf(EUNAUTHORIZED)
}

// OperatorSession returns the operator and session a session cookie's secret names, and
// records the session's use. A session unused for OperatorSessionIdle is over (and deleted),
// as is every session of a disabled operator: EUNAUTHORIZED.
func (s *Service) OperatorSession(ctx context.Context, secret string) (*Operator, *OperatorSession, error) {
	if !IsSecretShape(secret, OperatorSessionPrefix) {
		return nil, nil, Errorf(EUNAUTHORIZED)
	}
	var (
		o    *Operator
		sess *OperatorSession
	)
	err := s.store.Autocommit(ctx, func(tx Tx) (err error) {
		sess, err = tx.OperatorSessionByHash(ctx, HashSecret(secret))
		if err != nil {
			return err
		}
		o, err = tx.Operator(ctx, sess.OperatorID)
		return err
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, Errorf(EUNAUTHORIZED)
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.clock.Now()
	switch {
	case o.Disabled() || !now.Before(sess.LastSeenAt.Add(OperatorSessionIdle)):
		err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteOperatorSession(ctx, sess.ID) })
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, Errorf(EUNAUTHORIZED)
	case now.Sub(sess.LastSeenAt) >= operatorSessionTouch:
		sess.LastSeenAt = now
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.TouchOperatorSession(ctx, sess.ID, now) }); err != nil {
			return nil, nil, err
		}
	}
	return o, sess, nil
}

// CSRFTokenMatches reports whether token is the session's CSRF token, in constant time.
func (sess *OperatorSession) CSRFTokenMatches(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRFToken)) == 1
}

// OperatorLogout ends a session.
func (s *Service) OperatorLogout(ctx context.Context, o *Operator, sess *OperatorSession) error {
	return s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteOperatorSession(ctx, sess.ID); err != nil {
			return err
		}
		return tx.InsertAuditEntry(ctx, &AuditEntry{OperatorID: o.ID, OperatorEmail: o.Email, Action: "logout",
			Target: "operator " + formatID(o.ID), Detail: "ok", CreatedAt: s.clock.Now()})
	})
}

// Audit writes an operator's action to the audit log. detail is the outcome: "ok", or the
// code of the error that refused it.
func (s *Service) Audit(ctx context.Context, o *Operator, action, target string, outcome error) error {
	detail := "ok"
	if outcome != nil {
		detail = "refused: " + string(ErrorCode(outcome))
	}
	return s.store.Update(ctx, func(tx Tx) error {
		return tx.InsertAuditEntry(ctx, &AuditEntry{OperatorID: o.ID, OperatorEmail: o.Email, Action: action,
			Target: target, Detail: detail, CreatedAt: s.clock.Now()})
	})
}

// audit is Audit for refusals on the login path, where a failure to write the entry must not
// change the answer.
func (s *Service) audit(ctx context.Context, o *Operator, action, target, detail string) {
	_ = s.store.Update(ctx, func(tx Tx) error {
		return tx.InsertAuditEntry(ctx, &AuditEntry{OperatorID: o.ID, OperatorEmail: o.Email, Action: action,
			Target: target, Detail: detail, CreatedAt: s.clock.Now()})
	})
}

// AuditLog returns up to limit audit entries with ids below beforeID (0: the newest), newest
// first.
func (s *Service) AuditLog(ctx context.Context, beforeID int64, limit int) ([]AuditEntry, error) {
	var list []AuditEntry
	err := s.store.View(ctx, func(tx Tx) (err error) {
		list, err = tx.AuditEntries(ctx, beforeID, limit)
		return err
	})
	return list, err
}

// EmailKeyOf is the key under which an email is unique: every spelling of one address has the
// same key (see emailKey). Operators' emails are unique by it, as customers' are.
func EmailKeyOf(email string) string { return emailKey(email) }
