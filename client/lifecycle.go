package client

import (
	"context"
	"net/http"
)

// Account status values (Account.AccountStatus).
const (
	AccountStatusActive  = 1
	AccountStatusBlocked = 2
	AccountStatusClosed  = 3
)

// UpdateAccountRequest is the body of PATCH /user/v1/account/{customer_id}: the create's
// fields, every one optional. Zero fields are left out and stay unchanged; a field cannot be
// cleared. The credentials and the composite balance parent do not change here.
type UpdateAccountRequest struct {
	Email string `json:"email,omitempty"`
	// Mobile is the 10-digit number. It is sent as a JSON string, which the server accepts
	// as well as a number; answers give it as a number (Account.Mobile).
	Mobile string `json:"mobile,omitempty"`
	// MobileCountryCode is 1–3 digits, default "52"; a leading "+" is dropped.
	MobileCountryCode string `json:"mobile_country_code,omitempty"`
	FirstName         string `json:"first_name,omitempty"`
	MiddleName        string `json:"middle_name,omitempty"`
	LastName          string `json:"last_name,omitempty"`
	SecondLastName    string `json:"second_last_name,omitempty"`
	// Gender may change within the account type only (GenderFemale and GenderMale for a
	// person): crossing it is a 5000 with the hint "gender:not_allowed".
	Gender int    `json:"gender,omitempty"`
	RFC    string `json:"rfc,omitempty"`
	CURP   string `json:"curp,omitempty"`
	// DateOfBirth is YYYY-MM-DD.
	DateOfBirth string `json:"date_of_birth,omitempty"`
	// KYCLevel (1–3) is the level asked for: the profile after the update must have its
	// data, or a 5000 names every missing field ("<field>:required_for_level_<n>").
	KYCLevel              int    `json:"kyc_level,omitempty"`
	Telephone             string `json:"telephone,omitempty"`
	Address               string `json:"address,omitempty"`
	CorrespondenceAddress string `json:"correspondence_address,omitempty"`
	Street                string `json:"street,omitempty"`
	Exterior              string `json:"exterior,omitempty"`
	Interior              string `json:"interior,omitempty"`
	Colony                string `json:"colony,omitempty"`
	City                  string `json:"city,omitempty"`
	CountryOfBirth        string `json:"country_of_birth,omitempty"`
	// Zipcode is 5 digits, a string so that a leading zero ("06600") survives.
	Zipcode       string `json:"zipcode,omitempty"`
	StateID       int64  `json:"state_id,omitempty"`
	NationalityID int64  `json:"nationality_id,omitempty"`
	OccupationID  int64  `json:"occupation_id,omitempty"`
	// The document fields are references to documents stored elsewhere.
	IdentificationDocumentFront string `json:"identification_document_front,omitempty"`
	IdentificationDocumentBack  string `json:"identification_document_back,omitempty"`
	IdentificationDocumentType  int64  `json:"identification_document_type,omitempty"`
	AddressDocumentFront        string `json:"address_document_front,omitempty"`
	AddressDocumentBack         string `json:"address_document_back,omitempty"`
	AddressDocumentType         int64  `json:"address_document_type,omitempty"`
	Selfie                      string `json:"selfie,omitempty"`
	BusinessName                string `json:"business_name,omitempty"`
	BusinessPurpose             string `json:"business_purpose,omitempty"`
	// ConstitutionDate is YYYY-MM-DD.
	ConstitutionDate string `json:"constitution_date,omitempty"`
	SocietyType      int64  `json:"society_type,omitempty"`
	CampaignID       string `json:"campaign_id,omitempty"`
}

// UpdateCustomer lays req's fields over customer customerID's profile and returns the profile.
// The whole is checked by the create's rules: a 5000 *Error names every failing field; an
// identifier another customer holds is a 4409 naming each one; a closed customer is a 5005
// with the hint "account:closed". The KYC level is raised to what the data supports, never
// lowered.
func (c *Client) UpdateCustomer(ctx context.Context, customerID int64, req *UpdateAccountRequest, opts ...CallOption) (*Profile, error) {
	return callJSON[Profile](ctx, c, &request{method: http.MethodPatch, path: "/user/v1/account/" + pathID(customerID), style: styleA}, req, opts)
}

type statusRequest struct {
	Status int    `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// SetCustomerStatus blocks (AccountStatusBlocked), unblocks (AccountStatusActive) or closes
// (AccountStatusClosed) customer customerID, with an optional reason of at most 255
// characters, and returns the profile. A blocked customer's own credentials are refused
// with a 4403 (IsForbidden); closing is final, revokes every credential, and needs an empty
// wallet, no debt and nothing pending: otherwise a 5005 *Error with the hints
// "wallet:not_empty", "debt:outstanding", "holds:open".
func (c *Client) SetCustomerStatus(ctx context.Context, customerID int64, status int, reason string, opts ...CallOption) (*Profile, error) {
	path := "/user/v1/account/" + pathID(customerID) + "/status"
	return callJSON[Profile](ctx, c, &request{method: http.MethodPost, path: path, style: styleA}, statusRequest{Status: status, Reason: reason}, opts)
}

// SearchCustomersOptions filters and pages SearchCustomers. Zero fields are absent.
type SearchCustomersOptions struct {
	// Limit is the page size, 1–100; 0 asks for the server's default, 20.
	Limit int
	// Cursor is the NextCursor of the previous page; "" starts at the first customer.
	Cursor string
	// Email is compared ignoring case; RFC and CURP are upper-cased; Mobile is 10 digits.
	Email, Mobile, RFC, CURP string
	// Status is an AccountStatus… value.
	Status int
	// AccountLevel is a KYC level, 1–4.
	AccountLevel int
	// CreatedFrom and CreatedTo are Mexico City days, YYYY-MM-DD, both included.
	CreatedFrom, CreatedTo string
}

// CustomersPage is one page of a search, oldest customer first.
type CustomersPage struct {
	Customers []Profile `json:"customers"`
	// NextCursor fetches the next page; "" on the last page.
	NextCursor string `json:"next_cursor"`
}

// SearchCustomers returns one page of the partner's customers matching every filter of q (nil:
// the first page of all of them). A malformed filter is a 5000 *Error naming each one.
func (c *Client) SearchCustomers(ctx context.Context, q *SearchCustomersOptions, opts ...CallOption) (*CustomersPage, error) {
	v := query{}
	if q != nil {
		v.number("limit", int64(q.Limit))
		v.text("cursor", q.Cursor)
		v.text("email", q.Email)
		v.text("mobile", q.Mobile)
		v.text("rfc", q.RFC)
		v.text("curp", q.CURP)
		v.number("status", int64(q.Status))
		v.number("account_level", int64(q.AccountLevel))
		v.text("created_from", q.CreatedFrom)
		v.text("created_to", q.CreatedTo)
	}
	path := v.on("/user/v1/accounts")
	return call[CustomersPage](ctx, c, &request{method: http.MethodGet, path: path, style: styleA}, opts)
}
