package saldo

import (
	"testing"
	"time"
)

func TestCutoffAfterFallsOnTheBillingDayOfTheNextMonthEnd(t *testing.T) {
	tests := []struct {
		name       string
		day        string
		billingDay int
		want       string
	}{
		{"later this month", "2026-11-24", 28, "2026-11-28"},
		{"the billing day itself starts a period: next month's", "2026-12-15", 15, "2027-01-15"},
		{"a year end", "2026-12-31", 1, "2027-01-01"},
		{"the 31st, billing day 28: February's 28th", "2027-01-31", 28, "2027-02-28"},
		{"February 28th of a common year", "2027-02-28", 28, "2027-03-28"},
		{"February 29th of a leap year", "2028-02-29", 28, "2028-03-28"},
		{"January 31st of a leap year, billing day 28", "2028-01-31", 28, "2028-02-28"},
		{"the day before", "2028-02-27", 28, "2028-02-28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cutoffAfter(tt.day, tt.billingDay)
			if err != nil || got != tt.want {
				t.Errorf("cutoffAfter(%s, %d) = %s, %v; want %s", tt.day, tt.billingDay, got, err, tt.want)
			}
		})
	}
}

func TestLatestCutoffsTurnAtMidnightInMexicoCity(t *testing.T) {
	tests := []struct {
		name   string
		now    time.Time
		day    int
		want   string
		reason string
	}{
		{"a second before midnight", time.Date(2026, 12, 15, 5, 59, 59, 0, time.UTC), 15, "2026-11-15", "it is still the 14th in Mexico City"},
		{"midnight", time.Date(2026, 12, 15, 6, 0, 0, 0, time.UTC), 15, "2026-12-15", "00:00 the 15th in Mexico City (UTC-6)"},
		{"the first of March, billing day 28", time.Date(2027, 3, 1, 6, 30, 0, 0, time.UTC), 28, "2027-02-28", ""},
		{"the first of March, billing day 1", time.Date(2027, 3, 1, 6, 30, 0, 0, time.UTC), 1, "2027-03-01", ""},
		{"still February in Mexico City", time.Date(2027, 3, 1, 5, 0, 0, 0, time.UTC), 1, "2027-02-01", ""},
		{"January, billing day 28 of December", time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC), 28, "2026-12-28", "the year before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := latestCutoffs(tt.now)[tt.day]; got != tt.want {
				t.Errorf("latestCutoffs(%v)[%d] = %s, want %s %s", tt.now, tt.day, got, tt.want, tt.reason)
			}
		})
	}
}

func TestMinimumDue(t *testing.T) {
	e := &Partner{MinPaymentPercent: 10, MinPaymentFloor: 20_000}
	tests := []struct {
		name        string
		total, want int64
	}{
		{"nothing owed", 0, 0},
		{"less than the floor: all of it", 15_000, 15_000},
		{"the floor over 10 %", 100_000, 20_000},
		{"10 % over the floor", 1_000_000, 100_000},
		{"10 % rounds up", 1_000_001, 100_001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := minimumDue(tt.total, e); got != tt.want {
				t.Errorf("minimumDue(%d) = %d, want %d", tt.total, got, tt.want)
			}
		})
	}
}
