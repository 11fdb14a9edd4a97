package saldo

import (
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets check properties that hold for every input, beyond "does not panic":
// a check-digit error must always be exactly one character away from acceptance, and an
// accepted identifier must always encode the date that is returned.

func FuzzParseCURP(f *testing.F) {
	for _, s := range []string{"BOXW310820HNERXN09", "BOXW310820HNERXN08", "GOMC000229MDFRRRA9", "", "BOÑW310820HNERXN09"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		birth, reason := ParseCURP(s)
		switch reason {
		case "":
			if len(s) != 18 {
				t.Fatalf("accepted %q of length %d", s, len(s))
			}
			if birth.IsZero() || birth.Location() != time.UTC || birth.Hour() != 0 {
				t.Fatalf("accepted %q with birth %v", s, birth)
			}
			if got := birth.Format("060102"); got != s[4:10] {
				t.Fatalf("accepted %q but birth %v encodes %s", s, birth, got)
			}
			if century2000 := s[16] >= 'A'; century2000 != (birth.Year() >= 2000) {
				t.Fatalf("accepted %q with differentiator %q but birth year %d", s, s[16], birth.Year())
			}
			for c := byte('0'); c <= '9'; c++ {
				if c == s[17] {
					continue
				}
				other := s[:17] + string(c)
				if _, r := ParseCURP(other); r != ReasonInvalidCheckDigit {
					t.Fatalf("accepted %q but %q gives %q, want %q", s, other, r, ReasonInvalidCheckDigit)
				}
			}
		case ReasonInvalidCheckDigit:
			if !birth.IsZero() {
				t.Fatalf("rejected %q but returned %v", s, birth)
			}
			if n := curpFixes(s); n != 1 {
				t.Fatalf("%q has a wrong check digit, but %d replacement digits make it valid", s, n)
			}
		case ReasonInvalid:
			if !birth.IsZero() {
				t.Fatalf("rejected %q but returned %v", s, birth)
			}
		default:
			t.Fatalf("ParseCURP(%q) returned unknown reason %q", s, reason)
		}
	})
}

// curpFixes counts the check digits that would make s (assumed 18 bytes) valid.
func curpFixes(s string) int {
	n := 0
	for c := byte('0'); c <= '9'; c++ {
		if _, r := ParseCURP(s[:17] + string(c)); r == "" {
			n++
		}
	}
	return n
}

func FuzzParseRFC(f *testing.F) {
	now := time.Date(2025, time.March, 10, 0, 0, 0, 0, time.UTC).Unix()
	f.Add("GODE561231GR8", false, true, now)
	f.Add("MAB9307148T4", true, true, now)
	f.Add("VACE460910SX6", false, true, now)
	f.Add("PEÑA800101AB8", false, true, now)
	f.Add("&AB800101ABA", true, true, now)
	f.Add("XAXX010101000", false, true, now)
	f.Add("ABCD000229AB4", false, false, int64(0))
	f.Fuzz(func(t *testing.T, s string, business, strict bool, nowUnix int64) {
		now := time.Unix(nowUnix, 0).UTC()
		date, reason := ParseRFC(s, business, strict, now)
		switch reason {
		case "":
			want := 13
			if business {
				want = 12
			}
			if !utf8.ValidString(s) || utf8.RuneCountInString(s) != want {
				t.Fatalf("accepted %q (business=%v) with %d runes", s, business, utf8.RuneCountInString(s))
			}
			if date.IsZero() || date.Location() != time.UTC || date.Hour() != 0 {
				t.Fatalf("accepted %q with date %v", s, date)
			}
			if got := date.Format("060102"); got != s[len(s)-9:len(s)-3] {
				t.Fatalf("accepted %q but date %v encodes %s", s, date, got)
			}
			if y := date.Year(); y < 1900 || y > 2099 {
				t.Fatalf("accepted %q with year %d", s, y)
			}
			if strict {
				// What strict accepts, lax accepts too, with the same date.
				if d, r := ParseRFC(s, business, false, now); r != "" || !d.Equal(date) {
					t.Fatalf("strict accepts %q but lax gives %v, %q", s, d, r)
				}
				if !isGenericRFC(s) {
					for _, c := range []byte("0123456789A") {
						other := s[:len(s)-1] + string(c)
						if c == s[len(s)-1] || isGenericRFC(other) {
							continue
						}
						if _, r := ParseRFC(other, business, true, now); r != ReasonInvalidCheckDigit {
							t.Fatalf("strict accepts %q but %q gives %q, want %q", s, other, r, ReasonInvalidCheckDigit)
						}
					}
				}
			}
		case ReasonInvalidCheckDigit:
			if !strict {
				t.Fatalf("lax ParseRFC(%q) reported a check-digit error", s)
			}
			if !date.IsZero() {
				t.Fatalf("rejected %q but returned %v", s, date)
			}
			// The shape is fine, so lax accepts it, and exactly one check character fixes it.
			// A generic RFC is accepted whatever the formula says, so it may be the one fix
			// (XEXX010101000 happens to satisfy the formula) or an extra one (XAXX010101000
			// does not).
			if _, r := ParseRFC(s, business, false, now); r != "" {
				t.Fatalf("strict says only the check digit of %q is wrong, but lax gives %q", s, r)
			}
			accepted, generic := 0, 0
			for _, c := range []byte("0123456789A") {
				other := s[:len(s)-1] + string(c)
				if _, r := ParseRFC(other, business, true, now); r == "" {
					accepted++
					if isGenericRFC(other) {
						generic++
					}
				}
			}
			if accepted < 1 || accepted-generic > 1 {
				t.Fatalf("%q has a wrong check digit, but %d replacements make it valid (%d generic)", s, accepted, generic)
			}
		case ReasonInvalid:
			if !date.IsZero() {
				t.Fatalf("rejected %q but returned %v", s, date)
			}
			if !strict {
				// A shape error cannot be cured by strictness.
				if _, r := ParseRFC(s, business, true, now); r != ReasonInvalid {
					t.Fatalf("lax rejects %q as invalid but strict gives %q", s, r)
				}
			}
		default:
			t.Fatalf("ParseRFC(%q) returned unknown reason %q", s, reason)
		}
	})
}
