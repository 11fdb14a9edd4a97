package clienttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/client"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// fixture is a real server over a fresh SQLite database with two partners, and a client for
// each.
type fixture struct {
	url       string
	token     string // the composite partner's
	hc        *http.Client
	store     saldo.Store
	clock     *saldo.ManualClock
	composite *client.Client // the partner with composite balances
	plain     *client.Client // a partner without
	svc       *saldo.Service // the server's service
}

// fixtureNow is where the fixture's clock starts; tests move it to expire tokens.
var fixtureNow = time.Date(2026, 11, 24, 16, 26, 49, 0, time.UTC)

func newFixture(tb testing.TB, opts ...saldohttp.Option) *fixture {
	tb.Helper()
	return newFixtureWith(tb, nil, opts...)
}

// newFixtureWith is newFixture with the server's service configured by svcOpts.
func newFixtureWith(tb testing.TB, svcOpts []saldo.Option, opts ...saldohttp.Option) *fixture {
	tb.Helper()
	store := testdb.OpenSQLite(tb)
	clock := saldo.NewManualClock(fixtureNow)
	svc := saldo.NewService(store, clock, svcOpts...)
	ctx := context.Background()
	_, composite, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "tienda", CompositeBalances: true})
	if err != nil {
		tb.Fatal(err)
	}
	_, plain, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "otra"})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(saldohttp.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), opts...))
	tb.Cleanup(srv.Close)
	hc := srv.Client()
	return &fixture{
		url: srv.URL, token: composite, hc: hc, store: store, clock: clock, svc: svc,
		composite: client.New(srv.URL, composite, client.WithHTTPClient(hc)),
		plain:     client.New(srv.URL, plain, client.WithHTTPClient(hc)),
	}
}

// customer is a valid create request, unique for each seq, with a composite credit line
// when creditLine is not negative.
func customer(seq uint64, creditLine int64) *client.CreateAccountRequest {
	g := gen.Customer("", seq)
	r := &client.CreateAccountRequest{
		Email: g.Email, Mobile: g.Mobile, FirstName: g.FirstName, LastName: g.LastName,
		SecondLastName: g.SecondLastName, Gender: client.GenderMale, RFC: g.RFC, CURP: g.CURP,
		DateOfBirth: g.DateOfBirth, DeviceID: "phone",
	}
	if creditLine >= 0 {
		r.CompositeBalance = &client.CompositeBalanceRequest{Parent: client.CompositeParentRequest{CreditLine: creditLine}}
	}
	return r
}

// mustCreate creates customer seq for the composite partner.
func (f *fixture) mustCreate(tb testing.TB, seq uint64, creditLine int64) *client.CreatedAccount {
	tb.Helper()
	acct, err := f.composite.CreateAccount(context.Background(), customer(seq, creditLine))
	if err != nil {
		tb.Fatalf("create customer %d: %v", seq, err)
	}
	return acct
}

