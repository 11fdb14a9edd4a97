package saldo

import (
	"context"
	"errors"
)

// rekeyBatchSize is how many customers one transaction of RekeyCustomers reads and rekeys.
const rekeyBatchSize = 500

// rekeyAttempts bounds how often a batch runs again after a create took, between the batch's
// look and its update, a key the batch was setting.
const rekeyAttempts = 3

// RekeyReport is what RekeyCustomers did.
type RekeyReport struct {
	Rekeyed    int // customers brought to EmailKeyVersion
	Changed    int // of them, those whose email_key changed
	Collisions []EmailKeyCollision
}

// EmailKeyCollision is two customers of one partner whose stored addresses were distinct
// under the rule that keyed Customer's and are one address under the current rule, whose
// key Holder has. Customer keeps its old key, so that the unique index still holds, and is
// marked as following the current rule all the same: a create of either spelling now
// collides with Holder. Which of the two is the customer's real account is for a person to
// decide.
type EmailKeyCollision struct {
	PartnerID  int64
	CustomerID int64 // kept the key of the older rule
	HolderID   int64 // holds the current rule's key
}

// RekeyCustomers brings every email key an older rule made (EmailKeyVersion) to the current
// rule, so that an address stored before the rule changed collides with every spelling of it
// again. It reads customers in id order in batches of rekeyBatchSize, each in a transaction
// of its own, so that it may run on a live database, be interrupted and run again; once no
// key is left to it, a run reads one empty batch and changes nothing. When processes run it
// at the same time, each customer is rekeyed, and each collision reported, by one of them.
func (s *Service) RekeyCustomers(ctx context.Context) (RekeyReport, error) {
	var report RekeyReport
	var after int64
	for {
		done, last, err := s.rekeyBatch(ctx, after)
		report.Rekeyed += done.Rekeyed
		report.Changed += done.Changed
		report.Collisions = append(report.Collisions, done.Collisions...)
		// A batch that read nothing ends the run, even when it waited for another process
		// that rekeyed the rows it would have read: that process goes on past them.
		if err != nil || last == 0 {
			return report, err
		}
		after = last
	}
}

// rekeyBatch rekeys, in one transaction, the next batch of customers with ids above after,
// and returns what it did and the last id it read (0 when it read none).
func (s *Service) rekeyBatch(ctx context.Context, after int64) (RekeyReport, int64, error) {
	for attempt := 1; ; attempt++ {
		var done RekeyReport
		var last int64
		err := s.store.Update(ctx, func(tx Tx) (err error) {
			done, last, err = rekeyRows(ctx, tx, after)
			return err
		})
		// The run again sees the create's key and keeps the row's old one.
		if errors.Is(err, ErrDuplicate) && attempt < rekeyAttempts {
			continue
		}
		if err != nil {
			return RekeyReport{}, 0, err
		}
		return done, last, nil
	}
}

// rekeyRows reads and rekeys the next batch of customers with ids above after in tx.
func rekeyRows(ctx context.Context, tx Tx, after int64) (RekeyReport, int64, error) {
	rows, err := tx.EmailKeysToRekey(ctx, after, rekeyBatchSize)
	if err != nil || len(rows) == 0 {
		return RekeyReport{}, 0, err
	}
	var done RekeyReport
	for _, r := range rows {
		key, err := currentEmailKey(ctx, tx, r, &done)
		if err != nil {
			return RekeyReport{}, 0, err
		}
		if err := tx.SetEmailKey(ctx, r.CustomerID, key); err != nil {
			return RekeyReport{}, 0, err
		}
		done.Rekeyed++
	}
	return done, rows[len(rows)-1].CustomerID, nil
}

// currentEmailKey returns the key r is to store under the current rule, and counts it in
// done: the current rule's key when it is free, else r's own, which records a collision.
func currentEmailKey(ctx context.Context, tx Tx, r StoredEmailKey, done *RekeyReport) (string, error) {
	key := emailKey(r.Email)
	if key == r.Key {
		return key, nil
	}
	holder, err := tx.CustomerIDByEmailKey(ctx, r.PartnerID, key)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		done.Changed++
		return key, nil
	case err != nil:
		return "", err
	}
	done.Collisions = append(done.Collisions, EmailKeyCollision{PartnerID: r.PartnerID, CustomerID: r.CustomerID, HolderID: holder})
	return r.Key, nil
}
