package saldo

import (
	"testing"
	"time"
)

// Mexico City has kept UTC-6 all year since it dropped daylight saving time in October 2022,
// so every instant below (2026 and later) is 6 hours ahead in UTC of the Mexico City clock.

// mexicoCityTime is the instant at the given Mexico City wall-clock time, expressed in UTC
// so that a test that read the UTC calendar day would get a different answer near midnight.
func mexicoCityTime(t testing.TB, y int, m time.Month, d, hh, mm int) time.Time {
	t.Helper()
	in := time.Date(y, m, d, hh, mm, 0, 0, MexicoCity)
	if _, offset := in.Zone(); offset != -6*3600 {
		t.Fatalf("Mexico City offset on %v is %ds, want -21600 (no DST since 2022)", in, offset)
	}
	return in.UTC()
}

// assertCalendarDate fails unless got is the calendar date want (YYYY-MM-DD) at midnight UTC,
// the form NextBillingDate and NextDueDate promise.
func assertCalendarDate(t testing.TB, got time.Time, want string) {
	t.Helper()
	if got.Location() != time.UTC || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
		t.Errorf("got %v; want a date at midnight UTC", got)
	}
	if s := got.Format(time.DateOnly); s != want {
		t.Errorf("got %s, want %s", s, want)
	}
}

func TestMexicoCityTimeHelperCrossesTheUTCDay(t *testing.T) {
	// 21:00 on the 15th in Mexico City is 03:00 on the 16th in UTC.
	got := mexicoCityTime(t, 2026, time.March, 15, 21, 0)
	if want := time.Date(2026, time.March, 16, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("mexicoCityTime = %v, want %v", got, want)
	}
}

func TestBillingDayFor(t *testing.T) {
	utc := func(y int, m time.Month, d, hh int) time.Time { return time.Date(y, m, d, hh, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name       string
		partnerDay int
		created    time.Time
		want       int
	}{
		{"the partner's billing day wins over the day of creation", 5, utc(2026, time.March, 20, 18), 5},
		{"the partner's billing day 28 wins over a 31st", 28, utc(2026, time.March, 31, 18), 28},
		{"the partner's billing day 1 wins on the last day of the year", 1, utc(2026, time.December, 31, 18), 1},
		{"no partner day: the day of creation", 0, utc(2026, time.March, 15, 18), 15},
		{"no partner day: the 28th itself is kept", 0, utc(2026, time.March, 28, 18), 28},
		{"no partner day: the 29th is capped at 28", 0, utc(2026, time.March, 29, 18), 28},
		{"no partner day: the 30th is capped at 28", 0, utc(2026, time.April, 30, 18), 28},
		{"no partner day: the 31st is capped at 28", 0, utc(2026, time.March, 31, 18), 28},
		{"no partner day: February 29 of a leap year is capped at 28", 0, utc(2028, time.February, 29, 18), 28},
		{"no partner day: the day is read in Mexico City, 03:00 UTC on the 16th is still the 15th there", 0, utc(2026, time.March, 16, 3), 15},
		{"no partner day: 05:59 UTC on the 1st is the last day of the previous month there, capped at 28", 0,
			time.Date(2026, time.March, 1, 5, 59, 0, 0, time.UTC), 28},
		{"no partner day: 06:00 UTC on the 1st is the 1st there too", 0, utc(2026, time.March, 1, 6), 1},
		{"no partner day: 03:00 UTC on the 28th is the 27th there, not capped", 0, utc(2026, time.March, 28, 3), 27},
		{"no partner day: late on the 31st UTC is still the 31st there, capped", 0, utc(2026, time.March, 31, 23), 28},
		{"no partner day: early on the 31st UTC is the 30th there, capped", 0, utc(2026, time.March, 31, 2), 28},
		{"no partner day: early on January 1 UTC is December 31 there, capped", 0, utc(2027, time.January, 1, 2), 28},
		{"no partner day: the instant's own zone does not matter, 12:00 on the 16th in Tokyo is the 15th in Mexico City", 0,
			time.Date(2026, time.March, 16, 12, 0, 0, 0, time.FixedZone("JST", 9*3600)), 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Partner{BillingDay: tc.partnerDay}
			if got := billingDayFor(e, tc.created); got != tc.want {
				t.Errorf("BillingDayFor(billing_day %d, %v) = %d, want %d", tc.partnerDay, tc.created, got, tc.want)
			}
		})
	}
}

