package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

func testOperators(t *testing.T, h Harness) {
	t.Run("CreateListAndRefuseADuplicateEmail", func(t *testing.T) { testOperatorCreate(t, h) })
	t.Run("LoginOpensASessionAndLogoutEndsIt", func(t *testing.T) { testOperatorLogin(t, h) })
	t.Run("FiveWrongPasswordsLockFor15Minutes", func(t *testing.T) { testOperatorLockout(t, h) })
	t.Run("ConcurrentWrongPasswordsAllCount", func(t *testing.T) { testOperatorConcurrentFailures(t, h) })
	t.Run("SessionsEndAfter30IdleMinutes", func(t *testing.T) { testOperatorIdleExpiry(t, h) })
	t.Run("DisableAndResetEndSessions", func(t *testing.T) { testOperatorDisableReset(t, h) })
	t.Run("AuditLogPagesNewestFirst", func(t *testing.T) { testAuditLog(t, h) })
	t.Run("CustomerSessionsListAndRevoke", func(t *testing.T) { testCustomerSessions(t, h) })
	t.Run("OverviewCountsByDayAndSumsPerPartner", func(t *testing.T) { testOverview(t, h) })
}

// operator creates an operator and returns it with its password.
func (f *Fixture) operator(tb testing.TB, email, role string) (*saldo.Operator, string) {
	tb.Helper()
	o, password, err := f.Service.NewOperator(context.Background(), email, role)
	if err != nil {
		tb.Fatalf("NewOperator(%s): %v", email, err)
	}
	return o, password
}

func testOperatorCreate(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	if on, err := f.Service.ConsoleEnabled(ctx); err != nil || on {
		t.Fatalf("console enabled without operators: %v, %v", on, err)
	}
	o, password := f.operator(t, " Ana@Example.com ", saldo.OperatorAdmin)
	if o.ID == 0 || o.Email != "Ana@Example.com" || !o.IsAdmin() || len(password) < 20 {
		t.Errorf("created %+v with password of %d characters", o, len(password))
	}
	if on, err := f.Service.ConsoleEnabled(ctx); err != nil || !on {
		t.Errorf("console enabled with an operator: %v, %v", on, err)
	}
	if _, _, err := f.Service.NewOperator(ctx, "ana@EXAMPLE.com", saldo.OperatorViewer); saldo.ErrorCode(err) != saldo.ECONFLICT {
		t.Errorf("the same email again: err = %v, want conflict", err)
	}
	for _, tt := range []struct{ email, role, hint string }{
		{"no-at-sign", saldo.OperatorViewer, "email:invalid"},
		{"b@example.com", "root", "role:invalid"},
	} {
		_, _, err := f.Service.NewOperator(ctx, tt.email, tt.role)
		if saldo.ErrorCode(err) != saldo.EINVALID || !strings.Contains(err.Error(), tt.hint) {
			t.Errorf("NewOperator(%q, %q): err = %v, want invalid %s", tt.email, tt.role, err, tt.hint)
		}
	}
	f.operator(t, "vera@example.com", saldo.OperatorViewer)
	list, err := f.Service.Operators(ctx)
	if err != nil || len(list) != 2 || list[0].Email != "Ana@Example.com" || list[1].Role != saldo.OperatorViewer {
		t.Fatalf("Operators = %+v, %v", list, err)
	}
	for _, row := range h.Query(t, f.Store, "SELECT password_hash FROM operators") {
		if hash := string(rawBytes(row[0])); !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, password) {
			t.Errorf("password stored as %q, want an argon2id hash", hash)
		}
	}
}

// rawBytes is a text column as either engine's driver returns it.
func rawBytes(v any) []byte {
	switch v := v.(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	}
	return nil
}

func testOperatorLogin(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	o, password := f.operator(t, "ana@example.com", saldo.OperatorAdmin)
	got, sess, secret, err := f.Service.OperatorLogin(ctx, "ANA@example.com", password)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if got.ID != o.ID || !saldo.IsSecretShape(secret, saldo.OperatorSessionPrefix) || sess.CSRFToken == "" {
		t.Errorf("login gave %+v, session %+v, secret %q", got, sess, secret)
	}
	if rows := h.Query(t, f.Store, "SELECT count(*) FROM operator_sessions WHERE hash = $1", saldo.HashSecret(secret)); len(rows) != 1 {
		t.Errorf("session rows = %v", rows)
	}
	back, backSess, err := f.Service.OperatorSession(ctx, secret)
	if err != nil || back.ID != o.ID || !backSess.CSRFTokenMatches(sess.CSRFToken) || backSess.CSRFTokenMatches("x") {
		t.Fatalf("OperatorSession = %+v, %+v, %v", back, backSess, err)
	}
	for _, tt := range []struct{ name, email, password string }{
		{"a wrong password", "ana@example.com", "wrong"},
		{"an unknown email", "nobody@example.com", password},
	} {
		if _, _, _, err := f.Service.OperatorLogin(ctx, tt.email, tt.password); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
			t.Errorf("%s: err = %v, want unauthorized", tt.name, err)
		}
	}
	if err := f.Service.OperatorLogout(ctx, back, backSess); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Service.OperatorSession(ctx, secret); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
		t.Errorf("session after logout: err = %v, want unauthorized", err)
	}
}

