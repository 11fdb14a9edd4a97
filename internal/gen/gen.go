// Package gen makes valid, unique customer data for tests and load generation: every sequence
// number gives a different email, mobile, RFC and CURP, each with a correct check digit.
package gen

import (
	"fmt"
	"time"

	"github.com/saldo-mx/saldo"
)

const (
	letters    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	consonants = "BCDFGHJKLMNPQRSTVWXYZ" // the CURP's internal consonants
	alnum      = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// BirthDate is every generated person's date of birth, so CURP, RFC and date_of_birth agree.
const BirthDate = "1990-01-15"

// Customer returns a personal (gender 2) create request whose identifiers are unique for each
// (prefix, seq): prefix keeps runs apart (use "" in a fresh database). The data supports KYC
// level 1 only; add the level 2 and 3 fields with Level3.
func Customer(prefix string, seq uint64) saldo.CreateCustomerRequest {
	return saldo.CreateCustomerRequest{
		Email:          fmt.Sprintf("%suser%d@example.com", prefix, seq),
		Mobile:         fmt.Sprintf("5%09d", seq%1_000_000_000),
		FirstName:      "Juan",
		LastName:       "Pérez",
		SecondLastName: "Gómez",
		Gender:         "2",
		RFC:            RFC(seq),
		CURP:           CURP(seq),
		DateOfBirth:    BirthDate,
	}
}

// Level3 adds to r everything KYC level 3 asks of a personal account.
func Level3(r saldo.CreateCustomerRequest) saldo.CreateCustomerRequest {
	r.Street, r.Exterior, r.Colony, r.City, r.Zipcode, r.StateID, r.NationalityID = "Av. Reforma", "222", "Juárez", "Ciudad de México", "06600", "9", "1"
	r.IdentificationDocumentFront, r.IdentificationDocumentBack, r.IdentificationDocumentType = "doc://ine-front", "doc://ine-back", "1"
	r.AddressDocumentFront, r.AddressDocumentType, r.Selfie = "doc://cfe", "2", "doc://selfie"
	return r
}

// CURP returns a valid CURP, unique for each seq below 26⁴·21³, born on BirthDate in CDMX.
func CURP(seq uint64) string {
	b := []byte("AAAA900115HDFBBB0")
	for i := 3; i >= 0; i-- {
		b[i] = letters[seq%26]
		seq /= 26
	}
	for i := 15; i >= 13; i-- {
		b[i] = consonants[seq%21]
		seq /= 21
	}
	return withCheckDigit(string(b), "0123456789", func(s string) bool {
		_, reason := saldo.ParseCURP(s)
		return reason == ""
	})
}

// RFC returns a valid personal RFC with a correct check digit, unique for each seq below
// 26⁴·36².
func RFC(seq uint64) string {
	b := []byte("AAAA900115AA")
	for i := 3; i >= 0; i-- {
		b[i] = letters[seq%26]
		seq /= 26
	}
	for i := 11; i >= 10; i-- {
		b[i] = alnum[seq%36]
		seq /= 36
	}
	return withCheckDigit(string(b), "0123456789A", func(s string) bool {
		_, reason := saldo.ParseRFC(s, false, true, time.Now())
		return reason == ""
	})
}

func withCheckDigit(body, digits string, valid func(string) bool) string {
	for i := 0; i < len(digits); i++ {
		if s := body + digits[i:i+1]; valid(s) {
			return s
		}
	}
	panic("gen: no check digit makes " + body + " valid")
}