var (
	hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func TestCreateAccountDecodesEveryFieldWithItsType(t *testing.T) {
	f := newFixture(t)
	req := customer(1, 10_000_000)
	req.MiddleName, req.Zipcode, req.StateID, req.CampaignID = "José", "06600", 9, "spring"
	req.IdentificationDocumentFront = "doc://ine-front"

	acct, err := f.composite.CreateAccount(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	mobile, _ := strconv.ParseInt(req.Mobile, 10, 64)
	if acct.ID <= 0 || acct.EcommerceID <= 0 || acct.EwalletID <= 0 {
		t.Errorf("ids: customer %d, e-commerce %d, wallet %d; want positive", acct.ID, acct.EcommerceID, acct.EwalletID)
	}
	for _, tt := range []struct {
		field     string
		got, want any
	}{
		{"email", acct.Email, req.Email},
		{"mobile (a JSON number)", acct.Mobile, mobile},
		{"mobile_country_code (digits as a string)", acct.MobileCountryCode, "52"},
		{"middle_name", acct.MiddleName, "José"},
		{"second_last_name", acct.SecondLastName, "Gómez"},
		{"rfc", acct.RFC, req.RFC},
		{"curp", acct.CURP, req.CURP},
		{"gender", acct.Gender, client.GenderMale},
		{"gender_string", acct.GenderString, "Male"},
		{"person_type", acct.PersonType, 1},
		{"is_business", acct.IsBusiness, false},
		{"account_level", acct.AccountLevel, 1},
		{"account_status_string", acct.AccountStatusString, "Active"},
		{"ewallet_status", acct.EwalletStatus, 1},
		{"zipcode with its leading zero", acct.Zipcode, "06600"},
		{"state_id", acct.StateID, int64(9)},
		{"identification_document_front_url echoes the reference", acct.IdentificationDocumentFrontURL, "doc://ine-front"},
		{"composite credit line", acct.CompositeBalance.Parent.CreditLine, int64(10_000_000)},
		{"oauth token expires in an hour", acct.ExpirationTimestamp, fixtureNow.Add(time.Hour).UTC()},
		{"refresh token expires in 90 days", acct.RefreshExpirationTimestamp, fixtureNow.AddDate(0, 0, 90).UTC()},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %#v, want %#v", tt.field, tt.got, tt.want)
		}
	}
	if !hex32.MatchString(acct.CompositeBalance.Parent.ID) || acct.CompositeBalance.Parent.BalanceID <= 0 {
		t.Errorf("composite parent %+v, want a 32-hex id and a balance id", acct.CompositeBalance.Parent)
	}
	if !hex64.MatchString(acct.OAuthToken) || !hex64.MatchString(acct.RefreshToken) ||
		!strings.HasPrefix(acct.PrivateKey, "sk_") || !hex64.MatchString(strings.TrimPrefix(acct.PrivateKey, "sk_")) {
		t.Errorf("credentials %q, %q, %q; want 64 hex, 64 hex and sk_ + 64 hex", acct.OAuthToken, acct.RefreshToken, acct.PrivateKey)
	}

	// The profile is the created account without its credentials.
	got, err := f.composite.GetAccount(context.Background(), acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *got.CompositeBalance != *acct.CompositeBalance {
		t.Errorf("profile's composite balance %+v, want %+v", got.CompositeBalance, acct.CompositeBalance)
	}
	want := client.Profile{Account: acct.Account, CustomerStatus: acct.AccountStatus, State: acct.StateID}
	want.CompositeBalance, got.CompositeBalance = nil, nil
	if *got != want {
		t.Errorf("profile\n got %+v\nwant %+v", *got, want)
	}
}

func TestCreateAccountWithoutCompositeBalancesHasNoParent(t *testing.T) {
	f := newFixture(t)
	acct, err := f.plain.CreateAccount(context.Background(), customer(1, -1))
	if err != nil {
		t.Fatal(err)
	}
	if acct.CompositeBalance != nil {
		t.Errorf("composite_balance = %+v, want null", acct.CompositeBalance)
	}
}

func TestCreateAccountJSONSendsTheCallersBody(t *testing.T) {
	f := newFixture(t)
	g := gen.Customer("", 7)
	body := fmt.Appendf(nil, `{"email":%q,"mobile":%s,"first_name":"Ana","last_name":"Gómez","gender":1,"rfc":%q,"composite_balance":{"parent":{"credit_line":0}}}`,
		g.Email, g.Mobile, g.RFC)
	acct, err := f.composite.CreateAccountJSON(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Email != g.Email || acct.GenderString != "Female" || acct.CompositeBalance == nil || acct.CompositeBalance.Parent.CreditLine != 0 {
		t.Errorf("created %s, %s, %+v; want the body's customer with a parent of credit line 0", acct.Email, acct.GenderString, acct.CompositeBalance)
	}
}

func TestCreateAccountJSONAsDecodesIntoTheCallersType(t *testing.T) {
	f := newFixture(t)
	type summary struct {
		ID               int64                    `json:"id"`
		Email            string                   `json:"email"`
		CompositeBalance *client.CompositeBalance `json:"composite_balance"`
	}
	body, err := json.Marshal(customer(1, 5_000))
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.CreateAccountJSONAs[summary](context.Background(), f.composite, body)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID <= 0 || got.Email != gen.Customer("", 1).Email || got.CompositeBalance == nil || got.CompositeBalance.Parent.CreditLine != 5_000 {
		t.Errorf("summary = %+v", got)
	}
	// Refusals are the same *Error as CreateAccount's.
	_, err = client.CreateAccountJSONAs[summary](context.Background(), f.composite, body)
	checkError(t, err, 409, client.CodeConflict, "email:duplicate")
}

// errorCase is a call that the server refuses, and what the *Error must say.
type errorCase struct {
	name      string
	call      func(ctx context.Context, f *fixture) error
	status    int
	code      int
	hints     []string // all present, in any order
	predicate func(error) bool
}

func TestRefusalsAreTypedErrors(t *testing.T) {
	f := newFixture(t)
	taken := f.mustCreate(t, 1, 10_000_000)
	parentID := taken.CompositeBalance.Parent.ID

	for _, tt := range []errorCase{
		{
			name: "a 400 validation error names every failing field",
			call: func(ctx context.Context, f *fixture) error {
				req := customer(2, 10_000_000)
				req.Email, req.RFC, req.FirstName = "not-an-email", "XYZ", ""
				_, err := f.composite.CreateAccount(ctx, req)
				return err
			},
			status: 400, code: client.CodeValidation, hints: []string{"email:invalid", "rfc:invalid", "first_name:required"},
		},
		{
			name: "a 400 bad request names a field of the wrong JSON type",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.composite.CreateAccountJSON(ctx, []byte(`{"email":"a@b.mx","gender":"male","mobile":true}`))
				return err
			},
			status: 400, code: client.CodeBadRequest, hints: []string{"gender:must_be_integer", "mobile:must_be_string_or_integer"},
		},
		{
			name: "a 401 for an unknown partner token",
			call: func(ctx context.Context, f *fixture) error {
				_, err := client.New(f.url, saldo.NewSecret(saldo.PartnerTokenPrefix)).GetAccount(ctx, taken.ID)
				return err
			},
			status: 401, code: client.CodeUnauthorized, predicate: client.IsUnauthorized,
		},
		{
			name: "a 401 without a partner token",
			call: func(ctx context.Context, f *fixture) error {
				_, err := client.New(f.url, "").CreateAccount(ctx, customer(3, 10_000_000))
				return err
			},
			status: 401, code: client.CodeUnauthorized, predicate: client.IsUnauthorized,
		},
		{
			name: "a 404 for an unknown customer",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.composite.GetAccount(ctx, taken.ID+1000)
				return err
			},
			status: 404, code: client.CodeNotFound, predicate: client.IsNotFound,
		},
		{
			name: "a 404 for another partner's customer, as if it did not exist",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.plain.GetAccount(ctx, taken.ID)
				return err
			},
			status: 404, code: client.CodeNotFound, predicate: client.IsNotFound,
		},
		{
			name: "a 409 duplicate names every duplicated field",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.composite.CreateAccount(ctx, customer(1, 10_000_000))
				return err
			},
			status: 409, code: client.CodeConflict, predicate: client.IsConflict,
			hints: []string{"email:duplicate", "mobile:duplicate", "rfc:duplicate", "curp:duplicate"},
		},
		{
			name: "a 400 for a credit line the partner without composite balances refuses",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.plain.CreateAccount(ctx, customer(4, 10_000_000))
				return err
			},
			status: 400, code: client.CodeValidation, hints: []string{"composite_balance:not_enabled"},
		},
		{
			name: "a 404 with code 5000 for an unknown composite parent",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.composite.GetCompositeParent(ctx, strings.Repeat("0", 32))
				return err
			},
			status: 404, code: client.CodeValidation, hints: []string{"incorrect parent_id"}, predicate: client.IsNotFound,
		},
		{
			name: "a 404 with code 5000 for another partner's composite parent",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.plain.GetCompositeParent(ctx, parentID)
				return err
			},
			status: 404, code: client.CodeValidation, hints: []string{"incorrect parent_id"}, predicate: client.IsNotFound,
		},
		{
			name: "a 409 with code 5001 for a child beyond the parent's credit",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.composite.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 10_000_001})
				return err
			},
			status: 409, code: client.CodeInsufficientCredit,
		},
		{
			name: "a 400 for a page size over 100",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.composite.ListCompositeChildren(ctx, parentID, &client.ListChildrenOptions{Limit: 101})
				return err
			},
			status: 400, code: client.CodeValidation, hints: []string{"limit:invalid"},
		},
		{
			name: "a 401 for a malformed private key",
			call: func(ctx context.Context, f *fixture) error {
				_, err := f.composite.GetCustomerConnectionToken(ctx, &client.ConnectionTokenRequest{CustomerID: taken.ID, CustomerPrivateKey: "sk_nope", DeviceID: "phone"})
				return err
			},
			status: 401, code: client.CodeUnauthorized, predicate: client.IsUnauthorized,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(context.Background(), f)
			e := checkError(t, err, tt.status, tt.code, tt.hints...)
			if e == nil {
				return
			}
			if tt.predicate != nil && !tt.predicate(err) {
				t.Errorf("the predicate is false for %v", err)
			}
			// Only one of the predicates holds for each refusal.
			held := 0
			for _, p := range []func(error) bool{client.IsUnauthorized, client.IsNotFound, client.IsConflict} {
				if p(err) {
					held++
				}
			}
			want := 0
			if tt.predicate != nil {
				want = 1
			}
			if held != want {
				t.Errorf("%d predicates hold for %v, want %d", held, err, want)
			}
		})
	}
}

