package main

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo/client"
	"github.com/saldo-mx/saldo/internal/testdb"
)

var hex64RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// wantAPIError fails unless err is an *client.Error with status and code, and every hint.
func wantAPIError(tb testing.TB, what string, err error, status, code int, hints ...string) {
	tb.Helper()
	e, ok := errors.AsType[*client.Error](err)
	if !ok {
		tb.Errorf("%s: %v, want HTTP %d code %d", what, err, status, code)
		return
	}
	if e.StatusCode != status || e.Code != code || e.RequestID == "" {
		tb.Errorf("%s: HTTP %d code %d request %q, want HTTP %d code %d and a request id", what, e.StatusCode, e.Code, e.RequestID, status, code)
	}
	for _, h := range hints {
		if !e.HasHint(h) {
			tb.Errorf("%s: hints %q lack %q", what, e.Hints, h)
		}
	}
}

// The client drives every route of the contract against saldo serve on the embedded SQLite
// database, with the sandbox partner it prints on the first start, across a restart.
func TestClientDrivesEveryRoute(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	r := start(t, env)
	token := tokenRE.FindString(r.stdout.String())
	if token == "" {
		t.Fatalf("no sandbox token printed: %q", r.stdout)
	}
	ctx := context.Background()
	c := client.New("http://"+r.addr, token, client.WithUserAgent("saldo-e2e"))

	// Operations.
	if h, err := c.Healthz(ctx); err != nil || h.Status != "ok" {
		t.Errorf("healthz: %+v, %v", h, err)
	}
	if h, err := c.Readyz(ctx); err != nil || h.Status != "ready" {
		t.Errorf("readyz: %+v, %v", h, err)
	}

	// Accounts. The sandbox has composite balances, so every customer gets a parent.
	var info client.ResponseInfo
	owner, err := c.CreateAccount(ctx, customerRequest(1), client.WithIdempotencyKey("e2e-owner"), client.WithResponseInfo(&info))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if owner.CompositeBalance == nil || owner.CompositeBalance.Parent.CreditLine != 10000000 || !hex64RE.MatchString(owner.OAuthToken) || info.Replayed {
		t.Fatalf("create answered %+v (replayed %v)", owner, info.Replayed)
	}
	employeeReq := customerRequest(2)
	employeeReq.CompositeBalance.Parent.CreditLine = 0
	employee, err := c.CreateAccount(ctx, employeeReq)
	if err != nil {
		t.Fatalf("create the employee: %v", err)
	}
	_, err = c.CreateAccount(ctx, customerRequest(1))
	wantAPIError(t, "a duplicate create", err, 409, client.CodeConflict, "email:duplicate", "mobile:duplicate", "rfc:duplicate")
	bad := customerRequest(3)
	bad.CompositeBalance = nil
	bad.Zipcode = "123"
	_, err = c.CreateAccount(ctx, bad)
	wantAPIError(t, "an invalid create", err, 400, client.CodeValidation, "credit_line:required", "zipcode:invalid")
	_, err = partner(r.addr, "ek_"+strings.Repeat("0", 64)).GetAccount(ctx, owner.ID)
	wantAPIError(t, "an unknown partner token", err, 401, client.CodeUnauthorized)

	profile, err := c.GetAccount(ctx, owner.ID)
	if err != nil || profile.ID != owner.ID || profile.Email != owner.Email || *profile.CompositeBalance != *owner.CompositeBalance {
		t.Errorf("get account: %+v, %v", profile, err)
	}
	_, err = c.GetAccount(ctx, employee.ID+100)
	wantAPIError(t, "an unknown customer", err, 404, client.CodeNotFound)
	if p, err := c.GetAccountAsCustomer(ctx, owner.ID, owner.OAuthToken); err != nil || p.ID != owner.ID {
		t.Errorf("get account with the customer's token: %+v, %v", p, err)
	}

	// Customer tokens.
	conn, err := c.GetCustomerConnectionToken(ctx, &client.ConnectionTokenRequest{
		CustomerID: owner.ID, CustomerPrivateKey: owner.PrivateKey, DeviceID: "tablet", ClientState: 99,
	})
	if err != nil || conn.ClientStateRet != 99 || !hex64RE.MatchString(conn.CustomerRefreshToken) {
		t.Fatalf("connection token: %+v, %v", conn, err)
	}
	_, err = c.GetAccountAsCustomer(ctx, owner.ID, owner.OAuthToken)
	wantAPIError(t, "the oauth token a new session superseded", err, 401, client.CodeUnauthorized)
	refreshed, err := c.RefreshCustomerToken(ctx, &client.RefreshCustomerTokenRequest{CustomerRefreshToken: conn.CustomerRefreshToken, DeviceID: "tablet"})
	if err != nil || !hex64RE.MatchString(refreshed.OAuthToken) {
		t.Fatalf("refresh: %+v, %v", refreshed, err)
	}
	in, err := c.IntrospectToken(ctx, refreshed.OAuthToken)
	if err != nil || !in.Active || in.CustomerID != owner.ID || in.DeviceID != "tablet" || in.TokenType != "access_token" || in.Exp != refreshed.ExpirationTimestamp.Unix() {
		t.Errorf("introspect: %+v, %v", in, err)
	}
	if err := c.RevokeToken(ctx, refreshed.OAuthToken); err != nil {
		t.Errorf("revoke: %v", err)
	}
	if in, err := c.IntrospectToken(ctx, refreshed.OAuthToken); err != nil || in.Active {
		t.Errorf("introspect a revoked token: %+v, %v", in, err)
	}
	_, err = c.GetAccountAsCustomer(ctx, owner.ID, refreshed.OAuthToken)
	wantAPIError(t, "a revoked oauth token", err, 401, client.CodeUnauthorized)

	// Composite balances.
	parentID := owner.CompositeBalance.Parent.ID
	child, err := c.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 4000000, CustomerID: employee.ID})
	if err != nil || child.CustomerID != employee.ID || child.AvailableCredit != 4000000 {
		t.Fatalf("create child: %+v, %v", child, err)
	}
	_, err = c.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 6000001})
	wantAPIError(t, "a child beyond the parent's credit", err, 409, client.CodeInsufficientCredit)
	updated, err := c.UpdateChildCreditLine(ctx, child.ID, 10000000)
	if err != nil || updated.CreditLine != 10000000 || updated.Parent.AvailableCredit != 0 {
		t.Errorf("update credit line: %+v, %v", updated, err)
	}
	if got, err := c.GetCompositeChild(ctx, child.ID); err != nil || got.CreditLine != 10000000 {
		t.Errorf("get child: %+v, %v", got, err)
	}
	parent, err := c.GetCompositeParent(ctx, parentID)
	if err != nil || parent.Children != 1 || parent.AvailableCredit != 0 || parent.CustomerID != owner.ID {
		t.Errorf("get parent: %+v, %v", parent, err)
	}
	_, err = c.GetCompositeParent(ctx, employee.CompositeBalance.Parent.ID+"0")
	wantAPIError(t, "an unknown parent", err, 404, client.CodeValidation, "incorrect parent_id")
	page, err := c.ListCompositeChildren(ctx, parentID, &client.ListChildrenOptions{Limit: 10})
	if err != nil || len(page.Children) != 1 || page.Children[0].ID != child.ID || page.NextCursor != "" {
		t.Errorf("list children: %+v, %v", page, err)
	}
	var walked []int64
	for ch, err := range c.CompositeChildren(ctx, parentID, 1) {
		if err != nil {
			t.Fatalf("iterate children: %v", err)
		}
		walked = append(walked, ch.ID)
	}
	if !slices.Equal(walked, []int64{child.ID}) {
		t.Errorf("iterated children %v, want [%d]", walked, child.ID)
	}

	// A retry after a restart is still a replay, credentials included: the stored answer was
	// sealed under the secret key that serve generated beside the database on its first start.
	if code := r.shutdown(t); code != 0 {
		t.Fatalf("exit code %d: %s", code, r.stderr)
	}
	again := start(t, env)
	c = partner(again.addr, token)
	replay, err := c.CreateAccount(ctx, customerRequest(1), client.WithIdempotencyKey("e2e-owner"), client.WithResponseInfo(&info))
	if err != nil || !info.Replayed || replay.ID != owner.ID || replay.PrivateKey != owner.PrivateKey {
		t.Errorf("retry after a restart: %+v, %v (replayed %v); want the first answer replayed", replay, err, info.Replayed)
	}
	_, err = c.CreateAccount(ctx, customerRequest(4), client.WithIdempotencyKey("e2e-owner"))
	wantAPIError(t, "the key with another request", err, 422, client.CodeIdempotencyKeyReused)
	if h, err := c.Readyz(ctx); err != nil || h.Status != "ready" {
		t.Errorf("readyz after a restart: %+v, %v", h, err)
	}
}