func testOperatorLockout(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	_, password := f.operator(t, "ana@example.com", saldo.OperatorAdmin)
	for i := 1; i <= saldo.OperatorMaxFailedLogins; i++ {
		_, _, _, err := f.Service.OperatorLogin(ctx, "ana@example.com", "wrong")
		locked := errors.Is(err, saldo.ErrOperatorLocked)
		if saldo.ErrorCode(err) != saldo.EUNAUTHORIZED || locked != (i == saldo.OperatorMaxFailedLogins) {
			t.Fatalf("wrong password %d: err = %v, want unauthorized, locked only at the 5th", i, err)
		}
	}
	if _, _, _, err := f.Service.OperatorLogin(ctx, "ana@example.com", password); !errors.Is(err, saldo.ErrOperatorLocked) {
		t.Errorf("the right password while locked: err = %v, want locked", err)
	}
	f.Clock.Advance(saldo.OperatorLockout - time.Second)
	if _, _, _, err := f.Service.OperatorLogin(ctx, "ana@example.com", password); !errors.Is(err, saldo.ErrOperatorLocked) {
		t.Errorf("a second before the lock ends: err = %v, want locked", err)
	}
	f.Clock.Advance(time.Second)
	if _, _, _, err := f.Service.OperatorLogin(ctx, "ana@example.com", password); err != nil {
		t.Errorf("when the lock ends: %v", err)
	}
	// A success starts the count again: four more failures do not lock.
	for range saldo.OperatorMaxFailedLogins - 1 {
		f.Service.OperatorLogin(ctx, "ana@example.com", "wrong")
	}
	if _, _, _, err := f.Service.OperatorLogin(ctx, "ana@example.com", password); err != nil {
		t.Errorf("after four failures following a success: %v", err)
	}
	audit, err := f.Service.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, a := range audit {
		actions[a.Action]++
	}
	if actions["login.failed"] != 9 || actions["login.refused_locked"] != 2 || actions["login"] != 2 {
		t.Errorf("audit actions = %v, want 9 login.failed, 2 login.refused_locked, 2 login", actions)
	}
}

func testOperatorConcurrentFailures(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	_, password := f.operator(t, "ana@example.com", saldo.OperatorAdmin)
	var wg sync.WaitGroup
	for range saldo.OperatorMaxFailedLogins {
		wg.Go(func() { f.Service.OperatorLogin(ctx, "ana@example.com", "wrong") })
	}
	wg.Wait()
	if _, _, _, err := f.Service.OperatorLogin(ctx, "ana@example.com", password); !errors.Is(err, saldo.ErrOperatorLocked) {
		t.Errorf("after five concurrent failures: err = %v, want locked", err)
	}
}

func testOperatorIdleExpiry(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	_, password := f.operator(t, "ana@example.com", saldo.OperatorViewer)
	_, _, secret, err := f.Service.OperatorLogin(ctx, "ana@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	// Each use within the idle time keeps the session: an hour of use in 29-minute steps.
	for range 3 {
		f.Clock.Advance(saldo.OperatorSessionIdle - time.Minute)
		if _, _, err := f.Service.OperatorSession(ctx, secret); err != nil {
			t.Fatalf("used within the idle time: %v", err)
		}
	}
	f.Clock.Advance(saldo.OperatorSessionIdle)
	if _, _, err := f.Service.OperatorSession(ctx, secret); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
		t.Errorf("after 30 idle minutes: err = %v, want unauthorized", err)
	}
	if rows := h.Query(t, f.Store, "SELECT id FROM operator_sessions"); len(rows) != 0 {
		t.Errorf("an expired session stays stored: %v", rows)
	}
}

func testOperatorDisableReset(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	_, password := f.operator(t, "ana@example.com", saldo.OperatorAdmin)
	login := func(password string) (string, error) {
		_, _, secret, err := f.Service.OperatorLogin(ctx, "ana@example.com", password)
		return secret, err
	}
	for range saldo.OperatorMaxFailedLogins {
		login("wrong")
	}
	o, newPassword, err := f.Service.ResetOperatorPassword(ctx, "ana@example.com")
	if err != nil || newPassword == password || !o.LockedUntil.IsZero() {
		t.Fatalf("reset: %+v, %v", o, err)
	}
	if _, err := login(password); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
		t.Errorf("the old password after a reset: err = %v, want unauthorized", err)
	}
	secret, err := login(newPassword)
	if err != nil {
		t.Fatalf("the new password after a reset lifts the lock: %v", err)
	}
	if _, err := f.Service.DisableOperator(ctx, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Service.OperatorSession(ctx, secret); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
		t.Errorf("a session of a disabled operator: err = %v, want unauthorized", err)
	}
	if _, err := login(newPassword); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
		t.Errorf("a disabled operator's login: err = %v, want unauthorized", err)
	}
	if on, _ := f.Service.ConsoleEnabled(ctx); on {
		t.Error("console enabled with its only operator disabled")
	}
	if _, err := f.Service.DisableOperator(ctx, "nobody@example.com"); saldo.ErrorCode(err) != saldo.ENOTFOUND {
		t.Errorf("disable an unknown operator: err = %v, want not found", err)
	}
}

