package clienttest_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/client"
)

// The event feed over a real server: pages of two, read on from each NextAfter until one is
// empty, with each event's Data the payload object of its type.
func TestEventFeed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := saldo.NewService(f.store, f.clock).SetUDIValues(ctx, []saldo.UDIValue{{Day: "2026-11-01", Micros: 8_245_227}}); err != nil {
		t.Fatal(err)
	}
	a := f.mustCreate(t, 1, 10_000_000)
	other, err := f.plain.CreateAccount(ctx, customer(2, -1))
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.composite.TopUp(ctx, &client.TopUpRequest{ExternalTransactionID: "feed-1", BalanceID: a.EwalletID, Amount: 10_000, SourceCustomerID: a.ID})
	if err != nil {
		t.Fatal(err)
	}

	var events []client.Event
	var after int64
	for {
		page, err := f.composite.EventFeed(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) > 2 {
			t.Fatalf("a page of limit 2 holds %d events", len(page.Events))
		}
		if len(page.Events) == 0 {
			if page.NextAfter != after {
				t.Errorf("an empty page after %d has NextAfter %d", after, page.NextAfter)
			}
			break
		}
		events = append(events, page.Events...)
		after = page.NextAfter
		if len(events) > 10 {
			t.Fatal("the feed never ends")
		}
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
		if !e.Created.Equal(fixtureNow) {
			t.Errorf("event %d created %v, want the fixture's clock %v", e.ID, e.Created, fixtureNow)
		}
		if _, offset := e.Created.Zone(); offset != -6*3600 {
			t.Errorf("event %d created %v, not in Mexico City time", e.ID, e.Created)
		}
	}
	if want := []string{"customer.created", "composite_parent.created", "transaction.created"}; !slices.Equal(types, want) {
		t.Fatalf("types %q, want %q", types, want)
	}
	var created struct {
		CustomerID int64 `json:"customer_id"`
		WalletID   int64 `json:"wallet_id"`
	}
	if err := json.Unmarshal(events[0].Data, &created); err != nil || created.CustomerID != a.ID || created.WalletID != a.EwalletID {
		t.Errorf("customer.created data %s: %+v, %v", events[0].Data, created, err)
	}
	var moved struct {
		TransactionID int64 `json:"transaction_id"`
		Amount        int64 `json:"amount"`
	}
	if err := json.Unmarshal(events[2].Data, &moved); err != nil || moved.TransactionID != m.TransactionID || moved.Amount != 10_000 {
		t.Errorf("transaction.created data %s: %+v, %v", events[2].Data, moved, err)
	}
	// The defaults read the same.
	all, err := f.composite.EventFeed(ctx, 0, 0)
	if err != nil || len(all.Events) != 3 || all.NextAfter != events[2].ID {
		t.Errorf("EventFeed(0, 0): %+v, %v", all, err)
	}

	// The other partner reads its own event alone, and cannot read on from the first
	// partner's.
	theirs, err := f.plain.EventFeed(ctx, 0, 0)
	if err != nil || len(theirs.Events) != 1 || theirs.Events[0].Type != "customer.created" {
		t.Fatalf("the other partner's feed: %+v, %v", theirs, err)
	}
	var theirCreated struct {
		CustomerID int64 `json:"customer_id"`
	}
	if json.Unmarshal(theirs.Events[0].Data, &theirCreated); theirCreated.CustomerID != other.ID {
		t.Errorf("the other partner's event: %s", theirs.Events[0].Data)
	}
	_, err = f.plain.EventFeed(ctx, events[0].ID, 0)
	if checkError(t, err, 404, 4404, "after:not_found"); !client.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) is false", err)
	}
	_, err = f.composite.EventFeed(ctx, -1, 101)
	checkError(t, err, 400, 5000, "after:invalid", "limit:invalid")

}
