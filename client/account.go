package client

import (
	"bytes"
	"context"
	"net/http"
	"time"
)

// Gender values, which also give the account type.
const (
	GenderFemale   = 1
	GenderMale     = 2
	GenderBusiness = 3
)

// CreateAccountRequest is the body of POST /user/v1/account/create. Zero fields are left
// out; the server trims strings and treats empty as absent. See the contract, §3, for each
// field's rule.
type CreateAccountRequest struct {
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
	// Gender is GenderFemale, GenderMale or GenderBusiness (a business account).
	Gender int    `json:"gender,omitempty"`
	RFC    string `json:"rfc,omitempty"`
	CURP   string `json:"curp,omitempty"`
	// DateOfBirth is YYYY-MM-DD.
	DateOfBirth string `json:"date_of_birth,omitempty"`
	Password    string `json:"password,omitempty"`
	// DeviceID is the device the first oauth token is bound to, default "default".
	DeviceID string `json:"device_id,omitempty"`
	// KYCLevel (1–3) is the level asked for; missing data for it is a 5000 with a
	// "<field>:required_for_level_<n>" hint per field.
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
	// CompositeBalance asks for a composite balance parent. It is required when the partner
	// has composite balances enabled and refused (composite_balance:not_enabled) otherwise.
	CompositeBalance *CompositeBalanceRequest `json:"composite_balance,omitempty"`
}

// CompositeBalanceRequest is the composite_balance object of a create request.
type CompositeBalanceRequest struct {
	Parent CompositeParentRequest `json:"parent"`
}

// CompositeParentRequest is the parent a create request asks for.
type CompositeParentRequest struct {
	// CreditLine is in cents; 0 is a valid credit line, so it is always sent.
	CreditLine int64 `json:"credit_line"`
}

// Account is a customer's profile as GET /user/v1/account/{customer_id} answers it: the
// contract's field names and JSON types, without any secret. Strings are "" and numbers 0
// where nothing was given.
type Account struct {
	ID                             int64  `json:"id"`
	EcommerceID                    int64  `json:"ecommerce_id"`
	AccountLevel                   int    `json:"account_level"`
	AccountStatus                  int    `json:"account_status"`
	AccountStatusString            string `json:"account_status_string"`
	Address                        string `json:"address"`
	AddressDocumentBack            string `json:"address_document_back"`
	AddressDocumentBackURL         string `json:"address_document_back_url"`
	AddressDocumentFront           string `json:"address_document_front"`
	AddressDocumentFrontURL        string `json:"address_document_front_url"`
	AddressDocumentType            int64  `json:"address_document_type"`
	AreAccountResourcesOfUser      bool   `json:"are_account_resources_of_user"`
	BusinessName                   string `json:"business_name"`
	BusinessPurpose                string `json:"business_purpose"`
	CLABE                          string `json:"clabe"`
	City                           string `json:"city"`
	Colony                         string `json:"colony"`
	ConstitutionDate               string `json:"constitution_date"`
	CorrespondenceAddress          string `json:"correspondence_address"`
	CountryOfBirth                 string `json:"country_of_birth"`
	CURP                           string `json:"curp"`
	DateOfBirth                    string `json:"date_of_birth"`
	Email                          string `json:"email"`
	EwalletID                      int64  `json:"ewallet_id"`
	EwalletStatus                  int    `json:"ewallet_status"`
	Exterior                       string `json:"exterior"`
	FirstName                      string `json:"first_name"`
	Gender                         int    `json:"gender"`
	GenderString                   string `json:"gender_string"`
	IdentificationDocumentBack     string `json:"identification_document_back"`
	IdentificationDocumentBackURL  string `json:"identification_document_back_url"`
	IdentificationDocumentFront    string `json:"identification_document_front"`
	IdentificationDocumentFrontURL string `json:"identification_document_front_url"`
	IdentificationDocumentType     int64  `json:"identification_document_type"`
	Interior                       string `json:"interior"`
	IsBusiness                     bool   `json:"is_business"`
	LastName                       string `json:"last_name"`
	MiddleName                     string `json:"middle_name"`
	// Mobile is the 10-digit number as a JSON number.
	Mobile int64 `json:"mobile"`
	// MobileCountryCode is digits only, "52".
	MobileCountryCode string `json:"mobile_country_code"`
	NationalityID     int64  `json:"nationality_id"`
	OccupationID      int64  `json:"occupation_id"`
	// PersonType is 1 for a person, 2 for a business.
	PersonType     int    `json:"person_type"`
	RFC            string `json:"rfc"`
	RiskLevel      int    `json:"risk_level"`
	SecondLastName string `json:"second_last_name"`
	Selfie         string `json:"selfie"`
	SelfieURL      string `json:"selfie_url"`
	SocietyType    int64  `json:"society_type"`
	StateID        int64  `json:"state_id"`
	Street         string `json:"street"`
	Telephone      string `json:"telephone"`
	Zipcode        string `json:"zipcode"`
	// CompositeBalance is nil when the customer has no composite balance parent.
	CompositeBalance *CompositeBalance `json:"composite_balance"`
}

