// Package storetest is the conformance suite every storage engine passes. It drives the
// service over a real engine; the only fake is a wrapper that injects a fault at a chosen step.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// Harness is what an engine gives the suite.
type Harness struct {
	// Open returns a migrated store on an empty database of its own, closed when tb ends.
	Open func(tb testing.TB) saldo.Store
	// Query returns the rows a query finds as raw column values, read outside the service.
	Query func(tb testing.TB, s saldo.Store, sql string, args ...any) [][]any
	// Exec runs a statement outside the service, to set up states no route reaches yet.
	Exec func(tb testing.TB, s saldo.Store, sql string, args ...any)
}

// Rows returns every row of table as raw column values, read outside the service.
func (h Harness) Rows(tb testing.TB, s saldo.Store, table string) [][]any {
	tb.Helper()
	return h.Query(tb, s, "SELECT * FROM "+table)
}

// Tables holds every table a customer create writes to.
var Tables = []string{"customers", "balances", "customer_tokens", "composite_parents", "events", "idempotency_keys"}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("Partners", func(t *testing.T) { testPartners(t, h) })
	t.Run("CreateCustomerWritesEveryRow", func(t *testing.T) { testCreateWritesEveryRow(t, h) })
	t.Run("CreateCustomerWithoutCompositeBalances", func(t *testing.T) { testCreateWithoutComposite(t, h) })
	t.Run("SecretsAreStoredAsHashesOnly", func(t *testing.T) { testSecretsHashed(t, h) })
	t.Run("DuplicatesNameEveryTakenField", func(t *testing.T) { testDuplicates(t, h) })
	t.Run("EverySpellingOfOneIdentifierIsOneCustomer", func(t *testing.T) { testSpellings(t, h) })
	t.Run("UniquenessIsPerPartner", func(t *testing.T) { testUniquenessPerPartner(t, h) })
	t.Run("ConcurrentCreatesWithOneEmailHaveOneWinner", func(t *testing.T) { testConcurrentSameEmail(t, h) })
	t.Run("ConcurrentCreatesOfDistinctCustomersAllSucceed", func(t *testing.T) { testConcurrentDistinctCreates(t, h) })
	t.Run("FailureAtEachStepLeavesNoTrace", func(t *testing.T) { testFaultAtEachStep(t, h) })
	t.Run("OtherPartnersCustomerIsNotFound", func(t *testing.T) { testCrossTenant(t, h) })
	t.Run("ACachedTokenRotatedElsewhereIsRefusedByTheWrite", func(t *testing.T) { testCachedTokenRotated(t, h) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, h) })
	t.Run("Composite", func(t *testing.T) { testComposite(t, h) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, h) })
	t.Run("Ledger", func(t *testing.T) { testLedger(t, h) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, h) })
	t.Run("Feed", func(t *testing.T) { testFeed(t, h) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, h) })
	t.Run("Credit", func(t *testing.T) { testCredit(t, h) })
	t.Run("Billing", func(t *testing.T) { testBilling(t, h) })
	t.Run("RekeyBringsOldCustomersToTheCurrentRules", func(t *testing.T) { testRekey(t, h) })
	t.Run("ConcurrentRekeysRekeyEachCustomerOnce", func(t *testing.T) { testRekeyConcurrently(t, h) })
	t.Run("Operators", func(t *testing.T) { testOperators(t, h) })
	t.Run("GroupCommit", func(t *testing.T) { testGroupCommit(t, h) })
}

// Fixture is a service over a fresh store with a clock the test controls.
type Fixture struct {
	Store   saldo.Store
	Service *saldo.Service
	Clock   *saldo.ManualClock
}

// Now is the instant every fixture's clock starts at: 10:26 in Mexico City.
var Now = time.Date(2026, 11, 24, 16, 26, 49, 0, time.UTC)

// NewFixture opens a store through h.
func NewFixture(tb testing.TB, h Harness) *Fixture {
	tb.Helper()
	s := h.Open(tb)
	clock := saldo.NewManualClock(Now)
	return &Fixture{Store: s, Service: saldo.NewService(s, clock), Clock: clock}
}

