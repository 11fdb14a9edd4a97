package saldo

import "testing"

// BenchmarkValidate validates a full level-3 personal request for a partner with composite
// balances and strict RFCs: every rule of §3 and §3.1 runs.
func BenchmarkValidate(b *testing.B) {
	e := requestPartner(b, NewPartner{CompositeBalances: true, StrictRFC: true})
	r := level3PersonalRequest()
	r.MiddleName, r.SecondLastName = "Carlos", "Gómez"
	r.Password, r.DeviceID, r.KYCLevel = "correct horse battery", "iphone-15", "3"
	r.Telephone, r.Address, r.Interior, r.OccupationID = "5512345678", "Av. Insurgentes Sur 1602", "4B", "12"
	r.AddressDocumentBack, r.CampaignID, r.CompositeCreditLine = "docs/cfe-back.pdf", "spring-2026", "10000000"
	if v := mustValidate(b, e, r, validateNow); v.customer.AccountLevel != 3 {
		b.Fatalf("account_level = %d, want 3", v.customer.AccountLevel)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.validate(e, validateNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewSecret(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewSecret(PrivateKeyPrefix)
	}
}

func BenchmarkHashSecret(b *testing.B) {
	secret := NewSecret(PartnerTokenPrefix)
	b.ReportAllocs()
	for b.Loop() {
		_ = HashSecret(secret)
	}
}
