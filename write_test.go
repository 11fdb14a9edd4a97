package saldo_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/storetest"
)

// A write does not look for its Idempotency-Key before its first run. When that run fails for
// a reason the key does not keep (a fault, here) before it inserts the key, the key is still
// what answers: a retry of a
// request done already is its replay, and another request under the key is refused.
func TestFailedFirstRunIsAnsweredFromTheKey(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			store := eng.Open(t)
			clock := saldo.NewManualClock(storetest.Now)
			secret := saldo.WithSecretKey([32]byte{9})
			svc := saldo.NewService(store, clock, secret)
			e, _, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "tienda"})
			if err != nil {
				t.Fatal(err)
			}
			keyed := func(key, request string) *saldo.Idempotency[*saldo.CreatedCustomer] {
				return &saldo.Idempotency[*saldo.CreatedCustomer]{
					IdempotencyKey: saldo.IdempotencyKey{Key: key, Digest: sha256.Sum256([]byte(request))},
					Render: func(out *saldo.CreatedCustomer, err error) saldo.Answer {
						return saldo.Answer{Status: 200, Body: []byte(out.Customer.Email)}
					},
				}
			}
			req := gen.Customer("", 1)
			if _, err := svc.CreateCustomer(ctx, e, req, keyed("k", "body 1")); err != nil {
				t.Fatal(err)
			}
			failing := saldo.NewService(faultyInserts{store}, clock, secret)
			_, err = failing.CreateCustomer(ctx, e, req, keyed("k", "body 1"))
			var r *saldo.Replayed
			if !errors.As(err, &r) || string(r.Answer.Body) != req.Email {
				t.Errorf("the same request under the key, its run failing: %v, want the replay of the first answer", err)
			}
			_, err = failing.CreateCustomer(ctx, e, gen.Customer("", 2), keyed("k", "body 2"))
			if saldo.ErrorCode(err) != saldo.EIDEMPOTENCYREUSED {
				t.Errorf("another request under the key, its run failing: %v, want %s", err, saldo.EIDEMPOTENCYREUSED)
			}
			// Without a stored key, the failure is the answer.
			_, err = failing.CreateCustomer(ctx, e, gen.Customer("", 3), keyed("new", "body 3"))
			if !errors.Is(err, errFault) {
				t.Errorf("a new key, its run failing: %v, want the fault", err)
			}
		})
	}
}

var errFault = errors.New("fault inserting the customer")

// faultyInserts fails every insert of a customer, before it reaches the database: a write that
// inserts one fails before it inserts its key.
type faultyInserts struct{ saldo.Store }

func (s faultyInserts) Update(ctx context.Context, fn func(saldo.Tx) error) error {
	return s.Store.Update(ctx, func(tx saldo.Tx) error { return fn(faultyTx{tx}) })
}

type faultyTx struct{ saldo.Tx }

func (faultyTx) InsertCustomer(context.Context, *saldo.Customer) error { return errFault }
