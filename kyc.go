package saldo

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// KYC limits (the Mexican deposit-account levels): a wallet's credits in a calendar month of
// Mexico City may not exceed its level's monthly limit, and its balance may not exceed the
// level's cap. Both are in UDIs, converted to cents at the UDI value of the credit's day.

// KYCLevel is a level's limits in UDIs; nil means no limit.
type KYCLevel struct {
	Level               int
	MonthlyDepositLimit *int64 // UDIs
	BalanceCap          *int64 // UDIs
}

// Limited reports whether a credit at this level needs a UDI value.
func (l KYCLevel) Limited() bool { return l.MonthlyDepositLimit != nil || l.BalanceCap != nil }

// UDIValue is the UDI's value on a day, in millionths of a peso (8.245227 is 8245227).
type UDIValue struct {
	Day    string // YYYY-MM-DD
	Micros int64
}

// KYCTx is what a transaction can do with the KYC levels and the UDI values.
type KYCTx interface {
	KYCLevels(ctx context.Context) ([]KYCLevel, error)
	// LockKYCLevel returns a level's limits, locked until the transaction ends, or ENOTFOUND.
	LockKYCLevel(ctx context.Context, level int) (KYCLevel, error)
	// SetKYCLevel replaces the limits of an existing level, or fails with ENOTFOUND.
	SetKYCLevel(ctx context.Context, l KYCLevel) error
	// SetUDIValues stores values, replacing those of the same days.
	SetUDIValues(ctx context.Context, values []UDIValue) error
	// LatestUDIValue returns the newest value, or ENOTFOUND when there is none.
	LatestUDIValue(ctx context.Context) (UDIValue, error)
}

// udisToCents converts udis at a UDI value of micros millionths of a peso to whole cents,
// rounding down: a limit is never rounded above what the law allows. 10,000 millionths of a
// peso are a cent.
func udisToCents(udis, micros int64) int64 {
	// Limits are below 10^7 UDIs and values below 10^9 millionths: the product fits.
	return udis * micros / 10_000
}

// limitCents is a limit of udis (nil: none) in cents at a UDI value.
func limitCents(udis *int64, micros int64) Limit {
	if udis == nil {
		return Limit{}
	}
	return Limit{Cents: udisToCents(*udis, micros), Set: true}
}

// maxUDIMicros bounds a UDI value at 1,000 pesos, a hundred times today's.
const maxUDIMicros = 1_000_000_000

// ParseUDIValue reads a UDI value in pesos with up to six decimals ("8.245227", "8.5") into
// millionths of a peso, exactly.
func ParseUDIValue(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 4 || len(frac) > 6 || !allDigits(whole) || frac != "" && !allDigits(frac) {
		return 0, false
	}
	frac += strings.Repeat("0", 6-len(frac))
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	micros := w*1_000_000 + f
	return micros, micros > 0 && micros <= maxUDIMicros
}

// FormatUDIValue writes millionths of a peso as pesos with six decimals.
func FormatUDIValue(micros int64) string {
	return strconv.FormatInt(micros/1_000_000, 10) + "." + leftPad(strconv.FormatInt(micros%1_000_000, 10), 6)
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// ParseUDIDay reads a day as Banco de México writes it (DD/MM/YYYY) or as ISO 8601
// (YYYY-MM-DD), and returns it as YYYY-MM-DD.
func ParseUDIDay(s string) (string, bool) {
	for _, layout := range []string{"02/01/2006", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil && t.Format(layout) == s {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// dayIn is the calendar day of t in Mexico City, as YYYY-MM-DD.
func dayIn(t time.Time) string { return t.In(MexicoCity).Format("2006-01-02") }

// monthIn is the calendar month of t in Mexico City, as YYYY-MM.
func monthIn(t time.Time) string { return t.In(MexicoCity).Format("2006-01") }

// KYCLevels returns every level's limits.
func (s *Service) KYCLevels(ctx context.Context) ([]KYCLevel, error) {
	var levels []KYCLevel
	err := s.store.View(ctx, func(tx Tx) (err error) {
		levels, err = tx.KYCLevels(ctx)
		return err
	})
	return levels, err
}

// maxLimitUDIs bounds a level's limits.
const maxLimitUDIs = 10_000_000

// SetKYCLevel changes a level's limits: change receives the current ones and edits them, in
// the transaction that stores them, so that two concurrent changes of different limits both
// stay. It returns the level as stored.
func (s *Service) SetKYCLevel(ctx context.Context, level int, change func(*KYCLevel)) (KYCLevel, error) {
	if level < 1 || level > 4 {
		return KYCLevel{}, Errorf(EINVALID, "level:invalid")
	}
	var l KYCLevel
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		if l, err = tx.LockKYCLevel(ctx, level); err != nil {
			return err
		}
		change(&l)
		l.Level = level
		var h Hints
		for field, v := range map[string]*int64{"monthly_deposit_limit": l.MonthlyDepositLimit, "balance_cap": l.BalanceCap} {
			if v != nil && (*v < 0 || *v > maxLimitUDIs) {
				h.Add(field, "invalid")
			}
		}
		if err := h.Err(EINVALID); err != nil {
			return err
		}
		return tx.SetKYCLevel(ctx, l)
	})
	return l, err
}

// SetUDIValues stores UDI values, replacing those of the same days.
func (s *Service) SetUDIValues(ctx context.Context, values []UDIValue) error {
	var h Hints
	for _, v := range values {
		if day, ok := ParseUDIDay(v.Day); !ok || day != v.Day { // stored as YYYY-MM-DD
			h.Add("date", "invalid")
		}
		if v.Micros <= 0 || v.Micros > maxUDIMicros {
			h.Add("value", "invalid")
		}
	}
	if err := h.Err(EINVALID); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error { return tx.SetUDIValues(ctx, values) })
}

// LatestUDIValue returns the newest UDI value, or ENOTFOUND when none is known.
func (s *Service) LatestUDIValue(ctx context.Context) (UDIValue, error) {
	var v UDIValue
	err := s.store.View(ctx, func(tx Tx) (err error) {
		v, err = tx.LatestUDIValue(ctx)
		return err
	})
	return v, err
}

// StaleUDIAge is how old the newest UDI value may be before serve warns.
const StaleUDIAge = 7 * 24 * time.Hour

// UDIStaleness returns how many days the newest UDI value is behind today in Mexico City,
// and whether any is known.
func (s *Service) UDIStaleness(ctx context.Context) (days int, known bool, err error) {
	v, err := s.LatestUDIValue(ctx)
	if ErrorCode(err) == ENOTFOUND {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	newest, _ := time.Parse("2006-01-02", v.Day)
	today, _ := time.Parse("2006-01-02", dayIn(s.clock.Now()))
	return int(today.Sub(newest) / (24 * time.Hour)), true, nil
}
