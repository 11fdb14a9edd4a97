package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// testLifecycle is the customer lifecycle of the contract's §11 on an engine.
func testLifecycle(t *testing.T, h Harness) {
	t.Run("AnUpdateChangesTheProfileAndRaisesTheLevel", func(t *testing.T) { testUpdateRaisesLevel(t, h) })
	t.Run("AnUpdateIsCheckedByTheCreatesRules", func(t *testing.T) { testUpdateRules(t, h) })
	t.Run("ConcurrentUpdatesToOneEmailHaveOneWinner", func(t *testing.T) { testConcurrentUpdates(t, h) })
	t.Run("AFaultAtEachStepOfAnUpdateLeavesTheOldProfile", func(t *testing.T) { testUpdateFault(t, h) })
	t.Run("ABlockedCustomerIsRefusedAndStillRead", func(t *testing.T) { testBlock(t, h) })
	t.Run("NoTransferCommitsAfterABlock", func(t *testing.T) { testTransferRacingBlock(t, h) })
	t.Run("ClosingNeedsNothingLeftAndIsFinal", func(t *testing.T) { testClose(t, h) })
	t.Run("SearchFindsByNormalisedIdentifiers", func(t *testing.T) { testSearch(t, h) })
}

func (f *ledgerFixture) update(id int64, r saldo.CreateCustomerRequest) (*saldo.CustomerProfile, error) {
	return f.Service.UpdateCustomer(context.Background(), f.partner, id, r, nil)
}

func (f *ledgerFixture) setStatus(id int64, status int) (*saldo.CustomerProfile, error) {
	return f.Service.SetCustomerStatus(context.Background(), f.partner, saldo.StatusChange{CustomerID: id, Status: status, Reason: "test"}, nil)
}