func TestNextBillingDate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		billingDay int
		now        time.Time
		want       string
	}{
		{"billing day later this month", 15, mexicoCityTime(t, 2026, time.March, 10, 12, 0), "2026-03-15"},
		{"billing day tomorrow", 15, mexicoCityTime(t, 2026, time.March, 14, 12, 0), "2026-03-15"},
		{"billing day today is next month: the first date after today", 15, mexicoCityTime(t, 2026, time.March, 15, 12, 0), "2026-04-15"},
		{"billing day today, one minute after midnight", 15, mexicoCityTime(t, 2026, time.March, 15, 0, 1), "2026-04-15"},
		{"billing day today, one minute before midnight", 15, mexicoCityTime(t, 2026, time.March, 15, 23, 59), "2026-04-15"},
		{"billing day yesterday", 15, mexicoCityTime(t, 2026, time.March, 16, 12, 0), "2026-04-15"},
		{"day 1 on the last day of a 31-day month", 1, mexicoCityTime(t, 2026, time.March, 31, 12, 0), "2026-04-01"},
		{"day 1 on the last day of a 30-day month", 1, mexicoCityTime(t, 2026, time.April, 30, 12, 0), "2026-05-01"},
		{"day 1 on the 1st", 1, mexicoCityTime(t, 2026, time.May, 1, 12, 0), "2026-06-01"},
		{"day 28 on the 31st of January", 28, mexicoCityTime(t, 2026, time.January, 31, 12, 0), "2026-02-28"},
		{"day 28 on the 29th of a 31-day month", 28, mexicoCityTime(t, 2026, time.March, 29, 12, 0), "2026-04-28"},
		{"day 28 on February 27, common year", 28, mexicoCityTime(t, 2026, time.February, 27, 12, 0), "2026-02-28"},
		{"day 28 on February 28, common year: March 28", 28, mexicoCityTime(t, 2026, time.February, 28, 12, 0), "2026-03-28"},
		{"day 1 on February 28, common year: March 1", 1, mexicoCityTime(t, 2026, time.February, 28, 12, 0), "2026-03-01"},
		{"day 28 on February 27, leap year 2028", 28, mexicoCityTime(t, 2028, time.February, 27, 12, 0), "2028-02-28"},
		{"day 28 on February 28, leap year 2028: March 28", 28, mexicoCityTime(t, 2028, time.February, 28, 12, 0), "2028-03-28"},
		{"day 28 on February 29, leap year 2028: March 28", 28, mexicoCityTime(t, 2028, time.February, 29, 12, 0), "2028-03-28"},
		{"day 1 on February 29, leap year 2028: March 1", 1, mexicoCityTime(t, 2028, time.February, 29, 12, 0), "2028-03-01"},
		{"day 5 in late December rolls into January", 5, mexicoCityTime(t, 2026, time.December, 20, 12, 0), "2027-01-05"},
		{"day 28 on December 28 rolls into January", 28, mexicoCityTime(t, 2026, time.December, 28, 12, 0), "2027-01-28"},
		{"day 1 on December 31 rolls into January 1", 1, mexicoCityTime(t, 2026, time.December, 31, 12, 0), "2027-01-01"},
		{"day 28 in early December stays in December", 28, mexicoCityTime(t, 2026, time.December, 1, 12, 0), "2026-12-28"},

		// The same instants read as UTC would land on the next calendar day.
		{"21:00 on the 15th in Mexico City (03:00 UTC on the 16th) with day 16: tomorrow", 16,
			mexicoCityTime(t, 2026, time.March, 15, 21, 0), "2026-03-16"},
		{"23:59 on the 14th in Mexico City (05:59 UTC on the 15th) with day 15: tomorrow", 15,
			mexicoCityTime(t, 2026, time.March, 14, 23, 59), "2026-03-15"},
		{"00:00 on the 15th in Mexico City (06:00 UTC) with day 15: next month", 15,
			mexicoCityTime(t, 2026, time.March, 15, 0, 0), "2026-04-15"},
		{"21:00 on December 31 in Mexico City (03:00 UTC on January 1) with day 1: January 1", 1,
			mexicoCityTime(t, 2026, time.December, 31, 21, 0), "2027-01-01"},
		{"20:00 on February 28 2026 in Mexico City (02:00 UTC on March 1) with day 1: March 1", 1,
			mexicoCityTime(t, 2026, time.February, 28, 20, 0), "2026-03-01"},
		{"22:00 on February 29 2028 in Mexico City (04:00 UTC on March 1) with day 1: March 1", 1,
			mexicoCityTime(t, 2028, time.February, 29, 22, 0), "2028-03-01"},
		{"the instant's own zone does not matter: 12:00 on the 16th in Tokyo is the 15th in Mexico City", 16,
			time.Date(2026, time.March, 16, 12, 0, 0, 0, time.FixedZone("JST", 9*3600)), "2026-03-16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertCalendarDate(t, nextBillingDate(tc.billingDay, tc.now), tc.want)
		})
	}
}