// checkError asserts that err is an *Error, also through wrapping, with status, code and
// hints, a sentence, a request id and no cause; it returns the *Error or nil after failing.
func checkError(tb testing.TB, err error, status, code int, hints ...string) *client.Error {
	tb.Helper()
	var e *client.Error
	if !errors.As(fmt.Errorf("wrapped: %w", err), &e) {
		tb.Errorf("error %v (%T), want a *client.Error", err, err)
		return nil
	}
	if e.StatusCode != status || e.Code != code {
		tb.Errorf("HTTP %d, code %d, want %d, %d: %v", e.StatusCode, e.Code, status, code, e)
	}
	for _, h := range hints {
		if !e.HasHint(h) {
			tb.Errorf("hints %q lack %q", e.Hints, h)
		}
	}
	if e.Text == "" || e.Message == "" || strings.Contains(e.Message, ":") {
		tb.Errorf("text %q, message %q; want the code's name and a sentence", e.Text, e.Message)
	}
	if e.RequestID == "" {
		tb.Error("no request id")
	}
	if errors.Is(err, client.ErrUnexpectedResponse) || e.Unwrap() != nil {
		tb.Errorf("a contract error wraps %v", e.Unwrap())
	}
	return e
}

func TestErrorHintLookup(t *testing.T) {
	f := newFixture(t)
	f.mustCreate(t, 1, 10_000_000)
	again := customer(1, 10_000_000)
	again.Email = "someone.else@example.com"
	_, err := f.composite.CreateAccount(context.Background(), again)
	e := checkError(t, err, 409, client.CodeConflict, "mobile:duplicate")
	if e == nil {
		return
	}
	for _, tt := range []struct {
		field, reason string
		ok            bool
	}{
		{"mobile", "duplicate", true},
		{"rfc", "duplicate", true},
		{"email", "", false}, // a fresh email is no conflict
		{"mob", "", false},   // a prefix of a field is not the field
	} {
		if reason, ok := e.Hint(tt.field); reason != tt.reason || ok != tt.ok {
			t.Errorf("Hint(%q) = %q, %v; want %q, %v", tt.field, reason, ok, tt.reason, tt.ok)
		}
	}
	for _, want := range []string{"HTTP 409", "code 4409", "Conflict", "mobile:duplicate", "POST /user/v1/account/create", e.RequestID} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("Error() = %q, lacks %q", e.Error(), want)
		}
	}
}

