package saldo

import (
	"strings"
	"testing"
	"time"
)

// The vectors with a hand-picked check digit were computed with an independent script that
// implements the published formulas; the spec vectors are taken verbatim from the brief.

func idDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// curpWithCheck completes a 17-character CURP prefix with its check digit. It is written
// independently of ParseCURP (alphabet lookup instead of arithmetic) and is itself pinned
// to the spec vector in TestCURPCheckDigitHelper.
func curpWithCheck(t testing.TB, prefix string) string {
	t.Helper()
	const alphabet = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ"
	if len(prefix) != 17 {
		t.Fatalf("curpWithCheck(%q): need 17 characters", prefix)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(alphabet, prefix[i])
		if v < 0 {
			t.Fatalf("curpWithCheck(%q): %q not in alphabet", prefix, prefix[i])
		}
		sum += v * (18 - i)
	}
	return prefix + string(rune('0'+(10-sum%10)%10))
}

func TestCURPCheckDigitHelper(t *testing.T) {
	if got := curpWithCheck(t, "BOXW310820HNERXN0"); got != "BOXW310820HNERXN09" {
		t.Fatalf("helper disagrees with the spec vector: %s", got)
	}
}

func TestParseCURP(t *testing.T) {
	tests := []struct {
		name   string
		curp   string
		birth  time.Time
		reason string
	}{
		{"spec vector born abroad (NE) in 1931 is valid", "BOXW310820HNERXN09", idDay(1931, time.August, 20), ""},
		{"spec vector with check digit off by one is rejected for the check digit", "BOXW310820HNERXN08", time.Time{}, ReasonInvalidCheckDigit},
		{"letter differentiator puts Feb 29 2000 (leap) in the 2000s", "GOMC000229MDFRRRA9", idDay(2000, time.February, 29), ""},
		{"digit differentiator puts Feb 29 in 1900, which is not a leap year", "GOMC000229MDFRRR09", time.Time{}, ReasonInvalid},
		{"Feb 29 1904 is a leap day", "GOMC040229HJCRRR03", idDay(1904, time.February, 29), ""},
		{"sex X (non-binary) is accepted", "LOPJ991231XCHRNS03", idDay(1999, time.December, 31), ""},

		{"empty string", "", time.Time{}, ReasonInvalid},
		{"17 characters", "BOXW310820HNERXN0", time.Time{}, ReasonInvalid},
		{"19 characters", "BOXW310820HNERXN090", time.Time{}, ReasonInvalid},
		{"very long input", strings.Repeat("BOXW310820HNERXN09", 1000), time.Time{}, ReasonInvalid},
		{"lower case is not upper-cased here", "boxw310820hnerxn09", time.Time{}, ReasonInvalid},
		{"digit among the name initials", "B0XW310820HNERXN09", time.Time{}, ReasonInvalid},
		{"letter in the date", "BOXW31O820HNERXN09", time.Time{}, ReasonInvalid},
		{"sex other than H, M, X", "BOXW310820FNERXN09", time.Time{}, ReasonInvalid},
		{"vowel among the inner consonants", "BOXW310820HNEAXN09", time.Time{}, ReasonInvalid},
		{"letter as check digit is a shape error, not a check-digit error", "BOXW310820HNERXN0A", time.Time{}, ReasonInvalid},
		{"symbol as differentiator", "BOXW310820HNERXN-9", time.Time{}, ReasonInvalid},
		{"Ñ is not in the CURP alphabet", "BOÑW310820HNERXN09", time.Time{}, ReasonInvalid},
		{"invalid UTF-8 byte", "BOXW310820HNERXN\xff9", time.Time{}, ReasonInvalid},
		{"NUL byte", "BOXW310820HNERXN\x009", time.Time{}, ReasonInvalid},

		{"Feb 30 does not exist", curpWithCheck(t, "GOMC010230HDFRRR0"), time.Time{}, ReasonInvalid},
		{"month 13 does not exist", curpWithCheck(t, "GOMC011301HDFRRR0"), time.Time{}, ReasonInvalid},
		{"month 00 does not exist", curpWithCheck(t, "GOMC010001HDFRRR0"), time.Time{}, ReasonInvalid},
		{"day 00 does not exist", curpWithCheck(t, "GOMC010100HDFRRR0"), time.Time{}, ReasonInvalid},
		{"April 31 does not exist", curpWithCheck(t, "GOMC010431HDFRRR0"), time.Time{}, ReasonInvalid},
		{"Feb 29 2001 (letter) is not a leap day", curpWithCheck(t, "GOMC010229HDFRRRA"), time.Time{}, ReasonInvalid},
		{"Feb 29 1901 (digit) is not a leap day", curpWithCheck(t, "GOMC010229HDFRRR0"), time.Time{}, ReasonInvalid},
		{"Feb 28 1901 is fine", curpWithCheck(t, "GOMC010228HDFRRR0"), idDay(1901, time.February, 28), ""},
		{"unknown state code XX", curpWithCheck(t, "GOMC010101HXXRRR0"), time.Time{}, ReasonInvalid},
		{"state code reversed (FD)", curpWithCheck(t, "GOMC010101HFDRRR0"), time.Time{}, ReasonInvalid},
		{"shape errors win over a wrong check digit", "GOMC011301HDFRRR00", time.Time{}, ReasonInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			birth, reason := ParseCURP(tt.curp)
			if reason != tt.reason || !birth.Equal(tt.birth) {
				t.Fatalf("ParseCURP(%q) = %v, %q; want %v, %q", tt.curp, birth, reason, tt.birth, tt.reason)
			}
			if reason == "" && birth.Location() != time.UTC {
				t.Fatalf("birth date not in UTC: %v", birth)
			}
		})
	}
}

