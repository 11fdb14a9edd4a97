package saldo

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// rekeyStore is a Store of customers' email keys in memory, whose transactions can only
// rekey: each Update works on a copy, kept when fn and the commit succeed.
type rekeyStore struct {
	Store   // nil: any other use panics
	rows    []rekeyRow
	updates int // transactions run
	// commit, when set, runs at each commit, and may fail it.
	commit func() error
}

type rekeyRow struct {
	StoredEmailKey
	version int
}

func (s *rekeyStore) Update(ctx context.Context, fn func(Tx) error) error {
	s.updates++
	tx := &rekeyTx{rows: append([]rekeyRow(nil), s.rows...)}
	if err := fn(tx); err != nil {
		return err
	}
	if s.commit != nil {
		if err := s.commit(); err != nil {
			return err
		}
	}
	s.rows = tx.rows
	return nil
}

type rekeyTx struct {
	Tx   // nil: any other use panics
	rows []rekeyRow
}

func (t *rekeyTx) EmailKeysToRekey(_ context.Context, afterID int64, limit int) ([]StoredEmailKey, error) {
	var out []StoredEmailKey
	for _, r := range t.rows {
		if r.version == 1 && r.CustomerID > afterID && len(out) < limit {
			out = append(out, r.StoredEmailKey)
		}
	}
	return out, nil
}

func (t *rekeyTx) CustomerIDByEmailKey(_ context.Context, partnerID int64, key string) (int64, error) {
	for _, r := range t.rows {
		if r.PartnerID == partnerID && r.Key == key {
			return r.CustomerID, nil
		}
	}
	return 0, Errorf(ENOTFOUND)
}

func (t *rekeyTx) SetEmailKey(_ context.Context, customerID int64, key string) error {
	for i := range t.rows {
		if t.rows[i].CustomerID == customerID {
			t.rows[i].Key, t.rows[i].version = key, EmailKeyVersion
		}
	}
	return nil
}

// oldRows are n customers of partner 1 stored under rule 1, ids 1 to n, the first with a key
// the current rule changes.
func oldRows(n int) []rekeyRow {
	rows := make([]rekeyRow, n)
	for i := range rows {
		email := fmt.Sprintf("user%d@example.com", i+1)
		rows[i] = rekeyRow{StoredEmailKey{CustomerID: int64(i + 1), PartnerID: 1, Email: email, Key: email}, 1}
	}
	if n > 0 {
		rows[0].Email, rows[0].Key = "Straße@example.com", "straße@example.com"
	}
	return rows
}

// A create that commits the new key of a customer between the batch's look and its update
// makes the batch's update fail (the unique index); the batch runs again and keeps the old
// key. Duplicates that keep coming end the run with the error after rekeyAttempts.
func TestRekeyCustomersBatches(t *testing.T) {
	created := rekeyRow{StoredEmailKey{CustomerID: 5000, PartnerID: 1, Email: "strasse@example.com", Key: "strasse@example.com"}, EmailKeyVersion}
	tests := []struct {
		name        string
		rows        int
		commit      func(calls int) error // ErrDuplicate: a create committed the new key of customer 1
		want        RekeyReport
		wantUpdates int
		wantErr     error
	}{
		{"every batch is a transaction, and an empty read ends the run", 2*rekeyBatchSize + 1, nil,
			RekeyReport{Rekeyed: 2*rekeyBatchSize + 1, Changed: 1}, 4, nil},
		{"nothing to rekey: one empty read", 0, nil, RekeyReport{}, 1, nil},
		{"a create took the new key meanwhile: the batch runs again", 3, func(calls int) error {
			if calls == 1 {
				return fmt.Errorf("%w: customers_email_key", ErrDuplicate)
			}
			return nil
		}, RekeyReport{Rekeyed: 3, Collisions: []EmailKeyCollision{{PartnerID: 1, CustomerID: 1, HolderID: 5000}}}, 3, nil},
		{"duplicates that keep coming end the run", 3, func(int) error { return ErrDuplicate },
			RekeyReport{}, rekeyAttempts, ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &rekeyStore{rows: oldRows(tt.rows)}
			if tt.commit != nil {
				calls := 0
				s.commit = func() error {
					calls++
					err := tt.commit(calls)
					if errors.Is(err, ErrDuplicate) && calls == 1 {
						s.rows = append(s.rows, created)
					}
					return err
				}
			}
			got, err := NewService(s, nil).RekeyCustomers(context.Background())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) || s.updates != tt.wantUpdates {
				t.Errorf("RekeyCustomers = %+v in %d transactions, want %+v in %d", got, s.updates, tt.want, tt.wantUpdates)
			}
		})
	}
}