func TestRateLimitIsATypedErrorWithRetryAfter(t *testing.T) {
	// One request, then one every 1000 s.
	f := newFixture(t, saldohttp.WithRateLimit(0.001, 1))
	ctx := context.Background()
	f.mustCreate(t, 1, 10_000_000)
	_, err := f.composite.GetAccount(ctx, 1)
	if e := checkError(t, err, 429, client.CodeTooManyRequests); e != nil && (e.RetryAfter <= 990*time.Second || e.RetryAfter > 1000*time.Second) {
		t.Errorf("RetryAfter = %v, want the bucket's refill time, 1000s", e.RetryAfter)
	}
}

func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := customer(1, 10_000_000)

	var first, second client.ResponseInfo
	a, err := f.composite.CreateAccount(ctx, req, client.WithIdempotencyKey("order-1"), client.WithResponseInfo(&first))
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.composite.CreateAccount(ctx, req, client.WithIdempotencyKey("order-1"), client.WithResponseInfo(&second))
	if err != nil {
		t.Fatalf("retry with the same key: %v", err)
	}
	if first.Replayed || !second.Replayed || second.StatusCode != http.StatusOK {
		t.Errorf("replayed: first %v, retry %v (HTTP %d); want false, true (200)", first.Replayed, second.Replayed, second.StatusCode)
	}
	if !reflect.DeepEqual(a, b) || a.PrivateKey == "" {
		t.Errorf("the retry answered\n%+v\nnot the first answer\n%+v", b, a)
	}
	if n := len(testdb.Rows(t, f.store, "customers")); n != 1 {
		t.Errorf("%d customers after a retry, want 1", n)
	}

	// The same key with another request is refused, and creates nothing either.
	other := customer(2, 10_000_000)
	_, err = f.composite.CreateAccount(ctx, other, client.WithIdempotencyKey("order-1"))
	checkError(t, err, 422, client.CodeIdempotencyKeyReused)
	// A stored refusal is replayed as the same refusal.
	var dup client.ResponseInfo
	_, err = f.composite.CreateAccount(ctx, req, client.WithIdempotencyKey("order-2"))
	checkError(t, err, 409, client.CodeConflict, "email:duplicate")
	_, err = f.composite.CreateAccount(ctx, req, client.WithIdempotencyKey("order-2"), client.WithResponseInfo(&dup))
	checkError(t, err, 409, client.CodeConflict, "email:duplicate")
	if !dup.Replayed {
		t.Error("the retried duplicate was not a replay")
	}
	if n := len(testdb.Rows(t, f.store, "customers")); n != 1 {
		t.Errorf("%d customers, want 1", n)
	}

	// Writes of the other routes take a key too.
	child := &client.CreateChildRequest{ParentID: a.CompositeBalance.Parent.ID, CreditLine: 1_000}
	var replay client.ResponseInfo
	c1, err := f.composite.CreateCompositeChild(ctx, child, client.WithIdempotencyKey("child-1"))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := f.composite.CreateCompositeChild(ctx, child, client.WithIdempotencyKey("child-1"), client.WithResponseInfo(&replay))
	if err != nil || *c1 != *c2 || !replay.Replayed {
		t.Errorf("child retry: %+v, %v, replayed %v; want the first child %+v replayed", c2, err, replay.Replayed, c1)
	}
}