func TestParseCURPAcceptsEveryStateCode(t *testing.T) {
	for _, state := range strings.Fields("AS BC BS CC CH CL CM CS DF DG GR GT HG JC MC MN MS NE NL NT OC PL QR QT SL SP SR TC TL TS VZ YN ZS") {
		t.Run(state, func(t *testing.T) {
			curp := curpWithCheck(t, "GOMC850615M"+state+"RRR0")
			if birth, reason := ParseCURP(curp); reason != "" || !birth.Equal(idDay(1985, time.June, 15)) {
				t.Fatalf("ParseCURP(%q) = %v, %q", curp, birth, reason)
			}
		})
	}
}

func TestParseCURPRejectsEveryWrongCheckDigit(t *testing.T) {
	const valid = "BOXW310820HNERXN09"
	for c := byte('0'); c <= '9'; c++ {
		if c == valid[17] {
			continue
		}
		curp := valid[:17] + string(c)
		t.Run(curp, func(t *testing.T) {
			if _, reason := ParseCURP(curp); reason != ReasonInvalidCheckDigit {
				t.Fatalf("ParseCURP(%q) reason = %q, want %q", curp, reason, ReasonInvalidCheckDigit)
			}
		})
	}
}

func TestParseRFC(t *testing.T) {
	now := time.Date(2025, time.March, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		rfc      string
		business bool
		strict   bool
		date     time.Time
		reason   string
	}{
		{"spec personal vector passes strict", "GODE561231GR8", false, true, idDay(1956, time.December, 31), ""},
		{"spec business vector passes strict", "MAB9307148T4", true, true, idDay(1993, time.July, 14), ""},
		{"spec vector with wrong digit fails strict", "VACE460910SX6", false, true, time.Time{}, ReasonInvalidCheckDigit},
		{"spec vector with wrong digit passes when not strict", "VACE460910SX6", false, false, idDay(1946, time.September, 10), ""},
		{"spec vector corrected to digit 5 passes strict", "VACE460910SX5", false, true, idDay(1946, time.September, 10), ""},
		{"check digit 10 is written A (personal)", "GODE561231AEA", false, true, idDay(1956, time.December, 31), ""},
		{"check digit 10 is written A (business)", "MAB930714ADA", true, true, idDay(1993, time.July, 14), ""},
		{"check digit 10 written as 0 fails strict", "GODE561231AE0", false, true, time.Time{}, ReasonInvalidCheckDigit},

		{"Ñ counts as one character in a personal RFC", "PEÑA800101AB8", false, true, idDay(1980, time.January, 1), ""},
		{"Ñ twice, including first position", "ÑAÑO800101AB3", false, true, idDay(1980, time.January, 1), ""},
		{"Ñ counts as one character in a business RFC", "PEÑ800101AB2", true, true, idDay(1980, time.January, 1), ""},
		{"Ñ in the middle of a business name", "AÑO800101AB5", true, true, idDay(1980, time.January, 1), ""},
		{"& leads a business RFC (and its digit is A)", "&AB800101ABA", true, true, idDay(1980, time.January, 1), ""},
		{"& inside a personal RFC", "A&OS800101AB5", false, true, idDay(1980, time.January, 1), ""},
		{"Ñ with a wrong check digit is a check-digit error", "PEÑA800101AB9", false, true, time.Time{}, ReasonInvalidCheckDigit},
		{"lower-case ñ is not upper-cased here", "PEñA800101AB8", false, false, time.Time{}, ReasonInvalid},
		{"decomposed N plus combining tilde is not Ñ", "PEN\u0303A800101AB8", false, false, time.Time{}, ReasonInvalid},
		{"Ñ is not allowed in the homoclave", "PERA800101AÑ8", false, false, time.Time{}, ReasonInvalid},
		{"& is not allowed in the homoclave", "PERA800101A&8", false, false, time.Time{}, ReasonInvalid},
		{"Ñ is not allowed in the date", "PERA8001Ñ1AB8", false, false, time.Time{}, ReasonInvalid},

		{"business RFC checked as personal is too short", "MAB9307148T4", false, false, time.Time{}, ReasonInvalid},
		{"personal RFC checked as business is too long", "GODE561231GR8", true, false, time.Time{}, ReasonInvalid},
		{"empty personal", "", false, false, time.Time{}, ReasonInvalid},
		{"empty business", "", true, false, time.Time{}, ReasonInvalid},
		{"12 characters personal", "GODE561231GR", false, false, time.Time{}, ReasonInvalid},
		{"14 characters personal", "GODE561231GR88", false, false, time.Time{}, ReasonInvalid},
		{"11 characters business", "MAB9307148T", true, false, time.Time{}, ReasonInvalid},
		{"13 characters business made of 2-byte runes still too long", "ÑÑÑ9307148T44", true, false, time.Time{}, ReasonInvalid},
		{"five name letters make 14 characters", "GODEE561231GR8", false, false, time.Time{}, ReasonInvalid},
		{"business RFC with Ñ has 13 bytes but is not a personal RFC", "PEÑ800101AB2", false, false, time.Time{}, ReasonInvalid},
		{"very long input", strings.Repeat("Ñ", 5000), false, false, time.Time{}, ReasonInvalid},
		{"digit among the name letters", "G0DE561231GR8", false, false, time.Time{}, ReasonInvalid},
		{"letter in the date", "GODE56123IGR8", false, false, time.Time{}, ReasonInvalid},
		{"symbol in the homoclave", "GODE561231G-8", false, false, time.Time{}, ReasonInvalid},
		{"lower case", "gode561231gr8", false, false, time.Time{}, ReasonInvalid},
		{"space instead of a letter", "GOD 561231GR8", false, false, time.Time{}, ReasonInvalid},
		{"invalid UTF-8 in the name", "GOD\xff561231GR8", false, false, time.Time{}, ReasonInvalid},
		{"truncated Ñ (lone lead byte)", "GOD\xc3561231GR8", false, false, time.Time{}, ReasonInvalid},

		{"Feb 30 does not exist", "GODE560230GR8", false, false, time.Time{}, ReasonInvalid},
		{"month 13 does not exist", "GODE561301GR8", false, false, time.Time{}, ReasonInvalid},
		{"month 00 does not exist", "GODE560001GR8", false, false, time.Time{}, ReasonInvalid},
		{"day 00 does not exist", "GODE561200GR8", false, false, time.Time{}, ReasonInvalid},
		{"day 32 does not exist", "GODE561232GR8", false, false, time.Time{}, ReasonInvalid},
		{"Feb 29 of 1901 and 2001 do not exist", "GODE010229GR8", false, false, time.Time{}, ReasonInvalid},
		{"Feb 29 of 2000 exists though 1900 is not leap", "ABCD000229AB4", false, true, idDay(2000, time.February, 29), ""},
		{"Feb 29 2000 in a business RFC", "ABC000229AB5", true, true, idDay(2000, time.February, 29), ""},
		{"YY equal to this year is 20YY", "ABCD250615AB9", false, true, idDay(2025, time.June, 15), ""},
		{"YY after this year is 19YY", "ABCD260615AB1", false, true, idDay(1926, time.June, 15), ""},
		{"shape errors win over a wrong check digit", "GODE561301GR0", false, true, time.Time{}, ReasonInvalid},

		{"generic público en general passes strict", "XAXX010101000", false, true, idDay(2001, time.January, 1), ""},
		{"generic foreigner passes strict", "XEXX010101000", false, true, idDay(2001, time.January, 1), ""},
		{"generic público en general passes lax", "XAXX010101000", false, false, idDay(2001, time.January, 1), ""},
		{"generic RFC is a personal (13-char) RFC", "XAXX010101000", true, false, time.Time{}, ReasonInvalid},
		{"near-generic RFC gets its check digit checked", "XAXX010101001", false, true, time.Time{}, ReasonInvalidCheckDigit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			date, reason := ParseRFC(tt.rfc, tt.business, tt.strict, now)
			if reason != tt.reason || !date.Equal(tt.date) {
				t.Fatalf("ParseRFC(%q, business=%v, strict=%v) = %v, %q; want %v, %q",
					tt.rfc, tt.business, tt.strict, date, reason, tt.date, tt.reason)
			}
			if reason == "" && date.Location() != time.UTC {
				t.Fatalf("date not in UTC: %v", date)
			}
		})
	}
}

