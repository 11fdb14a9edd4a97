package clienttest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/client"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/sqlite"
)

// exampleServer starts a saldo server over a new SQLite database with one partner, which has
// composite balances enabled, and returns its URL, the partner's token and a function that
// stops it. It stands in for a real deployment; a partner gets both values from its operator.
func exampleServer() (url, token string, stop func()) {
	dir, err := os.MkdirTemp("", "saldo-example-")
	if err != nil {
		log.Fatal(err)
	}
	store, err := sqlite.Open(filepath.Join(dir, "saldo.db"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	svc := saldo.NewService(store, nil)
	_, token, err = svc.CreatePartner(ctx, saldo.NewPartner{Name: "Tienda", CompositeBalances: true})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(saldohttp.NewServer(svc, slog.New(slog.DiscardHandler)))
	return srv.URL, token, func() {
		srv.Close()
		store.Close()
		os.RemoveAll(dir)
	}
}

// juan is a valid personal customer; RFC GODE561231GR8 carries a correct check digit.
func juan() *client.CreateAccountRequest {
	return &client.CreateAccountRequest{
		Email:     "juan.perez@example.com",
		Mobile:    "5512345678",
		FirstName: "Juan",
		LastName:  "Pérez",
		Gender:    client.GenderMale,
		RFC:       "gode561231gr8",
		CompositeBalance: &client.CompositeBalanceRequest{
			Parent: client.CompositeParentRequest{CreditLine: 10_000_000}, // $100,000.00 MXN
		},
	}
}

func Example() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c := client.New(url, token)
	acct, err := c.CreateAccount(ctx, juan())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acct.Email, acct.RFC, acct.Mobile, acct.AccountLevel)
	fmt.Println("credit line:", acct.CompositeBalance.Parent.CreditLine)

	// The profile shows the same customer, without its credentials.
	profile, err := c.GetAccount(ctx, acct.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(profile.FirstName, profile.LastName, profile.GenderString)
	// Output:
	// juan.perez@example.com GODE561231GR8 5512345678 1
	// credit line: 10000000
	// Juan Pérez Male
}

func ExampleError() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c := client.New(url, token)
	if _, err := c.CreateAccount(ctx, juan()); err != nil {
		log.Fatal(err)
	}

	// The same person again: every identifier is taken.
	_, err := c.CreateAccount(ctx, juan())
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Text)
		fmt.Println(apiErr.Hints)
		reason, _ := apiErr.Hint("email")
		fmt.Println("email:", reason, "conflict:", client.IsConflict(err))
	}
	// Output:
	// 409 4409 Conflict
	// [email:duplicate mobile:duplicate rfc:duplicate]
	// email: duplicate conflict: true
}

func ExampleError_validation() {
	url, token, stop := exampleServer()
	defer stop()
	c := client.New(url, token)

	// Every failing field is reported at once.
	req := juan()
	req.Email, req.Mobile, req.CompositeBalance = "juan@", "55-1234", nil
	_, err := c.CreateAccount(context.Background(), req)
	if apiErr, ok := errors.AsType[*client.Error](err); ok {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Hints)
	}
	// Output:
	// 400 5000 [email:invalid mobile:invalid credit_line:required]
}

func ExampleWithIdempotencyKey() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c := client.New(url, token)

	// A retry after a timeout sends the same key: the customer is created once, and the
	// retry gets the first answer, credentials included.
	var first, retry client.ResponseInfo
	a, err := c.CreateAccount(ctx, juan(), client.WithIdempotencyKey("signup-7f3a"), client.WithResponseInfo(&first))
	if err != nil {
		log.Fatal(err)
	}
	b, err := c.CreateAccount(ctx, juan(), client.WithIdempotencyKey("signup-7f3a"), client.WithResponseInfo(&retry))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same customer:", a.ID == b.ID, "same private key:", a.PrivateKey == b.PrivateKey)
	fmt.Println("replayed:", first.Replayed, retry.Replayed)
	// Output:
	// same customer: true same private key: true
	// replayed: false true
}

func ExampleClient_CreateCompositeChild() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c := client.New(url, token)
	acct, err := c.CreateAccount(ctx, juan())
	if err != nil {
		log.Fatal(err)
	}
	parentID := acct.CompositeBalance.Parent.ID

	// A child's credit line is carved out of the parent's.
	child, err := c.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 2_500_000})
	if err != nil {
		log.Fatal(err)
	}
	parent, err := c.GetCompositeParent(ctx, parentID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("child:", child.CreditLine, "parent available:", parent.AvailableCredit, "children:", parent.Children)

	// Raising it beyond what the parent has left is refused.
	_, err = c.UpdateChildCreditLine(ctx, child.ID, 20_000_000)
	if apiErr, ok := errors.AsType[*client.Error](err); ok {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Text)
	}
	// Output:
	// child: 2500000 parent available: 7500000 children: 1
	// 409 5001 Insufficient Credit
}

func ExampleClient_GetCustomerConnectionToken() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c := client.New(url, token)
	acct, err := c.CreateAccount(ctx, juan())
	if err != nil {
		log.Fatal(err)
	}

	// A new session for the customer's tablet, authenticated by the private key.
	conn, err := c.GetCustomerConnectionToken(ctx, &client.ConnectionTokenRequest{
		CustomerID: acct.ID, CustomerPrivateKey: acct.PrivateKey, DeviceID: "tablet", ClientState: 7,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("client state:", conn.ClientStateRet)

	// The new oauth token opens the customer's own profile; the old one was revoked.
	profile, err := c.GetAccountAsCustomer(ctx, acct.ID, conn.CustomerOAuthToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(profile.Email)
	_, err = c.GetAccountAsCustomer(ctx, acct.ID, acct.OAuthToken)
	fmt.Println("old token unauthorized:", client.IsUnauthorized(err))

	in, err := c.IntrospectToken(ctx, conn.CustomerOAuthToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.Active, in.TokenType, in.DeviceID, in.CustomerID == acct.ID)
	// Output:
	// client state: 7
	// juan.perez@example.com
	// old token unauthorized: true
	// true access_token tablet true
}