// A PUT takes an Idempotency-Key as a POST does: a retry replays the first answer and changes
// nothing, even after another change; the key with another request is a 4422.
func TestIdempotencyKeyReplaysACreditLineUpdate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	parentID := f.mustCreate(t, 1, 10_000_000).CompositeBalance.Parent.ID
	child, err := f.composite.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 1_000})
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.composite.UpdateChildCreditLine(ctx, child.ID, 2_000, client.WithIdempotencyKey("raise-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.composite.UpdateChildCreditLine(ctx, child.ID, 3_000); err != nil {
		t.Fatal(err)
	}
	var info client.ResponseInfo
	retry, err := f.composite.UpdateChildCreditLine(ctx, child.ID, 2_000, client.WithIdempotencyKey("raise-1"), client.WithResponseInfo(&info))
	if err != nil || !info.Replayed || *retry != *first {
		t.Errorf("the retry: %+v, %v, replayed %v; want the first answer %+v replayed", retry, err, info.Replayed, first)
	}
	if now, err := f.composite.GetCompositeChild(ctx, child.ID); err != nil || now.CreditLine != 3_000 {
		t.Errorf("the child after the retry: %+v, %v; want the credit line 3000 the later update set", now, err)
	}
	_, err = f.composite.UpdateChildCreditLine(ctx, child.ID, 4_000, client.WithIdempotencyKey("raise-1"))
	checkError(t, err, 422, client.CodeIdempotencyKeyReused)
}