// Partner registers a partner with settings n (a name is filled in when empty).
func (f *Fixture) Partner(tb testing.TB, n saldo.NewPartner) *saldo.Partner {
	tb.Helper()
	if n.Name == "" {
		n.Name = "partner"
	}
	e, _, err := f.Service.CreatePartner(context.Background(), n)
	if err != nil {
		tb.Fatalf("CreatePartner: %v", err)
	}
	return e
}

func composite(req saldo.CreateCustomerRequest, creditLine string) saldo.CreateCustomerRequest {
	req.CompositeCreditLine = creditLine
	return req
}

func testPartners(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e, token, err := f.Service.CreatePartner(ctx, saldo.NewPartner{Name: "tienda", CompositeBalances: true, StrictRFC: true})
	if err != nil {
		t.Fatal(err)
	}
	if !saldo.IsSecretShape(token, saldo.PartnerTokenPrefix) {
		t.Errorf("token %q is not ek_ + 64 hex", token)
	}
	got, err := f.Service.AuthenticatePartner(ctx, token)
	if err != nil {
		t.Fatalf("authenticate with the new token: %v", err)
	}
	if got.ID != e.ID || got.Name != "tienda" || !got.CompositeBalances || !got.StrictRFC ||
		got.MaxCreditLine != saldo.DefaultMaxCreditLine || got.OAuthTokenTTL != time.Hour ||
		got.RefreshTokenTTL != 90*24*time.Hour || got.PaymentDueDays != 10 || got.MaxKYCLevel != 3 {
		t.Errorf("stored partner = %+v", got)
	}
	if !got.CreatedAt.Equal(Now) {
		t.Errorf("created_at = %v, want %v", got.CreatedAt, Now)
	}

	rotated, err := f.Service.RotatePartnerToken(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Service.AuthenticatePartner(ctx, token); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
		t.Errorf("old token after rotation: err = %v, want unauthorized", err)
	}
	if _, err := f.Service.AuthenticatePartner(ctx, rotated); err != nil {
		t.Errorf("rotated token: %v", err)
	}
	if _, err := f.Service.RotatePartnerToken(ctx, e.ID+1000); saldo.ErrorCode(err) != saldo.ENOTFOUND {
		t.Errorf("rotate an unknown partner: err = %v, want not found", err)
	}
	if _, err := f.Service.AuthenticatePartner(ctx, saldo.NewSecret(saldo.PartnerTokenPrefix)); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
		t.Errorf("unknown token: err = %v, want unauthorized", err)
	}

	f.Partner(t, saldo.NewPartner{Name: "otra"})
	list, err := f.Service.Partners(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "tienda" || list[1].Name != "otra" {
		t.Errorf("Partners() = %v, %v; want tienda and otra in order", list, err)
	}
}