// TestNextBillingDateIsTheFirstMatchingDateAfterToday checks §5's definition directly: for every
// day of 2026–2028 (a leap year included), at the first and last minute of the Mexico City
// day, and for every billing day 1–28, the result is the first date after today whose day of
// month is the billing day, found by walking forward one day at a time.
func TestNextBillingDateIsTheFirstMatchingDateAfterToday(t *testing.T) {
	start := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2029, time.January, 1, 0, 0, 0, 0, time.UTC)
	for today := start; today.Before(end); today = today.AddDate(0, 0, 1) {
		instants := []time.Time{
			mexicoCityTime(t, today.Year(), today.Month(), today.Day(), 0, 0),
			mexicoCityTime(t, today.Year(), today.Month(), today.Day(), 23, 59),
		}
		for day := 1; day <= 28; day++ {
			want := today.AddDate(0, 0, 1)
			for want.Day() != day {
				want = want.AddDate(0, 0, 1)
			}
			for _, now := range instants {
				if got := nextBillingDate(day, now); !got.Equal(want) {
					t.Fatalf("NextBillingDate(%d, %v) = %s, want %s (today in Mexico City is %s)",
						day, now, got.Format(time.DateOnly), want.Format(time.DateOnly), today.Format(time.DateOnly))
				}
			}
		}
	}
}

func TestNextDueDate(t *testing.T) {
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name    string
		billing time.Time
		days    int
		want    string
	}{
		{"default 10 days within the month", date(2026, time.March, 15), DefaultPaymentDueDays, "2026-03-25"},
		{"10 days across a 31-day month end", date(2026, time.March, 28), 10, "2026-04-07"},
		{"10 days across a 30-day month end", date(2026, time.April, 28), 10, "2026-05-08"},
		{"10 days across February, common year", date(2026, time.February, 25), 10, "2026-03-07"},
		{"10 days across February, leap year 2028", date(2028, time.February, 25), 10, "2028-03-06"},
		{"10 days from February 28, leap year 2028, counts the 29th", date(2028, time.February, 28), 10, "2028-03-09"},
		{"10 days across the year end", date(2026, time.December, 28), 10, "2027-01-07"},
		{"0 days: due on the billing date", date(2026, time.March, 15), 0, "2026-03-15"},
		{"60 days, the longest a partner may set", date(2026, time.December, 28), 60, "2027-02-26"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertCalendarDate(t, nextDueDate(tc.billing, tc.days), tc.want)
		})
	}
}

func TestBillingAndDueDatesForANewParent(t *testing.T) {
	// A parent created at 22:00 on January 30 in Mexico City (04:00 UTC on January 31) under a
	// partner without a billing day bills on the 28th; February 28 is the next such date, and
	// with the default 10 payment days it falls due on March 10.
	n, err := NewPartner{Name: "partner", CompositeBalances: true}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	e := n.row(nil)
	created := mexicoCityTime(t, 2026, time.January, 30, 22, 0)
	day := billingDayFor(e, created)
	if day != 28 {
		t.Fatalf("billing day = %d, want 28", day)
	}
	billing := nextBillingDate(day, created)
	assertCalendarDate(t, billing, "2026-02-28")
	assertCalendarDate(t, nextDueDate(billing, e.PaymentDueDays), "2026-03-10")
}

func TestAvailableCredit(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		creditLine, allocated int64
		want                  int64
	}{
		{"nothing allocated: the whole credit line", 10_000_000, 0, 10_000_000},
		{"part allocated: the rest", 10_000_000, 2_500_000, 7_500_000},
		{"all allocated: nothing", 10_000_000, 10_000_000, 0},
		{"zero credit line", 0, 0, 0},
		{"the default maximum credit line, one cent left", DefaultMaxCreditLine, DefaultMaxCreditLine - 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &CompositeParent{CreditLine: tc.creditLine, Allocated: tc.allocated}
			if got := p.AvailableCredit(); got != tc.want {
				t.Errorf("AvailableCredit() with credit line %d and %d allocated = %d, want %d", tc.creditLine, tc.allocated, got, tc.want)
			}
		})
	}
}
