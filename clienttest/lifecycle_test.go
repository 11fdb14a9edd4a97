package clienttest_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo/client"
	"github.com/saldo-mx/saldo/internal/gen"
)

func TestCustomerLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.composite
	a := f.mustCreate(t, 1, 10_000_000)
	b := f.mustCreate(t, 2, 10_000_000)

	// An update raises the level with the level 2 and 3 data.
	l3 := gen.Level3(gen.Customer("", 1))
	p, err := c.UpdateCustomer(ctx, a.ID, &client.UpdateAccountRequest{
		Street: l3.Street, Exterior: l3.Exterior, Colony: l3.Colony, City: l3.City, Zipcode: l3.Zipcode, StateID: 9, NationalityID: 1,
		IdentificationDocumentFront: l3.IdentificationDocumentFront, IdentificationDocumentBack: l3.IdentificationDocumentBack,
		IdentificationDocumentType: 1, AddressDocumentFront: l3.AddressDocumentFront, AddressDocumentType: 2, Selfie: l3.Selfie, KYCLevel: 3,
	})
	if err != nil || p.AccountLevel != 3 || p.City != l3.City || p.Email != a.Email || p.ID != a.ID {
		t.Fatalf("upgrade: %+v, %v", p, err)
	}
	// Refusals are typed, with every hint.
	_, err = c.UpdateCustomer(ctx, b.ID, &client.UpdateAccountRequest{Email: strings.ToUpper(a.Email), KYCLevel: 3})
	if e, ok := err.(*client.Error); !ok || e.Code != client.CodeValidation || !e.HasHint("selfie:required_for_level_3") {
		t.Errorf("kyc_level 3 without data: %v", err)
	}
	_, err = c.UpdateCustomer(ctx, b.ID, &client.UpdateAccountRequest{Email: strings.ToUpper(a.Email)})
	if !client.IsConflict(err) || !err.(*client.Error).HasHint("email:duplicate") {
		t.Errorf("another's email: %v", err)
	}
	if _, err = c.UpdateCustomer(ctx, 999999, &client.UpdateAccountRequest{City: "x"}); !client.IsNotFound(err) {
		t.Errorf("an unknown customer: %v", err)
	}

	// Blocked: the customer's own token is 4403; unblocked, it works again.
	p, err = c.SetCustomerStatus(ctx, b.ID, client.AccountStatusBlocked, "fraud review")
	if err != nil || p.AccountStatus != client.AccountStatusBlocked || p.AccountStatusString != "Blocked" || p.EwalletStatus != 2 {
		t.Fatalf("block: %+v, %v", p, err)
	}
	_, err = c.GetAccountAsCustomer(ctx, b.ID, b.OAuthToken)
	if !client.IsForbidden(err) || !err.(*client.Error).HasHint("account:blocked") || err.(*client.Error).StatusCode != 403 {
		t.Errorf("a blocked customer's token: %v", err)
	}
	if _, err = c.SetCustomerStatus(ctx, b.ID, client.AccountStatusActive, ""); err != nil {
		t.Fatal(err)
	}
	if _, err = c.GetAccountAsCustomer(ctx, b.ID, b.OAuthToken); err != nil {
		t.Errorf("an unblocked customer's token: %v", err)
	}
	if _, err = c.SetCustomerStatus(ctx, b.ID, 4, ""); err == nil || !err.(*client.Error).HasHint("status:invalid") {
		t.Errorf("status 4: %v", err)
	}

	// Closed: final, and its credentials are revoked.
	p, err = c.SetCustomerStatus(ctx, b.ID, client.AccountStatusClosed, "")
	if err != nil || p.AccountStatusString != "Closed" {
		t.Fatalf("close: %+v, %v", p, err)
	}
	if _, err = c.GetAccountAsCustomer(ctx, b.ID, b.OAuthToken); !client.IsUnauthorized(err) {
		t.Errorf("a closed customer's token: %v", err)
	}
	_, err = c.SetCustomerStatus(ctx, b.ID, client.AccountStatusActive, "")
	if e, ok := err.(*client.Error); !ok || e.Code != client.CodeAccountNotActive || !e.HasHint("account:closed") {
		t.Errorf("reopen: %v", err)
	}

	// Search: filters, and pages until NextCursor is "".
	f.mustCreate(t, 3, 10_000_000)
	page, err := c.SearchCustomers(ctx, &client.SearchCustomersOptions{Email: strings.ToUpper(a.Email)})
	if err != nil || len(page.Customers) != 1 || page.Customers[0].ID != a.ID || page.NextCursor != "" {
		t.Errorf("by email: %+v, %v", page, err)
	}
	page, err = c.SearchCustomers(ctx, &client.SearchCustomersOptions{Status: client.AccountStatusClosed})
	if err != nil || len(page.Customers) != 1 || page.Customers[0].ID != b.ID {
		t.Errorf("closed ones: %+v, %v", page, err)
	}
	var ids []int64
	opts := &client.SearchCustomersOptions{Limit: 2}
	for {
		page, err := c.SearchCustomers(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Customers {
			ids = append(ids, p.ID)
		}
		if page.NextCursor == "" {
			break
		}
		opts.Cursor = page.NextCursor
	}
	if len(ids) != 3 || !slices.IsSorted(ids) || ids[0] != a.ID {
		t.Errorf("every customer by pages: %v", ids)
	}
	if other, err := f.plain.SearchCustomers(ctx, nil); err != nil || len(other.Customers) != 0 {
		t.Errorf("another partner sees %+v, %v", other, err)
	}
	_, err = c.SearchCustomers(ctx, &client.SearchCustomersOptions{Mobile: "123", CreatedFrom: "yesterday"})
	if e, ok := err.(*client.Error); !ok || !e.HasHint("mobile:invalid") || !e.HasHint("created_from:invalid") {
		t.Errorf("bad filters: %v", err)
	}
}
