package clienttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/client"
)

// recorder is a transport that keeps the last answer's body, so that a test can look at the
// bytes the server sent beneath what the client decoded of them.
type recorder struct {
	next http.RoundTripper
	op   string // "GET /user/v1/account/7"
	body []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	r.op, r.body = req.Method+" "+req.URL.Path, body
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// The client's result types are the server's answers field for field: every field the server
// sends has a place in the client's type, with a JSON type it decodes into, and every field
// of the client's type is sent. A field added to the server's answers and not to the client
// (or renamed, or retyped on one side) fails here rather than being dropped or left zero.
func TestResultTypesMatchTheServersAnswers(t *testing.T) {
	f := newFixture(t)
	rec := &recorder{next: f.hc.Transport}
	c := client.New(f.url, f.token, client.WithHTTPClient(&http.Client{Transport: rec}))
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	acct, err := c.CreateAccount(ctx, customer(1, 10_000_000))
	must(err)
	checkWire[client.CreatedAccount](t, rec, "rs")
	employee, err := c.CreateAccount(ctx, customer(2, 0))
	must(err)
	_, err = c.GetAccount(ctx, acct.ID)
	must(err)
	checkWire[client.Profile](t, rec, "rs")
	_, err = c.UpdateCustomer(ctx, acct.ID, &client.UpdateAccountRequest{City: "Puebla"})
	must(err)
	checkWire[client.Profile](t, rec, "rs")
	_, err = c.SetCustomerStatus(ctx, employee.ID, client.AccountStatusActive, "")
	must(err)
	checkWire[client.Profile](t, rec, "rs")
	// A page with a cursor, so that next_cursor is a string rather than null.
	customers, err := c.SearchCustomers(ctx, &client.SearchCustomersOptions{Limit: 1})
	must(err)
	if customers.NextCursor == "" {
		t.Error("a page of one of two customers has no cursor")
	}
	checkWire[client.CustomersPage](t, rec, "rs")

	parentID := acct.CompositeBalance.Parent.ID
	_, err = c.GetCompositeParent(ctx, parentID)
	must(err)
	checkWire[client.CompositeParent](t, rec, "payload")
	child, err := c.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 1_000, CustomerID: employee.ID})
	must(err)
	checkWire[client.CompositeChild](t, rec, "payload")
	_, err = c.UpdateChildCreditLine(ctx, child.ID, 2_000)
	must(err)
	checkWire[client.UpdatedChild](t, rec, "payload")
	_, err = c.GetCompositeChild(ctx, child.ID)
	must(err)
	checkWire[client.CompositeChild](t, rec, "payload")
	// A page with a cursor, so that next_cursor is a string rather than empty.
	_, err = c.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 1_000})
	must(err)
	page, err := c.ListCompositeChildren(ctx, parentID, &client.ListChildrenOptions{Limit: 1})
	must(err)
	if page.NextCursor == "" {
		t.Error("a page of one of two children has no cursor")
	}
	checkWire[client.ChildrenPage](t, rec, "payload")

	// Money: a UDI value first, or a level 1 wallet cannot be credited.
	must(saldo.NewService(f.store, f.clock).SetUDIValues(ctx, []saldo.UDIValue{{Day: "2026-11-01", Micros: 8_245_227}}))
	_, err = c.TopUp(ctx, &client.TopUpRequest{ExternalTransactionID: "wire-1", BalanceID: acct.EwalletID, Amount: 10_000, SourceCustomerID: acct.ID})
	must(err)
	checkWire[client.Movement](t, rec, "payload")
	_, err = c.Transactions(ctx, acct.ID, nil)
	must(err)
	checkWire[client.TransactionsPage](t, rec, "payload")
	_, err = c.GetBalance(ctx, acct.EwalletID)
	must(err)
	checkWire[client.Balance](t, rec, "payload")
	// The feed, with every kind of event above in it.
	events, err := c.EventFeed(ctx, 0, 100)
	must(err)
	if len(events.Events) == 0 {
		t.Error("the event feed is empty")
	}
	checkWire[client.EventPage](t, rec, "payload")
	_, err = c.GetSPEICLABE(ctx, acct.ID)
	must(err)
	checkWire[client.SPEICLABE](t, rec, "rs")

	conn, err := c.GetCustomerConnectionToken(ctx, &client.ConnectionTokenRequest{
		CustomerID: acct.ID, CustomerPrivateKey: acct.PrivateKey, DeviceID: "tablet", ClientState: 3,
	})
	must(err)
	checkWire[client.ConnectionToken](t, rec, "response")
	_, err = c.RefreshCustomerToken(ctx, &client.RefreshCustomerTokenRequest{CustomerRefreshToken: conn.CustomerRefreshToken, DeviceID: "tablet"})
	must(err)
	checkWire[client.RefreshedToken](t, rec, "response")
	_, err = c.IntrospectToken(ctx, conn.CustomerRefreshToken)
	must(err)
	checkWire[client.Introspection](t, rec, "response")

	_, err = c.Healthz(ctx)
	must(err)
	checkWire[client.Health](t, rec, "rs")
}

// checkWire fails unless the member of the last answer's envelope ("" for an answer without
// one) decodes into a T with unknown fields disallowed, and holds every field of T, also in
// nested objects.
func checkWire[T any](tb testing.TB, rec *recorder, member string) {
	tb.Helper()
	raw := json.RawMessage(rec.body)
	if member != "" {
		var env map[string]json.RawMessage
		if err := json.Unmarshal(rec.body, &env); err != nil {
			tb.Fatalf("%s: %v", rec.op, err)
		}
		raw = env[member]
	}
	typ := reflect.TypeFor[T]()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(new(T)); err != nil {
		tb.Errorf("%s: the answer does not decode strictly into %v: %v\n%s", rec.op, typ, err, raw)
	}
	for _, missing := range missingFields(typ, raw, "") {
		tb.Errorf("%s: the answer has no %s for %v\n%s", rec.op, missing, typ, raw)
	}
}

// missingFields names the JSON fields of typ, by their path, that raw does not hold. A null
// object or an empty list has nothing to check.
func missingFields(typ reflect.Type, raw json.RawMessage, path string) []string {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	var missing []string
	switch typ.Kind() {
	case reflect.Slice:
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) == nil {
			for _, e := range elems {
				missing = append(missing, missingFields(typ.Elem(), e, path+"[]")...)
			}
		}
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil || obj == nil {
			return nil
		}
		for i := range typ.NumField() {
			fld := typ.Field(i)
			if fld.Anonymous {
				missing = append(missing, missingFields(fld.Type, raw, path)...)
				continue
			}
			name, _, _ := strings.Cut(fld.Tag.Get("json"), ",")
			switch {
			case name == "-" || !fld.IsExported():
				continue // not on the wire
			case name == "":
				name = fld.Name
			}
			full := name
			if path != "" {
				full = path + "." + name
			}
			v, ok := obj[name]
			if !ok {
				missing = append(missing, full)
				continue
			}
			missing = append(missing, missingFields(fld.Type, v, full)...)
		}
	}
	return missing
}
