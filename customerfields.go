package saldo

import "strconv"

// CustomerField is a field of a customer request as the contract names it, and where its
// text is in a CreateCustomerRequest. The composite balance credit line, which is not the
// customer's, is not one.
type CustomerField struct {
	Name string
	Of   func(*CreateCustomerRequest) *string
}

// CustomerFields are the fields of a customer request, in the contract's order.
var CustomerFields = []CustomerField{
	{"email", func(r *CreateCustomerRequest) *string { return &r.Email }},
	{"mobile", func(r *CreateCustomerRequest) *string { return &r.Mobile }},
	{"mobile_country_code", func(r *CreateCustomerRequest) *string { return &r.MobileCountryCode }},
	{"first_name", func(r *CreateCustomerRequest) *string { return &r.FirstName }},
	{"middle_name", func(r *CreateCustomerRequest) *string { return &r.MiddleName }},
	{"last_name", func(r *CreateCustomerRequest) *string { return &r.LastName }},
	{"second_last_name", func(r *CreateCustomerRequest) *string { return &r.SecondLastName }},
	{"gender", func(r *CreateCustomerRequest) *string { return &r.Gender }},
	{"rfc", func(r *CreateCustomerRequest) *string { return &r.RFC }},
	{"curp", func(r *CreateCustomerRequest) *string { return &r.CURP }},
	{"date_of_birth", func(r *CreateCustomerRequest) *string { return &r.DateOfBirth }},
	{"password", func(r *CreateCustomerRequest) *string { return &r.Password }},
	{"device_id", func(r *CreateCustomerRequest) *string { return &r.DeviceID }},
	{"kyc_level", func(r *CreateCustomerRequest) *string { return &r.KYCLevel }},
	{"telephone", func(r *CreateCustomerRequest) *string { return &r.Telephone }},
	{"address", func(r *CreateCustomerRequest) *string { return &r.Address }},
	{"correspondence_address", func(r *CreateCustomerRequest) *string { return &r.CorrespondenceAddress }},
	{"street", func(r *CreateCustomerRequest) *string { return &r.Street }},
	{"exterior", func(r *CreateCustomerRequest) *string { return &r.Exterior }},
	{"interior", func(r *CreateCustomerRequest) *string { return &r.Interior }},
	{"colony", func(r *CreateCustomerRequest) *string { return &r.Colony }},
	{"city", func(r *CreateCustomerRequest) *string { return &r.City }},
	{"country_of_birth", func(r *CreateCustomerRequest) *string { return &r.CountryOfBirth }},
	{"zipcode", func(r *CreateCustomerRequest) *string { return &r.Zipcode }},
	{"state_id", func(r *CreateCustomerRequest) *string { return &r.StateID }},
	{"nationality_id", func(r *CreateCustomerRequest) *string { return &r.NationalityID }},
	{"occupation_id", func(r *CreateCustomerRequest) *string { return &r.OccupationID }},
	{"identification_document_front", func(r *CreateCustomerRequest) *string { return &r.IdentificationDocumentFront }},
	{"identification_document_back", func(r *CreateCustomerRequest) *string { return &r.IdentificationDocumentBack }},
	{"identification_document_type", func(r *CreateCustomerRequest) *string { return &r.IdentificationDocumentType }},
	{"address_document_front", func(r *CreateCustomerRequest) *string { return &r.AddressDocumentFront }},
	{"address_document_back", func(r *CreateCustomerRequest) *string { return &r.AddressDocumentBack }},
	{"address_document_type", func(r *CreateCustomerRequest) *string { return &r.AddressDocumentType }},
	{"selfie", func(r *CreateCustomerRequest) *string { return &r.Selfie }},
	{"business_name", func(r *CreateCustomerRequest) *string { return &r.BusinessName }},
	{"business_purpose", func(r *CreateCustomerRequest) *string { return &r.BusinessPurpose }},
	{"constitution_date", func(r *CreateCustomerRequest) *string { return &r.ConstitutionDate }},
	{"society_type", func(r *CreateCustomerRequest) *string { return &r.SocietyType }},
	{"campaign_id", func(r *CreateCustomerRequest) *string { return &r.CampaignID }},
}

// requestOf is a stored customer as the request that would store it: what an update's
// fields are laid over.
func requestOf(c *Customer) CreateCustomerRequest {
	num := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	return CreateCustomerRequest{
		Email: c.Email, Mobile: c.Mobile, MobileCountryCode: c.MobileCountryCode,
		FirstName: c.FirstName, MiddleName: c.MiddleName, LastName: c.LastName, SecondLastName: c.SecondLastName,
		Gender: num(int64(c.Gender)), RFC: c.RFC, CURP: c.CURP, DateOfBirth: c.DateOfBirth,
		Telephone: c.Telephone, Address: c.Address, CorrespondenceAddress: c.CorrespondenceAddress,
		Street: c.Street, Exterior: c.Exterior, Interior: c.Interior, Colony: c.Colony, City: c.City,
		CountryOfBirth: c.CountryOfBirth, Zipcode: c.Zipcode, StateID: num(c.StateID),
		NationalityID: num(c.NationalityID), OccupationID: num(c.OccupationID),
		IdentificationDocumentFront: c.IdentificationDocumentFront, IdentificationDocumentBack: c.IdentificationDocumentBack,
		IdentificationDocumentType: num(c.IdentificationDocumentType),
		AddressDocumentFront:       c.AddressDocumentFront, AddressDocumentBack: c.AddressDocumentBack,
		AddressDocumentType: num(c.AddressDocumentType), Selfie: c.Selfie,
		BusinessName: c.BusinessName, BusinessPurpose: c.BusinessPurpose, ConstitutionDate: c.ConstitutionDate,
		SocietyType: num(c.SocietyType), CampaignID: c.CampaignID,
	}
}

// changedFields names the fields whose stored text differs between two customers.
func changedFields(before, after *Customer) []string {
	b, a := requestOf(before), requestOf(after)
	changed := []string{}
	for _, f := range CustomerFields {
		if *f.Of(&b) != *f.Of(&a) {
			changed = append(changed, f.Name)
		}
	}
	return changed
}
