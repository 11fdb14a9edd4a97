package saldoapi

// This test goes with the Go client oapi-codegen generates from openapi.json into a temporary
// directory: TestOpenAPIGoClientWorks runs it there against a real saldo at SALDO_URL, as the
// partner whose token is SALDO_TOKEN.

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
)

func partner(token string) ClientOption {
	return WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization-ecommerce", token)
		return nil
	})
}

func TestTheGeneratedClientTalksToSaldo(t *testing.T) {
	ctx := context.Background()
	c, err := NewClientWithResponses(os.Getenv("SALDO_URL"), partner(os.Getenv("SALDO_TOKEN")))
	if err != nil {
		t.Fatal(err)
	}

	// mobile is a string or an integer: sent here as a JSON integer.
	var mobile CreateAccountRequest_Mobile
	if err := mobile.FromCreateAccountRequestMobile1(5512345678); err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateAccountWithResponse(ctx, nil, CreateAccountJSONRequestBody{
		Email: "ana.lopez@example.com", Mobile: mobile, FirstName: "Ana", LastName: "López", Gender: CreateAccountRequestGenderN1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.JSON200 == nil {
		t.Fatalf("create: %d %s", created.StatusCode(), created.Body)
	}
	id := created.JSON200.Rs.Id

	got, err := c.GetAccountWithResponse(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.JSON200 == nil {
		t.Fatalf("read: %d %s", got.StatusCode(), got.Body)
	}
	if a := got.JSON200.Rs; a.Id != id || a.Mobile != 5512345678 || a.Email != "ana.lopez@example.com" || a.CustomerStatus != 1 {
		t.Errorf("read back id %d, mobile %d, email %q, customer_status %d", a.Id, a.Mobile, a.Email, a.CustomerStatus)
	}

	// The errors decode into their envelopes too.
	missing, err := c.GetAccountWithResponse(ctx, id+1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if missing.JSON404 == nil || missing.JSON404.Err.Code != N4404 {
		t.Errorf("an unknown customer: %d %s", missing.StatusCode(), missing.Body)
	}
	stranger, err := NewClientWithResponses(os.Getenv("SALDO_URL"), partner("ek_"+strings.Repeat("0", 64)))
	if err != nil {
		t.Fatal(err)
	}
	refused, err := stranger.GetAccountWithResponse(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if refused.JSON401 == nil || refused.JSON401.Err.Code != N4401 || len(refused.JSON401.Err.Hints) == 0 {
		t.Errorf("an unknown partner token: %d %s", refused.StatusCode(), refused.Body)
	}
}
