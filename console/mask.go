package console

import (
	"strings"
	"unicode/utf8"
)

// Viewers see personal data masked, server-side: what reaches their browser is only the mask.

// maskEmail keeps the first character of the local part and the domain: j***@example.com.
func maskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	return firstRunes(local, 1) + "***@" + domain
}

// maskPrefix keeps the first n characters of an identifier (an RFC, a CURP): the part that
// encodes initials, not the birth date or the rest.
func maskPrefix(s string, n int) string {
	if s == "" {
		return ""
	}
	return firstRunes(s, n) + strings.Repeat("*", max(utf8.RuneCountInString(s)-n, 3))
}

// maskMobile keeps the last two digits: ********34.
func maskMobile(s string) string {
	if len(s) <= 2 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-2) + s[len(s)-2:]
}

// maskName keeps a name's first letter: J***.
func maskName(s string) string {
	if s == "" {
		return ""
	}
	return firstRunes(s, 1) + "***"
}

func firstRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