func TestRequestIDIsSentAndReported(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var info client.ResponseInfo
	if _, err := f.composite.Healthz(ctx, client.WithRequestID("partner-42"), client.WithResponseInfo(&info)); err != nil {
		t.Fatal(err)
	}
	if info.RequestID != "partner-42" || info.Header.Get("X-Request-Id") != "partner-42" {
		t.Errorf("request id %q, want the one sent", info.RequestID)
	}
	_, err := f.composite.GetAccount(ctx, 999, client.WithRequestID("partner-43"))
	if e := checkError(t, err, 404, client.CodeNotFound); e != nil && e.RequestID != "partner-43" {
		t.Errorf("error's request id %q, want partner-43", e.RequestID)
	}
}

func TestCustomerTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	acct := f.mustCreate(t, 1, 10_000_000)
	c := f.composite

	// The oauth token of the create opens the customer's own account, without the partner.
	if got, err := c.GetAccountAsCustomer(ctx, acct.ID, acct.OAuthToken); err != nil || got.ID != acct.ID {
		t.Fatalf("account by customer token: %+v, %v", got, err)
	}
	other := f.mustCreate(t, 2, 10_000_000)
	_, err := c.GetAccountAsCustomer(ctx, other.ID, acct.OAuthToken)
	checkError(t, err, 401, client.CodeUnauthorized)

	// A new session by private key: the old tokens go, the new ones work.
	conn, err := c.GetCustomerConnectionToken(ctx, &client.ConnectionTokenRequest{
		CustomerID: acct.ID, CustomerPrivateKey: acct.PrivateKey, DeviceID: "tablet", ClientState: -42,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !hex64.MatchString(conn.CustomerOAuthToken) || !hex64.MatchString(conn.CustomerRefreshToken) || conn.ClientStateRet != -42 ||
		!conn.ExpirationTimestamp.Equal(fixtureNow.Add(time.Hour)) || !conn.RefreshExpirationTimestamp.Equal(fixtureNow.AddDate(0, 0, 90)) {
		t.Errorf("connection token %+v", conn)
	}
	_, err = c.GetAccountAsCustomer(ctx, acct.ID, acct.OAuthToken)
	checkError(t, err, 401, client.CodeUnauthorized)
	if _, err := c.GetAccountAsCustomer(ctx, acct.ID, conn.CustomerOAuthToken); err != nil {
		t.Errorf("the new oauth token: %v", err)
	}

	in, err := c.IntrospectToken(ctx, conn.CustomerRefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	want := client.Introspection{Active: true, CustomerID: acct.ID, DeviceID: "tablet", TokenType: "refresh_token",
		Exp: conn.RefreshExpirationTimestamp.Unix(), Iat: fixtureNow.Unix()}
	if *in != want {
		t.Errorf("introspect = %+v, want %+v", *in, want)
	}

	// Refresh: an oauth token for a registered device; another device is refused.
	refreshed, err := c.RefreshCustomerToken(ctx, &client.RefreshCustomerTokenRequest{CustomerRefreshToken: conn.CustomerRefreshToken, DeviceID: "tablet"})
	if err != nil {
		t.Fatal(err)
	}
	if !hex64.MatchString(refreshed.OAuthToken) || refreshed.OAuthToken == conn.CustomerOAuthToken || !refreshed.ExpirationTimestamp.Equal(fixtureNow.Add(time.Hour)) {
		t.Errorf("refreshed %+v", refreshed)
	}
	_, err = c.RefreshCustomerToken(ctx, &client.RefreshCustomerTokenRequest{CustomerRefreshToken: conn.CustomerRefreshToken, DeviceID: "phone"})
	checkError(t, err, 401, client.CodeUnauthorized, "device_id:not_registered")

	// An expired oauth token opens nothing.
	f.clock.Advance(time.Hour + time.Second)
	_, err = c.GetAccountAsCustomer(ctx, acct.ID, refreshed.OAuthToken)
	checkError(t, err, 401, client.CodeUnauthorized)

	// Revoke is 200 for any token; a revoked token is inactive, and introspect says no more.
	for _, tok := range []string{refreshed.OAuthToken, "unknown", conn.CustomerRefreshToken} {
		if err := c.RevokeToken(ctx, tok); err != nil {
			t.Errorf("revoke %q: %v", tok, err)
		}
	}
	if in, err := c.IntrospectToken(ctx, conn.CustomerRefreshToken); err != nil || *in != (client.Introspection{}) {
		t.Errorf("introspect a revoked token = %+v, %v; want only active false", in, err)
	}
	_, err = c.IntrospectToken(ctx, "")
	checkError(t, err, 400, client.CodeValidation, "token:required")
}

func TestReusedRefreshTokenRevokesTheSession(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	acct := f.mustCreate(t, 1, 10_000_000)
	c := f.composite

	rotated, err := c.GetCustomerConnectionToken(ctx, &client.ConnectionTokenRequest{CustomerRefreshToken: acct.RefreshToken, DeviceID: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	// The create's refresh token was rotated: presenting it again is a stolen-token signal.
	_, err = c.GetCustomerConnectionToken(ctx, &client.ConnectionTokenRequest{CustomerRefreshToken: acct.RefreshToken, DeviceID: "phone"})
	checkError(t, err, 401, client.CodeUnauthorized)
	for _, tok := range []string{rotated.CustomerRefreshToken, rotated.CustomerOAuthToken} {
		if in, err := c.IntrospectToken(ctx, tok); err != nil || in.Active {
			t.Errorf("after reuse, a token of the session is %+v, %v; want inactive", in, err)
		}
	}
}

func TestCompositeBalances(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.composite
	owner := f.mustCreate(t, 1, 10_000_000)
	employee := f.mustCreate(t, 2, 0)
	parentID := owner.CompositeBalance.Parent.ID

	parent, err := c.GetCompositeParent(ctx, parentID)
	if err != nil {
		t.Fatal(err)
	}
	if parent.ID != parentID || parent.BalanceID != owner.CompositeBalance.Parent.BalanceID || parent.CustomerID != owner.ID ||
		parent.CreditLine != 10_000_000 || parent.CreditLimit != 10_000_000 || parent.AvailableCredit != 10_000_000 ||
		parent.Children != 0 || parent.Status != 1 || parent.StatusString != "Active" {
		t.Errorf("parent = %+v", parent)
	}
	for _, d := range []string{parent.NextBillingDate, parent.NextDueDate} {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			t.Errorf("date %q is not YYYY-MM-DD", d)
		}
	}

	own, err := c.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 3_000_000})
	if err != nil {
		t.Fatal(err)
	}
	wantOwn := client.CompositeChild{ID: own.ID, ParentID: parentID, CustomerID: owner.ID, CreditLine: 3_000_000,
		CreditLimit: 3_000_000, AvailableCredit: 3_000_000, Status: 1}
	if own.ID <= 0 || *own != wantOwn {
		t.Errorf("child = %+v, want %+v", own, wantOwn)
	}
	emp, err := c.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 0, CustomerID: employee.ID})
	if err != nil {
		t.Fatal(err)
	}
	if emp.CustomerID != employee.ID || emp.CreditLine != 0 {
		t.Errorf("employee's child = %+v", emp)
	}

	up, err := c.UpdateChildCreditLine(ctx, emp.ID, 7_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if up.CreditLine != 7_000_000 || up.Parent != (client.ParentCredit{ID: parentID, AvailableCredit: 0}) {
		t.Errorf("updated child = %+v", up)
	}
	_, err = c.UpdateChildCreditLine(ctx, emp.ID, 7_000_001)
	checkError(t, err, 409, client.CodeInsufficientCredit)
	_, err = c.UpdateChildCreditLine(ctx, emp.ID+1000, 1)
	checkError(t, err, 404, client.CodeValidation, "incorrect child_id")

	got, err := c.GetCompositeChild(ctx, emp.ID)
	if err != nil || *got != up.CompositeChild {
		t.Errorf("get child = %+v, %v; want %+v", got, err, up.CompositeChild)
	}
	_, err = f.plain.GetCompositeChild(ctx, emp.ID)
	checkError(t, err, 404, client.CodeValidation, "incorrect child_id")

	// Pages of one: the first has a cursor, the second is the last.
	first, err := c.ListCompositeChildren(ctx, parentID, &client.ListChildrenOptions{Limit: 1})
	if err != nil || len(first.Children) != 1 || first.Children[0] != *own || first.NextCursor == "" {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	// The server knows the second page is the last: it gives no cursor.
	second, err := c.ListCompositeChildren(ctx, parentID, &client.ListChildrenOptions{Limit: 1, Cursor: first.NextCursor})
	if err != nil || len(second.Children) != 1 || second.Children[0] != *got || second.NextCursor != "" {
		t.Fatalf("second page = %+v, %v; want the employee's child and no cursor", second, err)
	}
	all, err := c.ListCompositeChildren(ctx, parentID, nil)
	if err != nil || len(all.Children) != 2 || all.NextCursor != "" {
		t.Errorf("default page = %+v, %v; want both children and no cursor", all, err)
	}

	var walked []int64
	for child, err := range c.CompositeChildren(ctx, parentID, 1) {
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, child.ID)
	}
	if !slices.Equal(walked, []int64{own.ID, emp.ID}) {
		t.Errorf("iterator walked %v, want %v", walked, []int64{own.ID, emp.ID})
	}
	for _, err := range f.plain.CompositeChildren(ctx, parentID, 0) {
		if !client.IsNotFound(err) {
			t.Errorf("iterating another partner's parent: %v, want not found", err)
		}
	}

	parent, err = c.GetCompositeParent(ctx, parentID)
	if err != nil || parent.Children != 2 || parent.AvailableCredit != 0 {
		t.Errorf("parent after two children = %+v, %v; want 2 children and no credit left", parent, err)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The operational routes need no credential.
	anonymous := client.New(f.url, "")
	if h, err := anonymous.Healthz(ctx); err != nil || h.Status != "ok" {
		t.Errorf("healthz = %+v, %v", h, err)
	}
	if h, err := anonymous.Readyz(ctx); err != nil || h.Status != "ready" {
		t.Errorf("readyz = %+v, %v", h, err)
	}

	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := anonymous.Readyz(ctx)
	if e := checkError(t, err, 503, client.CodeServiceUnavailable); e != nil && e.RetryAfter != time.Second {
		t.Errorf("RetryAfter = %v, want 1s", e.RetryAfter)
	}
	if h, err := anonymous.Healthz(ctx); err != nil || h.Status != "ok" {
		t.Errorf("healthz without a database = %+v, %v; want ok: the process is up", h, err)
	}
}
