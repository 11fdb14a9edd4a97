package saldo

import (
	"strconv"
)

// CLABEs (the 18-digit Mexican interbank account numbers): a wallet of a partner with a CLABE
// prefix (its SPEI participant's 3-digit bank and 3-digit plaza codes) has the CLABE prefix +
// its balance id as an 11-digit account number + the check digit. It is derived, never
// stored: a SPEI payment to it finds the wallet from its digits alone.

// ValidCLABE reports whether clabe is 18 ASCII digits whose last digit is the Banxico
// check digit of the first 17 (weights 3, 7, 1 repeating, each product taken mod 10).
func ValidCLABE(clabe string) bool {
	return len(clabe) == 18 && allDigits(clabe) && clabe[17]-'0' == clabeCheckDigit(clabe[:17])
}

// clabeCheckDigit is the check digit of 17 digits.
func clabeCheckDigit(digits string) byte {
	weights := [3]int{3, 7, 1}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(digits[i]-'0') * weights[i%3] % 10
	}
	return byte((10 - sum%10) % 10)
}

// maxCLABEAccount is the largest 11-digit account number.
const maxCLABEAccount = 99_999_999_999

// WalletCLABE is the CLABE of wallet walletID under prefix, or "" when the partner has no
// prefix.
func WalletCLABE(prefix string, walletID int64) string {
	if prefix == "" || walletID <= 0 || walletID > maxCLABEAccount {
		return ""
	}
	digits := prefix + leftPad(strconv.FormatInt(walletID, 10), 11)
	return digits + string('0'+clabeCheckDigit(digits))
}

// walletOfCLABE returns the wallet id a CLABE under prefix names, or false when it is not
// one of prefix's wallet CLABEs.
func walletOfCLABE(prefix, clabe string) (int64, bool) {
	if prefix == "" || !ValidCLABE(clabe) || clabe[:6] != prefix {
		return 0, false
	}
	id, err := strconv.ParseInt(clabe[6:17], 10, 64)
	return id, err == nil && id > 0
}

// validCLABEPrefix reports whether p is a CLABE prefix: 6 digits, or "" for none.
func validCLABEPrefix(p string) bool { return p == "" || len(p) == 6 && allDigits(p) }