func testCreateWritesEveryRow(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{CompositeBalances: true, BillingDay: 5})
	req := composite(gen.Level3(gen.Customer("", 1)), "10000000")
	req.Password = "correct horse battery"
	req.DeviceID = "phone-1"

	out, err := f.Service.CreateCustomer(ctx, e, req, nil)
	if err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	c := out.Customer
	if c.ID == 0 || c.PartnerID != e.ID || c.AccountLevel != 3 || c.AccountStatus != 1 {
		t.Errorf("customer = id %d ecommerce %d level %d status %d", c.ID, c.PartnerID, c.AccountLevel, c.AccountStatus)
	}
	if out.Wallet.ID == 0 || out.Wallet.Kind != saldo.BalanceWallet || out.Wallet.Amount != 0 || out.Wallet.Status != 1 {
		t.Errorf("wallet = %+v", out.Wallet)
	}
	p := out.Parent
	if p == nil {
		t.Fatal("no composite parent for a partner with composite balances")
	}
	if len(p.ID) != 32 || p.CreditLine != 10000000 || p.BalanceID == 0 || p.BalanceID == out.Wallet.ID || p.BillingDay != 5 {
		t.Errorf("parent = %+v", p)
	}
	if out.Tokens.DeviceID != "phone-1" || !out.Tokens.OAuthExpiresAt.Equal(Now.Add(time.Hour)) ||
		!out.Tokens.RefreshExpiresAt.Equal(Now.Add(90*24*time.Hour)) {
		t.Errorf("tokens = device %q, expiries %v %v", out.Tokens.DeviceID, out.Tokens.OAuthExpiresAt, out.Tokens.RefreshExpiresAt)
	}

	profile, err := f.Service.Customer(ctx, e, c.ID)
	if err != nil {
		t.Fatalf("Customer: %v", err)
	}
	stored := profile.Customer
	if !stored.CreatedAt.Equal(Now) {
		t.Errorf("created_at = %v, want %v", stored.CreatedAt, Now)
	}
	stored.CreatedAt, c.CreatedAt = time.Time{}, time.Time{}
	if stored != c {
		t.Errorf("read back customer differs:\n got %+v\nwant %+v", stored, c)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || strings.Contains(stored.PasswordHash, req.Password) {
		t.Errorf("password stored as %q, want an argon2id hash", stored.PasswordHash)
	}
	if profile.Wallet.ID != out.Wallet.ID || profile.Parent == nil || profile.Parent.ID != p.ID || profile.Parent.CreditLine != p.CreditLine {
		t.Errorf("profile wallet %d parent %+v, want wallet %d parent %s", profile.Wallet.ID, profile.Parent, out.Wallet.ID, p.ID)
	}

	want := map[string]int{"customers": 1, "balances": 2, "customer_tokens": 3, "composite_parents": 1, "events": 2}
	for table, n := range want {
		if got := len(h.Rows(t, f.Store, table)); got != n {
			t.Errorf("%s has %d rows, want %d", table, got, n)
		}
	}
	events := fmt.Sprint(h.Rows(t, f.Store, "events"))
	for _, typ := range []string{saldo.EventCustomerCreated, saldo.EventCompositeParentCreated} {
		if !strings.Contains(events, typ) {
			t.Errorf("no %s event in %s", typ, events)
		}
	}
	for _, personal := range []string{req.Email, req.Mobile, req.RFC, req.CURP} {
		if strings.Contains(events, personal) {
			t.Errorf("events hold personal data %q", personal)
		}
	}
}

