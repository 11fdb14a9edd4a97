package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/saldo-mx/saldo"
)

// rekeyCustomers brings the email keys an older rule made to the current rule
// (Service.RekeyCustomers), after migrating, and logs one WARN line for each pair of
// customers whose addresses the current rule makes one. The line names the customers by id
// only: their emails are personal data, and the ids are enough to look them up.
func rekeyCustomers(ctx context.Context, svc *saldo.Service, log *slog.Logger) error {
	report, err := svc.RekeyCustomers(ctx)
	if err != nil {
		return fmt.Errorf("rekey customers' emails: %w", err)
	}
	if report.Rekeyed > 0 {
		log.Info("rekeyed customer emails", "customers", report.Rekeyed, "changed", report.Changed,
			"collisions", len(report.Collisions))
	}
	for _, c := range report.Collisions {
		log.Warn("two customers have one email under the current rule; the first keeps its old key",
			"ecommerce_id", c.PartnerID, "customer_id", c.CustomerID, "other_customer_id", c.HolderID)
	}
	return nil
}
