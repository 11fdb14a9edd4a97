package saldo

import (
	"time"
	"unicode/utf8"
)

// Reasons returned by the validators; the caller turns them into "field:reason" hints.
const (
	ReasonInvalid           = "invalid"             // wrong length, characters, pattern, date or state code
	ReasonInvalidCheckDigit = "invalid_check_digit" // shape fine, check digit wrong
)

// The validators below run on every account creation, so they are hand-written byte scans
// rather than regular expressions: no allocations, and every index is bounds-checked by a
// length test first so that no input can make them panic.

// ParseCURP validates a CURP (already trimmed and upper-cased by the caller) and returns the
// birth date it encodes (UTC midnight) and "" when valid, or the zero time and a reason.
//
// Every shape, date and state problem is reported before the check digit is looked at, so
// ReasonInvalidCheckDigit means "one typo away from a well-formed CURP".
func ParseCURP(curp string) (birth time.Time, reason string) {
	// A CURP is pure ASCII, so a byte length test is also a character length test; any
	// multi-byte rune makes some position fail the per-byte checks below.
	if len(curp) != 18 {
		return time.Time{}, ReasonInvalid
	}
	for i := 0; i < 18; i++ {
		c := curp[i]
		var ok bool
		switch {
		case i < 4, i == 11, i == 12: // name initials, state code
			ok = idUpper(c)
		case i < 10, i == 17: // YYMMDD, check digit
			ok = idDigit(c)
		case i == 10: // sex; X is the non-binary marker
			ok = c == 'H' || c == 'M' || c == 'X'
		case i < 16: // inner consonants of the surnames and first name
			ok = idUpper(c) && c != 'A' && c != 'E' && c != 'I' && c != 'O' && c != 'U'
		default: // i == 16: homonym differentiator
			ok = idDigit(c) || idUpper(c)
		}
		if !ok {
			return time.Time{}, ReasonInvalid
		}
	}
	if !curpState(curp[11:13]) {
		return time.Time{}, ReasonInvalid
	}

	// The differentiator is the only place the century is recorded: RENAPO issues a digit
	// to people born up to 1999 and a letter from 2000 on. Without it 000229 would be
	// ambiguous between 1900 (not a leap year) and 2000 (a leap year).
	year := 1900 + idTwoDigits(curp[4:6])
	if idUpper(curp[16]) {
		year += 100
	}
	month, day := idTwoDigits(curp[6:8]), idTwoDigits(curp[8:10])
	if !idRealDate(year, month, day) {
		return time.Time{}, ReasonInvalid
	}

	sum := 0
	for i := 0; i < 17; i++ {
		sum += idCharValue(curp[i]) * (18 - i)
	}
	if int(curp[17]-'0') != (10-sum%10)%10 {
		return time.Time{}, ReasonInvalidCheckDigit
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), ""
}

// curpState reports whether code is one of RENAPO's two-letter entity codes; NE marks
// people born abroad and is a legitimate code, not a placeholder.
func curpState(code string) bool {
	switch code {
	case "AS", "BC", "BS", "CC", "CH", "CL", "CM", "CS", "DF", "DG", "GR", "GT", "HG", "JC",
		"MC", "MN", "MS", "NE", "NL", "NT", "OC", "PL", "QR", "QT", "SL", "SP", "SR", "TC",
		"TL", "TS", "VZ", "YN", "ZS":
		return true
	}
	return false
}