func TestParseRFCCentury(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"in 2025, 99 is 1999", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), idDay(1999, time.January, 1)},
		{"in 2099, 99 is 2099", time.Date(2099, 12, 31, 23, 0, 0, 0, time.UTC), idDay(2099, time.January, 1)},
		{"the zero time (year 1) does not panic and reads 99 as 1999", time.Time{}, idDay(1999, time.January, 1)},
		{"a negative year does not panic", time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), idDay(1999, time.January, 1)},
		{"now's zone does not matter for the year digits", time.Date(2025, 6, 1, 0, 0, 0, 0, MexicoCity), idDay(1999, time.January, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			date, reason := ParseRFC("ABCD990101AB1", false, false, tt.now)
			if reason != "" || !date.Equal(tt.want) {
				t.Fatalf("got %v, %q; want %v", date, reason, tt.want)
			}
		})
	}
}

func TestIsGenericRFC(t *testing.T) {
	tests := []struct {
		name string
		rfc  string
		want bool
	}{
		{"público en general", "XAXX010101000", true},
		{"foreigner", "XEXX010101000", true},
		{"lower case is not generic", "xaxx010101000", false},
		{"padded is not generic", " XAXX010101000", false},
		{"a real personal RFC", "GODE561231GR8", false},
		{"similar but different digit", "XAXX010101001", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isGenericRFC(tt.rfc); got != tt.want {
				t.Fatalf("IsGenericRFC(%q) = %v, want %v", tt.rfc, got, tt.want)
			}
		})
	}
}

func BenchmarkParseCURP(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ParseCURP("BOXW310820HNERXN09")
	}
}

func BenchmarkParseRFC(b *testing.B) {
	now := time.Date(2025, time.March, 10, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		ParseRFC("PEÑA800101AB8", false, true, now)
	}
}