func testAuditLog(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	o, _ := f.operator(t, "ana@example.com", saldo.OperatorAdmin)
	for i, outcome := range []error{nil, saldo.Errorf(saldo.ENOTACTIVE), nil} {
		if err := f.Service.Audit(ctx, o, "customer.block", "customer "+string(rune('1'+i)), outcome); err != nil {
			t.Fatal(err)
		}
	}
	page, err := f.Service.AuditLog(ctx, 0, 2)
	if err != nil || len(page) != 2 || page[0].Target != "customer 3" || page[1].Detail != "refused: account_not_active" {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	rest, err := f.Service.AuditLog(ctx, page[1].ID, 2)
	if err != nil || len(rest) != 1 || rest[0].Target != "customer 1" || rest[0].OperatorEmail != "ana@example.com" ||
		!rest[0].CreatedAt.Equal(Now) {
		t.Fatalf("second page = %+v, %v", rest, err)
	}
}

func testCustomerSessions(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	other := f.Partner(t, saldo.NewPartner{Name: "otra"})
	got, err := f.Service.CustomerPartner(ctx, s.customerID)
	if err != nil || got.ID != e.ID {
		t.Fatalf("CustomerPartner = %+v, %v", got, err)
	}
	if _, err := f.Service.CustomerPartner(ctx, s.customerID+1000); saldo.ErrorCode(err) != saldo.ENOTFOUND {
		t.Errorf("CustomerPartner of an unknown customer: err = %v, want not found", err)
	}
	live, err := f.Service.CustomerSessions(ctx, e, s.customerID)
	if err != nil || len(live) != 2 {
		t.Fatalf("live sessions at creation = %+v, %v; want the oauth and refresh tokens", live, err)
	}
	if live, _ := f.Service.CustomerSessions(ctx, other, s.customerID); len(live) != 0 {
		t.Errorf("another partner sees %d sessions", len(live))
	}
	if _, err := f.Service.RevokeCustomerSessions(ctx, other, s.customerID); saldo.ErrorCode(err) != saldo.ENOTFOUND {
		t.Errorf("another partner revokes: err = %v, want not found", err)
	}
	f.Clock.Advance(oauthTTL)
	if live, _ := f.Service.CustomerSessions(ctx, e, s.customerID); len(live) != 1 || live[0].Kind != saldo.TokenRefresh {
		t.Errorf("after the oauth token expired: %+v, want the refresh token alone", live)
	}
	n, err := f.Service.RevokeCustomerSessions(ctx, e, s.customerID)
	if err != nil || n != 2 {
		t.Fatalf("RevokeCustomerSessions = %d, %v; want both tokens revoked", n, err)
	}
	if live, _ := f.Service.CustomerSessions(ctx, e, s.customerID); len(live) != 0 {
		t.Errorf("after revoking: %+v", live)
	}
	if f.active(t, e, s.refresh) {
		t.Error("the refresh token still works after its sessions were revoked")
	}
	events, err := f.Service.CustomerEvents(ctx, e, s.customerID, 10)
	if err != nil || len(events) != 1 || events[0].Type != saldo.EventCustomerCreated {
		t.Errorf("CustomerEvents = %+v, %v", events, err)
	}
}

func testOverview(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{Name: "tienda", CompositeBalances: true})
	plain := f.Partner(t, saldo.NewPartner{Name: "otra"})
	create := func(e *saldo.Partner, seq uint64, line string) int64 {
		t.Helper()
		out, err := f.Service.CreateCustomer(ctx, e, composite(gen.Customer("", seq), line), nil)
		if err != nil {
			t.Fatalf("CreateCustomer: %v", err)
		}
		return out.Customer.ID
	}
	create(e, 1, "100000")
	create(e, 2, "50000")
	f.Clock.Advance(24 * time.Hour)
	create(plain, 3, "")
	v, err := f.Service.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := len(v.CustomersCreated)
	if n != saldo.ConsoleDays || len(v.Days) != n || v.CustomersCreated[n-2] != 2 || v.CustomersCreated[n-1] != 1 {
		t.Errorf("customers per day = %v over %d days", v.CustomersCreated, len(v.Days))
	}
	var sum int64
	for _, c := range v.CustomersCreated {
		sum += c
	}
	if sum != 3 || len(v.DeliveriesSucceded) != n || len(v.DeliveriesFailed) != n {
		t.Errorf("series: %d customers, %d and %d delivery days", sum, len(v.DeliveriesSucceded), len(v.DeliveriesFailed))
	}
	if len(v.Partners) != 2 || len(v.Totals) != 2 || v.Totals[0].PartnerID != e.ID || v.Totals[0].CreditLines != 150000 ||
		v.Totals[0].WalletMoney != 0 || v.Totals[1].CreditLines != 0 {
		t.Errorf("totals = %+v over %d partners", v.Totals, len(v.Partners))
	}
}