// ParseRFC validates an RFC (trimmed, upper-cased). business selects the 12-char form of a
// persona moral; otherwise the 13-char form of a persona física is expected. strict enforces
// the check digit (the last character). It returns the date the RFC encodes (UTC midnight)
// and "" when valid, else the zero time and a reason.
//
// An RFC does not record its century. The date is accepted if it is real in 19YY or in
// 20YY, and the returned date is in 19YY when YY is greater than the last two digits of
// now's year, else in 20YY.
//
// The generic RFCs (see IsGenericRFC) are accepted even in strict mode: SAT publishes them
// as fixed values, and XAXX010101000 does not satisfy the check-digit formula. Callers
// that must not accept them check IsGenericRFC themselves.
func ParseRFC(rfc string, business, strict bool, now time.Time) (date time.Time, reason string) {
	total := 13 // characters (runes), not bytes: Ñ takes two bytes in UTF-8
	if business {
		total = 12
	}
	letters := total - 9
	// Only the name letters may be multi-byte, and Ñ is two bytes, which bounds the byte length.
	if len(rfc) < total || len(rfc) > total+letters {
		return time.Time{}, ReasonInvalid
	}

	// The check-digit formula works on 12 positions; a persona moral's 11 characters are
	// left-padded with one space (value 37), which sits at weight 13.
	sum := 0
	pos := 13 - total
	if business {
		sum = 37 * 13
	}
	off := 0
	for k := 0; k < letters; k++ {
		r, size := utf8.DecodeRuneInString(rfc[off:])
		var v int
		switch {
		case r >= 'A' && r <= 'Z':
			v = idCharValue(byte(r))
		case r == '&':
			v = 24
		case r == 'Ñ':
			v = 38
		default: // includes utf8.RuneError for invalid UTF-8 and the end of the string
			return time.Time{}, ReasonInvalid
		}
		sum += v * (13 - pos)
		pos++
		off += size
	}
	rest := rfc[off:] // YYMMDD and the three-character homoclave, all ASCII
	if len(rest) != 9 {
		return time.Time{}, ReasonInvalid
	}
	for i := 0; i < 9; i++ {
		c := rest[i]
		if !(idDigit(c) || (i >= 6 && idUpper(c))) {
			return time.Time{}, ReasonInvalid
		}
	}

	yy, month, day := idTwoDigits(rest[0:2]), idTwoDigits(rest[2:4]), idTwoDigits(rest[4:6])
	nowYY := now.Year() % 100
	if nowYY < 0 { // years before 1 CE; only reachable through a nonsensical clock
		nowYY += 100
	}
	year, other := 2000+yy, 1900+yy
	if yy > nowYY {
		year, other = other, year
	}
	if !idRealDate(year, month, day) {
		// 19YY and 20YY differ in leap-ness only for YY = 00, and the rule above already
		// puts 00 in 2000; falling back keeps "valid implies a real returned date" true
		// without relying on that argument.
		if !idRealDate(other, month, day) {
			return time.Time{}, ReasonInvalid
		}
		year = other
	}

	if strict && !IsGenericRFC(rfc) {
		for i := 0; i < 8; i++ {
			sum += idCharValue(rest[i]) * (13 - pos)
			pos++
		}
		r := (11 - sum%11) % 11
		want := byte('0' + r)
		if r == 10 {
			want = 'A'
		}
		if rest[8] != want {
			return time.Time{}, ReasonInvalidCheckDigit
		}
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), ""
}

// IsGenericRFC reports whether rfc is one of SAT's generic RFCs: XAXX010101000 for the
// público en general and XEXX010101000 for foreigners without a Mexican RFC. They are
// well-formed but identify nobody, so callers may want to treat them differently.
func IsGenericRFC(rfc string) bool {
	return rfc == "XAXX010101000" || rfc == "XEXX010101000"
}

// ValidCLABE reports whether clabe is 18 ASCII digits whose last digit is the Banxico
// check digit of the first 17 (weights 3, 7, 1 repeating, each product taken mod 10).
func ValidCLABE(clabe string) bool {
	if len(clabe) != 18 {
		return false
	}
	for i := 0; i < 18; i++ {
		if !idDigit(clabe[i]) {
			return false
		}
	}
	sum := 0
	for i := 0; i < 17; i++ {
		w := 3
		switch i % 3 {
		case 1:
			w = 7
		case 2:
			w = 1
		}
		sum += int(clabe[i]-'0') * w % 10
	}
	return int(clabe[17]-'0') == (10-sum%10)%10
}

func idDigit(c byte) bool { return c >= '0' && c <= '9' }
func idUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// idTwoDigits assumes s holds two ASCII digits, which the callers have checked.
func idTwoDigits(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// idCharValue is the position of an ASCII digit or capital letter in the alphabet both
// check-digit formulas share, "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ": '&' takes the place
// Ñ has in the Spanish alphabet, which shifts O..Z up by one.
func idCharValue(c byte) int {
	switch {
	case idDigit(c):
		return int(c - '0')
	case c <= 'N':
		return int(c-'A') + 10
	default:
		return int(c-'A') + 11
	}
}

// idRealDate reports whether the proleptic Gregorian date exists; time.Date would silently
// normalise Feb 30 into March.
func idRealDate(year, month, day int) bool {
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := idDaysInMonth[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

var idDaysInMonth = [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