// CompositeBalance is the composite_balance object of an account.
type CompositeBalance struct {
	Parent AccountParent `json:"parent"`
}

// AccountParent is a customer's composite balance parent as the account shows it; the
// composite balance routes give the rest (GetCompositeParent).
type AccountParent struct {
	// ID is 32 lowercase hex characters.
	ID         string `json:"id"`
	BalanceID  int64  `json:"balance_id"`
	CreditLine int64  `json:"credit_line"`
}

// Profile is a customer as GetAccount shows it: the account, and the same status and state
// under the names customer_status and state.
type Profile struct {
	Account
	CustomerStatus int   `json:"customer_status"` // the same as AccountStatus
	State          int64 `json:"state"`           // the same as StateID
}

// CreatedAccount is the answer to a create: the account and its credentials, which the
// server shows this once and stores only hashed.
type CreatedAccount struct {
	Account
	OAuthToken string `json:"oauth_token"`
	// ExpirationTimestamp is when OAuthToken expires (the answer says it in RFC 3339, UTC, with milliseconds).
	ExpirationTimestamp time.Time `json:"expiration_timestamp"`
	RefreshToken        string    `json:"refresh_token"`
	// RefreshExpirationTimestamp is when RefreshToken expires (the answer says it in RFC 3339, UTC, with milliseconds).
	RefreshExpirationTimestamp time.Time `json:"refresh_expiration_timestamp"`
	// PrivateKey ("sk_…") lasts until rotated; with the customer id it gets new tokens
	// (GetCustomerConnectionToken).
	PrivateKey string `json:"private_key"`
}

// CreateAccount creates a customer, its wallet balance, its tokens and, when the partner has
// composite balances enabled, its composite balance parent, all or nothing. A duplicate
// email, mobile, RFC or CURP is a 4409 *Error whose hints name every duplicated field; a
// field that fails its rule is a 5000 whose hints name every failing field.
func (c *Client) CreateAccount(ctx context.Context, req *CreateAccountRequest, opts ...CallOption) (*CreatedAccount, error) {
	return callJSON[CreatedAccount](ctx, c, &request{method: http.MethodPost, path: createAccountPath, style: styleA}, req, opts)
}

// CreateAccountJSON is CreateAccount with a body the caller encoded already: a JSON object of
// the contract's fields (see CreateAccountRequest). It suits a caller that sends many creates
// and builds their bodies without reflection, such as a load generator. The body is copied,
// so the caller may reuse its buffer as soon as the call returns, even though net/http may
// go on reading the request body after that (to finish writing it after an early answer).
func (c *Client) CreateAccountJSON(ctx context.Context, body []byte, opts ...CallOption) (*CreatedAccount, error) {
	return CreateAccountJSONAs[CreatedAccount](ctx, c, body, opts...)
}

// CreateAccountJSONAs is CreateAccountJSON decoding the created account into the caller's
// own type T rather than CreatedAccount: a struct with the few fields it reads, under the
// same JSON names. Decoding every field of a CreatedAccount is most of what the client
// spends on a create; a caller that sends creates as fast as it can, on the machine whose
// server it measures, skips that. Errors are as CreateAccount's.
func CreateAccountJSONAs[T any](ctx context.Context, c *Client, body []byte, opts ...CallOption) (*T, error) {
	return call[T](ctx, c, &request{method: http.MethodPost, path: createAccountPath, body: bytes.Clone(body), style: styleA}, opts)
}

const createAccountPath = "/user/v1/account/create"

// GetAccount returns the profile of the partner's customer customerID. A customer of
// another partner is reported as not existing (IsNotFound).
func (c *Client) GetAccount(ctx context.Context, customerID int64, opts ...CallOption) (*Profile, error) {
	return call[Profile](ctx, c, &request{method: http.MethodGet, path: "/user/v1/account/" + pathID(customerID), style: styleA}, opts)
}

// GetAccountAsCustomer returns the profile of customer customerID authorised by that
// customer's own oauth token alone (Authorization-customer), without the partner token: how
// a fresh oauth token proves it works. Another customer's token, or an expired or revoked
// one, is a 4401.
func (c *Client) GetAccountAsCustomer(ctx context.Context, customerID int64, oauthToken string, opts ...CallOption) (*Profile, error) {
	return call[Profile](ctx, c, &request{
		method: http.MethodGet, path: "/user/v1/account/" + pathID(customerID), style: styleA,
		auth: authCustomer, customerToken: oauthToken,
	}, opts)
}