// eventsOf returns the payloads of the events of type typ about subject, oldest first.
func (f *ledgerFixture) eventsOf(t testing.TB, typ string, subject int64) []string {
	t.Helper()
	var out []string
	for _, row := range f.h.Query(t, f.Store, "SELECT payload FROM events WHERE type = $1 AND subject_id = $2 ORDER BY id", typ, fmt.Sprint(subject)) {
		switch p := row[0].(type) {
		case string:
			out = append(out, p)
		case []byte:
			out = append(out, string(p))
		default: // PostgreSQL's jsonb, read as a map
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	return out
}

func testUpdateRaisesLevel(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	c := f.customer(t)
	if c.Customer.AccountLevel != 1 {
		t.Fatalf("level %d at creation, want 1", c.Customer.AccountLevel)
	}
	p, err := f.update(c.Customer.ID, saldo.CreateCustomerRequest{Telephone: "5555555555"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Customer.Telephone != "5555555555" || p.Customer.Email != c.Customer.Email || p.Customer.AccountLevel != 1 || p.Wallet.ID != c.Wallet.ID {
		t.Errorf("after a telephone update: %+v", p.Customer)
	}
	// The documents of level 3, and the address of level 2, raise the level to 3.
	full := gen.Level3(saldo.CreateCustomerRequest{})
	p, err = f.update(c.Customer.ID, full)
	if err != nil {
		t.Fatal(err)
	}
	if p.Customer.AccountLevel != 3 || p.Customer.Street != full.Street || p.Customer.Telephone != "5555555555" {
		t.Errorf("after the level 3 data: level %d, street %q, telephone %q", p.Customer.AccountLevel, p.Customer.Street, p.Customer.Telephone)
	}
	// Asking for a lower level lowers nothing.
	p, err = f.update(c.Customer.ID, saldo.CreateCustomerRequest{KYCLevel: "1", City: "Puebla"})
	if err != nil || p.Customer.AccountLevel != 3 {
		t.Errorf("kyc_level 1 asked of a level 3 customer: level %v, %v", p, err)
	}
	updates := f.eventsOf(t, saldo.EventCustomerUpdated, c.Customer.ID)
	levels := f.eventsOf(t, saldo.EventCustomerLevelChanged, c.Customer.ID)
	if len(updates) != 3 || len(levels) != 1 {
		t.Fatalf("%d customer.updated and %d customer.level_changed events, want 3 and 1", len(updates), len(levels))
	}
	for _, want := range []string{`"telephone"`, `"street"`, `"selfie"`} {
		if !slices.ContainsFunc(updates, func(p string) bool { return containsAll(p, want) }) {
			t.Errorf("no customer.updated names %s: %v", want, updates)
		}
	}
	if containsAll(updates[0], "5555555555") {
		t.Errorf("customer.updated carries a value: %s", updates[0])
	}
	if !containsAll(levels[0], `"from":1`, `"to":3`) {
		t.Errorf("customer.level_changed = %s, want from 1 to 3", levels[0])
	}
	// An update that changes nothing records nothing.
	if _, err := f.update(c.Customer.ID, saldo.CreateCustomerRequest{City: "Puebla"}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.eventsOf(t, saldo.EventCustomerUpdated, c.Customer.ID)); n != 3 {
		t.Errorf("%d customer.updated events after an update that changed nothing, want 3", n)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func testUpdateRules(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	a, b := f.customer(t), f.customer(t)
	_, err := f.update(a.Customer.ID, saldo.CreateCustomerRequest{KYCLevel: "2", Street: "Reforma"})
	for _, hint := range []string{"exterior:required_for_level_2", "colony:required_for_level_2", "zipcode:required_for_level_2"} {
		wantCode(t, err, saldo.EINVALID, hint)
	}
	_, err = f.update(a.Customer.ID, saldo.CreateCustomerRequest{Email: "not-an-email", Zipcode: "1"})
	wantCode(t, err, saldo.EINVALID, "email:invalid")
	wantCode(t, err, saldo.EINVALID, "zipcode:invalid")
	_, err = f.update(a.Customer.ID, saldo.CreateCustomerRequest{Gender: "3"})
	wantCode(t, err, saldo.EINVALID, "gender:not_allowed")
	_, err = f.update(a.Customer.ID, saldo.CreateCustomerRequest{Password: "a-new-password"})
	wantCode(t, err, saldo.EINVALID, "password:not_allowed")
	// Female to male is not a change of account type.
	if p, err := f.update(a.Customer.ID, saldo.CreateCustomerRequest{Gender: "1"}); err != nil || p.Customer.Gender != 1 {
		t.Errorf("gender 2 to 1: %v, %v", p, err)
	}
	_, err = f.update(a.Customer.ID, saldo.CreateCustomerRequest{Email: " " + b.Customer.Email + " ", RFC: b.Customer.RFC})
	wantCode(t, err, saldo.ECONFLICT, "email:duplicate")
	wantCode(t, err, saldo.ECONFLICT, "rfc:duplicate")
	// Its own identifiers are no duplicates.
	if _, err := f.update(a.Customer.ID, saldo.CreateCustomerRequest{Email: a.Customer.Email, CURP: a.Customer.CURP}); err != nil {
		t.Errorf("an update repeating the customer's own identifiers: %v", err)
	}
	stranger := f.Partner(t, saldo.NewPartner{Name: "otra"})
	_, err = f.Service.UpdateCustomer(context.Background(), stranger, a.Customer.ID, saldo.CreateCustomerRequest{City: "León"}, nil)
	wantCode(t, err, saldo.ENOTFOUND, "customer_id:not_found")
}

func testConcurrentUpdates(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	customers := []*saldo.CreatedCustomer{f.customer(t), f.customer(t), f.customer(t), f.customer(t)}
	got := outcomes(t, len(customers), func(i int) error {
		_, err := f.update(customers[i].Customer.ID, saldo.CreateCustomerRequest{Email: "shared@example.com"})
		return err
	})
	if got[""] != 1 || got[saldo.ECONFLICT] != len(customers)-1 {
		t.Errorf("outcomes %v, want one success and the rest conflicts", got)
	}
	if n := f.count(t, "SELECT count(*) FROM customers WHERE email = 'shared@example.com'"); n != 1 {
		t.Errorf("%d customers hold the shared email", n)
	}
}

func testUpdateFault(t *testing.T, h Harness) {
	for _, step := range []string{"update", "events", "commit"} {
		t.Run("after "+step, func(t *testing.T) {
			f := newLedgerFixture(t, h)
			c := f.customer(t)
			events := f.count(t, "SELECT count(*) FROM events")
			faulty := saldo.NewService(&faultStore{Store: f.Store, step: step}, f.Clock)
			_, err := faulty.UpdateCustomer(context.Background(), f.partner, c.Customer.ID, gen.Level3(saldo.CreateCustomerRequest{}), nil)
			if !errorsIsInjected(err) {
				t.Fatalf("err = %v, want the injected fault", err)
			}
			p, err := f.Service.Customer(context.Background(), f.partner, c.Customer.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.Customer.Street != "" || p.Customer.AccountLevel != 1 {
				t.Errorf("after the fault: street %q, level %d; want the old profile", p.Customer.Street, p.Customer.AccountLevel)
			}
			if n := f.count(t, "SELECT count(*) FROM events"); n != events {
				t.Errorf("%d events after the fault, had %d", n, events)
			}
		})
	}
}

func testBlock(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	a, b := f.customer(t), f.customer(t)
	f.fund(t, a, 1_000)
	f.fund(t, b, 1_000)
	p, err := f.setStatus(a.Customer.ID, saldo.AccountStatusBlocked)
	if err != nil || p.Customer.AccountStatus != saldo.AccountStatusBlocked {
		t.Fatalf("block: %v, %v", p, err)
	}
	_, err = f.Service.AuthenticateCustomer(ctx, a.Tokens.OAuthToken)
	wantCode(t, err, saldo.EFORBIDDEN, "account:blocked")
	_, err = f.Service.ConnectionToken(ctx, f.partner, saldo.ConnectionTokenRequest{
		CustomerID: fmt.Sprint(a.Customer.ID), PrivateKey: a.Tokens.PrivateKey, DeviceID: "phone"}, nil)
	wantCode(t, err, saldo.EFORBIDDEN, "account:blocked")
	_, err = f.transfer(a, b, 100)
	wantCode(t, err, saldo.EFORBIDDEN, "account:blocked")
	_, err = f.Service.Cashout(ctx, f.partner, saldo.CashoutRequest{CustomerToken: a.Tokens.OAuthToken, CLABE: "032180000118359719", Amount: 1}, nil)
	wantCode(t, err, saldo.EFORBIDDEN, "account:blocked")
	_, err = f.transfer(b, a, 100)
	wantCode(t, err, saldo.ENOTACTIVE, "targetID:not_active")
	_, err = f.topUp(t, a, 100)
	wantCode(t, err, saldo.ENOTACTIVE, "customer:not_active")
	if in, err := f.Service.IntrospectToken(ctx, f.partner, a.Tokens.OAuthToken); err != nil || in.Active {
		t.Errorf("introspection of a blocked customer's token: %+v, %v; want inactive", in, err)
	}
	// The partner still reads everything.
	if _, err := f.Service.Customer(ctx, f.partner, a.Customer.ID); err != nil {
		t.Errorf("the partner reading a blocked customer: %v", err)
	}
	if f.amount(t, a) != 1_000 || f.amount(t, b) != 1_000 {
		t.Errorf("money moved while blocked: %d and %d", f.amount(t, a), f.amount(t, b))
	}
	if _, err := f.setStatus(a.Customer.ID, saldo.AccountStatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := f.transfer(a, b, 100); err != nil {
		t.Errorf("a transfer after unblocking: %v", err)
	}
	if n := len(f.eventsOf(t, saldo.EventCustomerStatusChanged, a.Customer.ID)); n != 2 {
		t.Errorf("%d customer.status_changed events, want 2", n)
	}
	f.verify(t)
}

// A transfer is either committed before a block or refused: once the block has committed,
// the source's balance never changes, whatever the transfers in flight had read.
func testTransferRacingBlock(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	f.unlimited(t)
	src := f.customer(t)
	targets := []*saldo.CreatedCustomer{f.customer(t), f.customer(t)}
	f.fund(t, src, 1_000_000)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		blocked bool
		atBlock int64
		late    []error
	)
	for i := range 8 {
		wg.Go(func() {
			for j := 0; ; j++ {
				mu.Lock()
				after := blocked
				mu.Unlock()
				_, err := f.transfer(src, targets[(i+j)%2], 1)
				if after {
					if err == nil {
						mu.Lock()
						late = append(late, fmt.Errorf("transfer %d/%d begun after the block succeeded", i, j))
						mu.Unlock()
					}
					return
				}
			}
		})
	}
	// Let the transfers run, then block while they go on.
	for range 20 {
		f.fund(t, targets[0], 1)
	}
	if _, err := f.setStatus(src.Customer.ID, saldo.AccountStatusBlocked); err != nil {
		t.Fatal(err)
	}
	atBlock = f.amount(t, src)
	mu.Lock()
	blocked = true
	mu.Unlock()
	wg.Wait()
	for _, err := range late {
		t.Error(err)
	}
	if now := f.amount(t, src); now != atBlock {
		t.Errorf("the source held %d when the block returned and %d after the transfers in flight ended", atBlock, now)
	}
	f.verify(t)
}

func testClose(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	c := f.customer(t)
	f.fund(t, c, 1_000)
	_, err := f.setStatus(c.Customer.ID, saldo.AccountStatusClosed)
	wantCode(t, err, saldo.ENOTACTIVE, "wallet:not_empty")
	// Emptied by a cash-out still pending: the money is on its way, and may come back.
	out, err := f.Service.Cashout(ctx, f.partner, saldo.CashoutRequest{CustomerToken: c.Tokens.OAuthToken, CLABE: "032180000118359719", Amount: 1_000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.setStatus(c.Customer.ID, saldo.AccountStatusClosed)
	wantCode(t, err, saldo.ENOTACTIVE, "holds:open")
	if _, err := f.Service.CompleteCashout(ctx, f.partner, saldo.CashoutOutcome{TransactionID: out.Transaction.ID}, nil); err != nil {
		t.Fatal(err)
	}
	p, err := f.setStatus(c.Customer.ID, saldo.AccountStatusClosed)
	if err != nil || p.Customer.AccountStatus != saldo.AccountStatusClosed {
		t.Fatalf("close an empty account: %v, %v", p, err)
	}
	_, err = f.Service.AuthenticateCustomer(ctx, c.Tokens.OAuthToken)
	wantCode(t, err, saldo.EUNAUTHORIZED, "")
	_, err = f.Service.ConnectionToken(ctx, f.partner, saldo.ConnectionTokenRequest{
		CustomerID: fmt.Sprint(c.Customer.ID), PrivateKey: c.Tokens.PrivateKey, DeviceID: "phone"}, nil)
	wantCode(t, err, saldo.EUNAUTHORIZED, "")
	_, err = f.setStatus(c.Customer.ID, saldo.AccountStatusActive)
	wantCode(t, err, saldo.ENOTACTIVE, "account:closed")
	_, err = f.update(c.Customer.ID, saldo.CreateCustomerRequest{City: "Mérida"})
	wantCode(t, err, saldo.ENOTACTIVE, "account:closed")
	// Its identifiers stay taken.
	again := gen.Customer("", 99)
	again.Email = c.Customer.Email
	_, err = f.Service.CreateCustomer(ctx, f.partner, again, nil)
	wantCode(t, err, saldo.ECONFLICT, "email:duplicate")
	f.verify(t)
}

func testSearch(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	var all []*saldo.CreatedCustomer
	for range 5 {
		all = append(all, f.customer(t))
	}
	if _, err := f.setStatus(all[1].Customer.ID, saldo.AccountStatusBlocked); err != nil {
		t.Fatal(err)
	}
	if _, err := f.update(all[2].Customer.ID, gen.Level3(saldo.CreateCustomerRequest{})); err != nil {
		t.Fatal(err)
	}
	other := f.Partner(t, saldo.NewPartner{Name: "otra"})
	if _, err := f.Service.CreateCustomer(ctx, other, gen.Customer("", 3), nil); err != nil { // the same email as all[2]
		t.Fatal(err)
	}
	search := func(q saldo.CustomerQuery) []int64 {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 20
		}
		found, _, err := f.Service.SearchCustomers(ctx, f.partner, q)
		if err != nil {
			t.Fatal(err)
		}
		ids := []int64{}
		for _, p := range found {
			if p.Wallet.ID == 0 {
				t.Errorf("customer %d found without its wallet", p.Customer.ID)
			}
			ids = append(ids, p.Customer.ID)
		}
		return ids
	}
	upper := strings.ToUpper(all[2].Customer.Email)
	tests := []struct {
		name string
		q    saldo.CustomerQuery
		want []int64
	}{
		{"everyone, in id order", saldo.CustomerQuery{}, ids(all...)},
		{"an email in capitals", saldo.CustomerQuery{Email: upper}, ids(all[2])},
		{"an RFC in lower case", saldo.CustomerQuery{RFC: strings.ToLower(all[3].Customer.RFC)}, ids(all[3])},
		{"a CURP", saldo.CustomerQuery{CURP: all[4].Customer.CURP}, ids(all[4])},
		{"a mobile", saldo.CustomerQuery{Mobile: all[0].Customer.Mobile}, ids(all[0])},
		{"blocked", saldo.CustomerQuery{Status: saldo.AccountStatusBlocked}, ids(all[1])},
		{"level 3", saldo.CustomerQuery{Level: 3}, ids(all[2])},
		{"nobody", saldo.CustomerQuery{Email: "nobody@example.com"}, []int64{}},
	}
	for _, tt := range tests {
		if got := search(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("%s: found %v, want %v", tt.name, got, tt.want)
		}
	}
	// Pages of two, until the last.
	var paged []int64
	q := saldo.CustomerQuery{Limit: 2}
	for pages := 0; ; pages++ {
		found, next, err := f.Service.SearchCustomers(ctx, f.partner, q)
		if err != nil || pages > 5 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, p := range found {
			paged = append(paged, p.Customer.ID)
		}
		if next == 0 {
			break
		}
		q.AfterID = next
	}
	if !slices.Equal(paged, ids(all...)) {
		t.Errorf("paged through %v, want %v", paged, ids(all...))
	}
	_, _, err := f.Service.SearchCustomers(ctx, f.partner, saldo.CustomerQuery{Limit: 101})
	wantCode(t, err, saldo.EINVALID, "limit:invalid")
}

func ids(cs ...*saldo.CreatedCustomer) []int64 {
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.Customer.ID)
	}
	return out
}
