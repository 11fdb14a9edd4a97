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
// The generic RFCs (see isGenericRFC) are accepted even in strict mode: SAT publishes them
// as fixed values, and XAXX010101000 does not satisfy the check-digit formula. Callers
// that must not accept them check isGenericRFC themselves.
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
	sum, rest, ok := rfcNameSum(rfc, business)
	if !ok || !rfcDateAndHomoclave(rest) {
		return time.Time{}, ReasonInvalid
	}
	month, day := idTwoDigits(rest[2:4]), idTwoDigits(rest[4:6])
	year, ok := rfcYear(idTwoDigits(rest[0:2]), month, day, now)
	if !ok {
		return time.Time{}, ReasonInvalid
	}
	if strict && !isGenericRFC(rfc) && rest[8] != rfcCheckChar(sum, rest) {
		return time.Time{}, ReasonInvalidCheckDigit
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), ""
}

// The RFC check-digit formula works on 12 positions, weighted 13 down to 2: a persona
// física's 4 name letters take the first four, a persona moral's 3 letters are left-padded
// with one space (value 37, at weight 13), and the date and the first two homoclave
// characters take the other eight, weights 9 down to 2.

// rfcNameSum reads the name letters at the start of rfc (3 for a business, else 4): capital
// letters, '&' or 'Ñ'. It returns their share of the check-digit sum, padding included, and
// the rest of rfc after them; ok is false if a letter is missing or of another kind.
func rfcNameSum(rfc string, business bool) (sum int, rest string, ok bool) {
	letters, weight := 4, 13
	if business {
		letters, weight, sum = 3, 12, 37*13
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
			return 0, "", false
		}
		sum += v * (weight - k)
		off += size
	}
	return sum, rfc[off:], true
}

// rfcDateAndHomoclave reports whether rest is YYMMDD and a three-character homoclave: six
// ASCII digits, then three digits or capital letters.
func rfcDateAndHomoclave(rest string) bool {
	if len(rest) != 9 {
		return false
	}
	for i := 0; i < 9; i++ {
		c := rest[i]
		if !(idDigit(c) || (i >= 6 && idUpper(c))) {
			return false
		}
	}
	return true
}

// rfcYear picks the century of an RFC's date: 19YY when YY is greater than the last two
// digits of now's year, else 20YY, unless only the other century makes the date real. ok is
// false if the date is real in neither.
func rfcYear(yy, month, day int, now time.Time) (year int, ok bool) {
	nowYY := now.Year() % 100
	if nowYY < 0 { // years before 1 CE; only reachable through a nonsensical clock
		nowYY += 100
	}
	year, other := 2000+yy, 1900+yy
	if yy > nowYY {
		year, other = other, year
	}
	if idRealDate(year, month, day) {
		return year, true
	}
	// 19YY and 20YY differ in leap-ness only for YY = 00, and the rule above already puts
	// 00 in 2000; falling back keeps "valid implies a real returned date" true without
	// relying on that argument.
	return other, idRealDate(other, month, day)
}

// rfcCheckChar is the check character (the last one) of an RFC whose name letters add
// nameSum to the sum and whose date and homoclave are rest: 11 minus the sum mod 11, mod
// 11, written '0' to '9', or 'A' for 10.
func rfcCheckChar(nameSum int, rest string) byte {
	sum := nameSum
	for i := 0; i < 8; i++ {
		sum += idCharValue(rest[i]) * (9 - i)
	}
	return "0123456789A"[(11-sum%11)%11]
}

// isGenericRFC reports whether rfc is one of SAT's generic RFCs: XAXX010101000 for the
// público en general and XEXX010101000 for foreigners without a Mexican RFC. They are
// well-formed but identify nobody, so callers may want to treat them differently.
func isGenericRFC(rfc string) bool {
	return rfc == "XAXX010101000" || rfc == "XEXX010101000"
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