func testCreateWithoutComposite(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	out, err := f.Service.CreateCustomer(ctx, e, gen.Customer("", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Parent != nil || out.Customer.AccountLevel != 1 {
		t.Errorf("parent = %v, level = %d; want no parent, level 1", out.Parent, out.Customer.AccountLevel)
	}
	if got := len(h.Rows(t, f.Store, "composite_parents")); got != 0 {
		t.Errorf("composite_parents has %d rows, want 0", got)
	}
	profile, err := f.Service.Customer(ctx, e, out.Customer.ID)
	if err != nil || profile.Parent != nil {
		t.Errorf("profile parent = %v, err %v; want none", profile, err)
	}
}

func testSecretsHashed(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e, partnerToken, err := f.Service.CreatePartner(ctx, saldo.NewPartner{Name: "p", CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	req := composite(gen.Customer("", 7), "0")
	req.Password = "s3cret-passw0rd"
	out, err := f.Service.CreateCustomer(ctx, e, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{partnerToken, out.Tokens.OAuthToken, out.Tokens.RefreshToken, out.Tokens.PrivateKey, req.Password}
	for _, table := range append([]string{"ecommerces"}, Tables...) {
		dump := dumpRows(h.Rows(t, f.Store, table))
		for _, s := range secrets {
			if strings.Contains(dump, s) || strings.Contains(dump, strings.TrimPrefix(s, saldo.PrivateKeyPrefix)) {
				t.Errorf("table %s holds a secret in clear", table)
			}
		}
	}
}

// dumpRows renders raw values as text, byte slices both raw and as hex, so a secret stored
// in either form is found.
func dumpRows(rows [][]any) string {
	var b strings.Builder
	for _, r := range rows {
		for _, v := range r {
			if bs, ok := v.([]byte); ok {
				fmt.Fprintf(&b, "%s|%x|", bs, bs)
				continue
			}
			fmt.Fprintf(&b, "%v|", v)
		}
	}
	return b.String()
}

// testSpellings: the spellings of one address or one phone number that the attacker found
// each made a second customer; each is now the same identifier.
func testSpellings(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	taken := []struct{ email, code string }{
		{"σοφια@example.gr", "52"}, {"jos\u00e9@example.com", "52"}, {"juan@example.com", "52"},
		{"strasse@example.de", "52"}, {"sofia@example.com", "52"},
	}
	for i, c := range taken {
		req := gen.Customer("", uint64(i+1))
		req.Email = c.email
		if _, err := f.Service.CreateCustomer(ctx, e, req, nil); err != nil {
			t.Fatal(err)
		}
	}
	other := uint64(100)
	for _, tt := range []struct {
		name, email, code, mobileOf string
		hint                        string
	}{
		{"Greek capitals", "ΣΟΦΙΑ@EXAMPLE.GR", "", "", "email:duplicate"},
		{"decomposed accent", "jose\u0301@example.com", "", "", "email:duplicate"},
		{"fullwidth letters", "\uff4a\uff55\uff41\uff4e@example.com", "", "", "email:duplicate"},
		{"sharp s", "stra\u00dfe@example.de", "", "", "email:duplicate"},
		{"long s", "\u017fofia@example.com", "", "", "email:duplicate"},
		{"country code with a leading zero", "", "052", "juan@example.com", "mobile:duplicate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			other++
			req := gen.Customer("", other)
			if tt.email != "" {
				req.Email = tt.email
			}
			if tt.mobileOf != "" {
				req.Mobile, req.MobileCountryCode = gen.Customer("", 3).Mobile, tt.code
			}
			_, err := f.Service.CreateCustomer(ctx, e, req, nil)
			if saldo.ErrorCode(err) != saldo.ECONFLICT || !slices.Equal(saldo.ErrorHints(err), []string{tt.hint}) {
				t.Errorf("err = %v, want conflict naming %s", err, tt.hint)
			}
		})
	}
	if got := len(h.Rows(t, f.Store, "customers")); got != len(taken) {
		t.Errorf("%d customers, want %d", got, len(taken))
	}
}

func testDuplicates(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	first := gen.Customer("", 1)
	if _, err := f.Service.CreateCustomer(ctx, e, first, nil); err != nil {
		t.Fatal(err)
	}
	other := gen.Customer("", 2)
	tests := []struct {
		name  string
		req   saldo.CreateCustomerRequest
		hints []string
	}{
		{"every identifier taken", first, []string{"email:duplicate", "mobile:duplicate", "rfc:duplicate", "curp:duplicate"}},
		{"email differs only in case", with(other, func(r *saldo.CreateCustomerRequest) { r.Email = strings.ToUpper(first.Email) }), []string{"email:duplicate"}},
		{"mobile alone", with(other, func(r *saldo.CreateCustomerRequest) { r.Mobile = first.Mobile }), []string{"mobile:duplicate"}},
		{"rfc alone", with(other, func(r *saldo.CreateCustomerRequest) { r.RFC = first.RFC }), []string{"rfc:duplicate"}},
		{"curp alone", with(other, func(r *saldo.CreateCustomerRequest) { r.CURP = first.CURP }), []string{"curp:duplicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Service.CreateCustomer(ctx, e, tt.req, nil)
			if saldo.ErrorCode(err) != saldo.ECONFLICT {
				t.Fatalf("err = %v, want conflict", err)
			}
			got := saldo.ErrorHints(err)
			slices.Sort(got)
			want := slices.Clone(tt.hints)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("hints = %v, want %v", got, want)
			}
		})
	}
	t.Run("same mobile under another country code", func(t *testing.T) {
		r := with(other, func(r *saldo.CreateCustomerRequest) { r.Mobile, r.MobileCountryCode = first.Mobile, "+1" })
		if _, err := f.Service.CreateCustomer(ctx, e, r, nil); err != nil {
			t.Errorf("err = %v, want success", err)
		}
	})
	t.Run("generic RFCs are shared", func(t *testing.T) {
		for i, rfc := range []string{"XAXX010101000", "XAXX010101000", "XEXX010101000"} {
			r := gen.Customer("generic", uint64(100+i))
			r.RFC = rfc
			if _, err := f.Service.CreateCustomer(ctx, e, r, nil); err != nil {
				t.Errorf("customer %d with %s: %v", i, rfc, err)
			}
		}
	})
}

func with(r saldo.CreateCustomerRequest, change func(*saldo.CreateCustomerRequest)) saldo.CreateCustomerRequest {
	change(&r)
	return r
}

func testUniquenessPerPartner(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	a := f.Partner(t, saldo.NewPartner{Name: "a"})
	b := f.Partner(t, saldo.NewPartner{Name: "b"})
	req := gen.Customer("", 1)
	if _, err := f.Service.CreateCustomer(ctx, a, req, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Service.CreateCustomer(ctx, b, req, nil); err != nil {
		t.Errorf("the same person at a second partner: %v", err)
	}
}

func testConcurrentSameEmail(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	const n = 12
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		wins      int
		conflicts int
		others    []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every other identifier differs: only the email collides.
			req := gen.Customer("", uint64(1000+i))
			req.Email = "same@example.com"
			_, err := f.Service.CreateCustomer(ctx, e, req, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case saldo.ErrorCode(err) == saldo.ECONFLICT && slices.Contains(saldo.ErrorHints(err), "email:duplicate"):
				conflicts++
			default:
				others = append(others, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != n-1 || len(others) > 0 {
		t.Errorf("%d created, %d conflicts naming the email, other errors %v; want 1 and %d", wins, conflicts, others, n-1)
	}
	if got := len(h.Rows(t, f.Store, "customers")); got != 1 {
		t.Errorf("customers has %d rows, want 1", got)
	}
}

// Creates of different customers have nothing to wait for or refuse, so concurrent ones all
// succeed, at any isolation: at SERIALIZABLE none may run out of retries by reading what the
// others write.
func testConcurrentDistinctCreates(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{CompositeBalances: true})
	const workers, each = 8, 50
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				_, err := f.Service.CreateCustomer(ctx, e, composite(gen.Customer("", uint64(5000+w*each+i)), "100000"), nil)
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed <= 3 {
			t.Errorf("create failed: %v", err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d concurrent creates of distinct customers failed, want 0", failed, workers*each)
	}
	for table, want := range map[string]int{"customers": workers * each, "composite_parents": workers * each, "balances": 2 * workers * each} {
		if got := len(h.Rows(t, f.Store, table)); got != want {
			t.Errorf("%s has %d rows after %d creates, want %d", table, got, workers*each, want)
		}
	}
}

// errInjected is the failure the fault store injects.
var errInjected = errors.New("injected fault")

// faultStore fails a create after the step it names, once that step's rows are written, or at
// commit, after every row is written. An engine may hold inserts back to send them together
// (saldo.Tx); the fault flushes them first, so that the rows are in the database, inside the
// transaction, when it strikes.
type faultStore struct {
	saldo.Store
	step string
}

func (s *faultStore) Update(ctx context.Context, fn func(saldo.Tx) error) error {
	return s.Store.Update(ctx, func(tx saldo.Tx) error {
		if err := fn(&faultTx{Tx: tx, step: s.step}); err != nil {
			return err
		}
		if s.step == "commit" {
			return inject(ctx, tx)
		}
		return nil
	})
}

type faultTx struct {
	saldo.Tx
	step string
}

func (t *faultTx) after(ctx context.Context, step string, err error) error {
	if err == nil && t.step == step {
		return inject(ctx, t.Tx)
	}
	return err
}

// inject sends what tx holds back, then fails.
func inject(ctx context.Context, tx saldo.Tx) error {
	if f, ok := tx.(interface{ Flush(context.Context) error }); ok {
		if err := f.Flush(ctx); err != nil {
			return fmt.Errorf("flush before the fault: %w", err)
		}
	}
	return errInjected
}

func (t *faultTx) InsertCustomer(ctx context.Context, c *saldo.Customer) error {
	return t.after(ctx, "customer", t.Tx.InsertCustomer(ctx, c))
}

// balanceSteps names the fault steps of the balances a write inserts.
var balanceSteps = map[saldo.BalanceKind]string{
	saldo.BalanceWallet:          "wallet",
	saldo.BalanceCompositeParent: "parent balance",
	saldo.BalanceCompositeChild:  "child balance",
}

func (t *faultTx) InsertBalance(ctx context.Context, b *saldo.Balance) error {
	return t.after(ctx, balanceSteps[b.Kind], t.Tx.InsertBalance(ctx, b))
}

func (t *faultTx) InsertTokens(ctx context.Context, tokens []saldo.Token) error {
	return t.after(ctx, "tokens", t.Tx.InsertTokens(ctx, tokens))
}

func (t *faultTx) InsertCompositeParent(ctx context.Context, p *saldo.CompositeParent) error {
	return t.after(ctx, "parent", t.Tx.InsertCompositeParent(ctx, p))
}

func (t *faultTx) InsertEvents(ctx context.Context, events []saldo.Event) error {
	return t.after(ctx, "events", t.Tx.InsertEvents(ctx, events))
}

func (t *faultTx) InsertTransaction(ctx context.Context, lt *saldo.LedgerTransaction) error {
	return t.after(ctx, "transaction", t.Tx.InsertTransaction(ctx, lt))
}

func (t *faultTx) Move(ctx context.Context, from, to, amount int64, limit saldo.Limit) (saldo.BalanceAmounts, saldo.BalanceAmounts, error) {
	a, b, err := t.Tx.Move(ctx, from, to, amount, limit)
	return a, b, t.after(ctx, "move", err)
}

// A transfer moves its money in ReadTransfers, and in Move only when that moved nothing.
func (t *faultTx) ReadTransfers(ctx context.Context, qs ...saldo.TransferQuery) ([]saldo.TransferRead, error) {
	reads, err := t.Tx.ReadTransfers(ctx, qs...)
	return reads, t.after(ctx, "move", err)
}

// A batch of transfers moves its money in memory, then writes it with ApplyMoves.
func (t *faultTx) ApplyMoves(ctx context.Context, changes []saldo.BalanceChange) error {
	return t.after(ctx, "move", t.Tx.ApplyMoves(ctx, changes))
}

func (t *faultTx) ChargeChild(ctx context.Context, partnerID, childID, posted, hold, overlimit int64) (saldo.ChildCredit, error) {
	c, err := t.Tx.ChargeChild(ctx, partnerID, childID, posted, hold, overlimit)
	return c, t.after(ctx, "charge", err)
}

func (t *faultTx) AddDeposit(ctx context.Context, balanceID int64, month string, amount int64, limit saldo.Limit) error {
	return t.after(ctx, "deposit", t.Tx.AddDeposit(ctx, balanceID, month, amount, limit))
}

func (t *faultTx) InsertEntries(ctx context.Context, entries []saldo.Entry) error {
	return t.after(ctx, "entries", t.Tx.InsertEntries(ctx, entries))
}

func (t *faultTx) UpdateCustomer(ctx context.Context, c *saldo.Customer) error {
	return t.after(ctx, "update", t.Tx.UpdateCustomer(ctx, c))
}

func errorsIsInjected(err error) bool { return errors.Is(err, errInjected) }

func (t *faultTx) InsertIdempotencyRecord(ctx context.Context, rec *saldo.IdempotencyRecord) error {
	return t.after(ctx, "key", t.Tx.InsertIdempotencyRecord(ctx, rec))
}

func testFaultAtEachStep(t *testing.T, h Harness) {
	ctx := context.Background()
	steps := []string{"customer", "wallet", "tokens", "parent balance", "parent", "events", "commit"}
	for i, step := range steps {
		t.Run("after "+step, func(t *testing.T) {
			f := NewFixture(t, h)
			e := f.Partner(t, saldo.NewPartner{CompositeBalances: true})
			req := composite(gen.Customer("", uint64(i)), "5000")

			faulty := saldo.NewService(&faultStore{Store: f.Store, step: step}, f.Clock)
			if _, err := faulty.CreateCustomer(ctx, e, req, nil); !errors.Is(err, errInjected) {
				t.Fatalf("err = %v, want the injected fault", err)
			}
			for _, table := range Tables {
				if rows := h.Rows(t, f.Store, table); len(rows) != 0 {
					t.Errorf("%s keeps %d rows of the failed create", table, len(rows))
				}
			}
			out, err := f.Service.CreateCustomer(ctx, e, req, nil)
			if err != nil {
				t.Fatalf("the same request after the fault: %v", err)
			}
			if out.Parent == nil {
				t.Error("the retried create has no parent")
			}
		})
	}
}

// A process answers a partner's creates from its cache of partners. When another process (the
// CLI, another replica) rotates the token, this one's next create with the old token is
// refused by the create's own transaction: 401, no row, nothing stored under its key.
func testCachedTokenRotated(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e, token, err := f.Service.CreatePartner(ctx, saldo.NewPartner{Name: "tienda", CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	// The first authentication reads the database and fills the cache; the second answers
	// from it.
	if _, err := f.Service.AuthenticatePartnerForWrite(ctx, token); err != nil {
		t.Fatal(err)
	}
	cached, err := f.Service.AuthenticatePartnerForWrite(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Service.CreateCustomer(ctx, cached, composite(gen.Customer("", 1), "100"), nil); err != nil {
		t.Fatalf("create with the cached partner: %v", err)
	}

	other := saldo.NewService(f.Store, f.Clock) // another process on the same database
	rotated, err := other.RotatePartnerToken(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}

	stale, err := f.Service.AuthenticatePartnerForWrite(ctx, token)
	if err != nil {
		t.Fatalf("the cache should still answer for the old token: %v", err)
	}
	invalid := composite(gen.Customer("", 2), "100")
	invalid.Email = "not an email"
	for _, tt := range []struct {
		name string
		req  saldo.CreateCustomerRequest
		idem *saldo.Idempotency[*saldo.CreatedCustomer]
	}{
		{"without a key", composite(gen.Customer("", 2), "100"), nil},
		{"with a key", composite(gen.Customer("", 2), "100"), idempotent("k-rotated", "create")},
		// Validation runs before the write's transaction: the token is checked all the same.
		{"an invalid request", invalid, nil},
	} {
		_, err := f.Service.CreateCustomer(ctx, stale, tt.req, tt.idem)
		if saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
			t.Errorf("%s: create with the rotated token: err = %v, want unauthorized", tt.name, err)
		}
	}
	if got := len(h.Rows(t, f.Store, "customers")); got != 1 {
		t.Errorf("customers has %d rows, want the 1 created before the rotation", got)
	}
	if got := len(h.Rows(t, f.Store, "idempotency_keys")); got != 0 {
		t.Errorf("idempotency_keys has %d rows, want none: the refusal was not the partner's", got)
	}
	// The refusal dropped the entry: the old token now reads the database, and fails there.
	if _, err := f.Service.AuthenticatePartnerForWrite(ctx, token); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
		t.Errorf("authenticate with the old token after the refusal: %v, want unauthorized", err)
	}
	fresh, err := f.Service.AuthenticatePartnerForWrite(ctx, rotated)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Service.CreateCustomer(ctx, fresh, composite(gen.Customer("", 3), "100"), nil); err != nil {
		t.Errorf("create with the new token: %v", err)
	}
}

func testCrossTenant(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	a := f.Partner(t, saldo.NewPartner{Name: "a", CompositeBalances: true})
	b := f.Partner(t, saldo.NewPartner{Name: "b"})
	out, err := f.Service.CreateCustomer(ctx, a, composite(gen.Customer("", 1), "100"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Service.Customer(ctx, b, out.Customer.ID); saldo.ErrorCode(err) != saldo.ENOTFOUND {
		t.Errorf("partner b reading a's customer: err = %v, want not found", err)
	}
	if _, err := f.Service.Customer(ctx, a, out.Customer.ID+1); saldo.ErrorCode(err) != saldo.ENOTFOUND {
		t.Errorf("unknown id: err = %v, want not found", err)
	}
}

// toInt64 is an integer column's raw value, whichever integer type the driver gave.
func toInt64(tb testing.TB, v any) int64 {
	tb.Helper()
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case int:
		return int64(n)
	}
	tb.Fatalf("%v (%T) is not an integer", v, v)
	return 0
}
