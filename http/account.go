package http

import (
	"context"
	"net/http"
	"strconv"

	"github.com/saldo-mx/saldo"
)

// accountJSON is a customer as /user/v1/account shows it, with the seed's field names and
// JSON types. It holds no secret.
type accountJSON struct {
	AccountLevel                   int            `json:"account_level"`
	AccountStatus                  int            `json:"account_status"`
	AccountStatusString            string         `json:"account_status_string"`
	Address                        string         `json:"address"`
	AddressDocumentBack            string         `json:"address_document_back"`
	AddressDocumentBackURL         string         `json:"address_document_back_url"`
	AddressDocumentFront           string         `json:"address_document_front"`
	AddressDocumentFrontURL        string         `json:"address_document_front_url"`
	AddressDocumentType            int64          `json:"address_document_type"`
	AreAccountResourcesOfUser      bool           `json:"are_account_resources_of_user"`
	BusinessName                   string         `json:"business_name"`
	BusinessPurpose                string         `json:"business_purpose"`
	CLABE                          string         `json:"clabe"`
	City                           string         `json:"city"`
	Colony                         string         `json:"colony"`
	ConstitutionDate               string         `json:"constitution_date"`
	CorrespondenceAddress          string         `json:"correspondence_address"`
	CountryOfBirth                 string         `json:"country_of_birth"`
	CURP                           string         `json:"curp"`
	DateOfBirth                    string         `json:"date_of_birth"`
	PartnerID                      int64          `json:"ecommerce_id"`
	Email                          string         `json:"email"`
	EwalletID                      int64          `json:"ewallet_id"`
	EwalletStatus                  int            `json:"ewallet_status"`
	Exterior                       string         `json:"exterior"`
	FirstName                      string         `json:"first_name"`
	Gender                         int            `json:"gender"`
	GenderString                   string         `json:"gender_string"`
	ID                             int64          `json:"id"`
	IdentificationDocumentBack     string         `json:"identification_document_back"`
	IdentificationDocumentBackURL  string         `json:"identification_document_back_url"`
	IdentificationDocumentFront    string         `json:"identification_document_front"`
	IdentificationDocumentFrontURL string         `json:"identification_document_front_url"`
	IdentificationDocumentType     int64          `json:"identification_document_type"`
	Interior                       string         `json:"interior"`
	IsBusiness                     bool           `json:"is_business"`
	LastName                       string         `json:"last_name"`
	MiddleName                     string         `json:"middle_name"`
	Mobile                         int64          `json:"mobile"`
	MobileCountryCode              string         `json:"mobile_country_code"`
	NationalityID                  int64          `json:"nationality_id"`
	OccupationID                   int64          `json:"occupation_id"`
	PersonType                     int            `json:"person_type"`
	RFC                            string         `json:"rfc"`
	RiskLevel                      int            `json:"risk_level"`
	SecondLastName                 string         `json:"second_last_name"`
	Selfie                         string         `json:"selfie"`
	SelfieURL                      string         `json:"selfie_url"`
	SocietyType                    int64          `json:"society_type"`
	StateID                        int64          `json:"state_id"`
	Street                         string         `json:"street"`
	Telephone                      string         `json:"telephone"`
	Zipcode                        string         `json:"zipcode"`
	CompositeBalance               *compositeJSON `json:"composite_balance"`
}

// profileJSON is GET /user/v1/account/{customer_id}'s answer: the account, and the two names
// real partner code reads for its status and state.
type profileJSON struct {
	accountJSON
	CustomerStatus int   `json:"customer_status"` // account_status
	State          int64 `json:"state"`           // state_id
}

// createdAccountJSON adds the credentials, shown once, to the account create's answer.
type createdAccountJSON struct {
	accountJSON
	OAuthToken                 string `json:"oauth_token"`
	ExpirationTimestamp        string `json:"expiration_timestamp"`
	RefreshToken               string `json:"refresh_token"`
	RefreshExpirationTimestamp string `json:"refresh_expiration_timestamp"`
	PrivateKey                 string `json:"private_key"`
}

type compositeJSON struct {
	Parent compositeParentJSON `json:"parent"`
}

type compositeParentJSON struct {
	ID         string `json:"id"`
	BalanceID  int64  `json:"balance_id"`
	CreditLine int64  `json:"credit_line"`
}

var genderStrings = map[int]string{saldo.GenderFemale: "Female", saldo.GenderMale: "Male", saldo.GenderBusiness: "Business"}

// accountStatusStrings are account_status_string's values.
var accountStatusStrings = map[int]string{
	saldo.AccountStatusActive: "Active", saldo.AccountStatusBlocked: "Blocked", saldo.AccountStatusClosed: "Closed",
}

// newAccountJSON shows customer c of a partner whose CLABE prefix is clabePrefix ("" for none).
func newAccountJSON(c *saldo.Customer, wallet *saldo.Balance, parent *saldo.CompositeParent, clabePrefix string) accountJSON {
	// Validation admits only 10 digits without a leading zero, so this cannot fail.
	mobile, _ := strconv.ParseInt(c.Mobile, 10, 64)
	personType := 1
	if c.IsBusiness() {
		personType = 2
	}
	a := accountJSON{
		AccountLevel:                   c.AccountLevel,
		AccountStatus:                  c.AccountStatus,
		AccountStatusString:            accountStatusStrings[c.AccountStatus],
		Address:                        c.Address,
		AddressDocumentBack:            c.AddressDocumentBack,
		AddressDocumentBackURL:         c.AddressDocumentBack,
		AddressDocumentFront:           c.AddressDocumentFront,
		AddressDocumentFrontURL:        c.AddressDocumentFront,
		AddressDocumentType:            c.AddressDocumentType,
		BusinessName:                   c.BusinessName,
		BusinessPurpose:                c.BusinessPurpose,
		CLABE:                          saldo.WalletCLABE(clabePrefix, wallet.ID),
		City:                           c.City,
		Colony:                         c.Colony,
		ConstitutionDate:               c.ConstitutionDate,
		CorrespondenceAddress:          c.CorrespondenceAddress,
		CountryOfBirth:                 c.CountryOfBirth,
		CURP:                           c.CURP,
		DateOfBirth:                    c.DateOfBirth,
		PartnerID:                      c.PartnerID,
		Email:                          c.Email,
		EwalletID:                      wallet.ID,
		EwalletStatus:                  wallet.Status,
		Exterior:                       c.Exterior,
		FirstName:                      c.FirstName,
		Gender:                         c.Gender,
		GenderString:                   genderStrings[c.Gender],
		ID:                             c.ID,
		IdentificationDocumentBack:     c.IdentificationDocumentBack,
		IdentificationDocumentBackURL:  c.IdentificationDocumentBack,
		IdentificationDocumentFront:    c.IdentificationDocumentFront,
		IdentificationDocumentFrontURL: c.IdentificationDocumentFront,
		IdentificationDocumentType:     c.IdentificationDocumentType,
		Interior:                       c.Interior,
		IsBusiness:                     c.IsBusiness(),
		LastName:                       c.LastName,
		MiddleName:                     c.MiddleName,
		Mobile:                         mobile,
		MobileCountryCode:              c.MobileCountryCode,
		NationalityID:                  c.NationalityID,
		OccupationID:                   c.OccupationID,
		PersonType:                     personType,
		RFC:                            c.RFC,
		RiskLevel:                      c.RiskLevel,
		SecondLastName:                 c.SecondLastName,
		Selfie:                         c.Selfie,
		SelfieURL:                      c.Selfie,
		SocietyType:                    c.SocietyType,
		StateID:                        c.StateID,
		Street:                         c.Street,
		Telephone:                      c.Telephone,
		Zipcode:                        c.Zipcode,
	}
	if parent != nil {
		a.CompositeBalance = &compositeJSON{Parent: compositeParentJSON{ID: parent.ID, BalanceID: parent.BalanceID, CreditLine: parent.CreditLine}}
	}
	return a
}

// createAccount is POST /user/v1/account/create.
func (s *Server) createAccount() writeRoute[saldo.CreateCustomerRequest, *saldo.CreatedCustomer] {
	return writeRoute[saldo.CreateCustomerRequest, *saldo.CreatedCustomer]{
		decode: decodeCreateCustomer,
		call: func(ctx context.Context, e *saldo.Partner, req saldo.CreateCustomerRequest, idem *saldo.Idempotency[*saldo.CreatedCustomer]) (*saldo.CreatedCustomer, error) {
			out, err := s.svc.CreateCustomer(ctx, e, req, idem)
			if err == nil {
				s.metrics.customerCreated()
			}
			return out, err
		},
		render:      renderCreatedAccount,
		cachedAuth:  true,
		credentials: true,
	}
}

func renderCreatedAccount(e *saldo.Partner, out *saldo.CreatedCustomer) any {
	return createdAccountJSON{
		accountJSON:                newAccountJSON(&out.Customer, &out.Wallet, out.Parent, e.CLABEPrefix),
		OAuthToken:                 out.Tokens.OAuthToken,
		ExpirationTimestamp:        expiry(out.Tokens.OAuthExpiresAt),
		RefreshToken:               out.Tokens.RefreshToken,
		RefreshExpirationTimestamp: expiry(out.Tokens.RefreshExpiresAt),
		PrivateKey:                 out.Tokens.PrivateKey,
	}
}

// getAccount is GET /user/v1/account/{customer_id}: the profile, without secrets, authorised
// as customerReader says.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	e, id, err := s.customerInPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.Customer(r.Context(), e, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, renderProfile(e, p))
}

// renderProfile is a customer's profile as every route that shows one renders it: GET
// /user/v1/account/{customer_id}, the update, the status change and each customer of a search.
func renderProfile(e *saldo.Partner, p *saldo.CustomerProfile) profileJSON {
	return profileJSON{accountJSON: newAccountJSON(&p.Customer, &p.Wallet, p.Parent, e.CLABEPrefix),
		CustomerStatus: p.Customer.AccountStatus, State: p.Customer.StateID}
}

// customerHeader is the header that carries a customer's oauth token.
const customerHeader = "Authorization-customer"

// customerInPath authorises a read of the customer the path's {customer_id} names (see
// customerReader); an id that is no id is an unknown customer, once the credentials hold.
func (s *Server) customerInPath(r *http.Request) (*saldo.Partner, int64, error) {
	id, idOK := parseID(r.PathValue("customer_id"))
	e, _, err := s.customerReader(r, id, true)
	if err == nil && !idOK {
		err = saldo.Errorf(saldo.ENOTFOUND, "customer_id:not_found")
	}
	return e, id, err
}

// customerReader authorises a read of one customer's data. The partner authorizes it with
// Authorization-ecommerce, or the customer alone with Authorization-customer (an active oauth
// token of that very customer). A credential that is sent is always checked: with both
// headers, both must hold and agree. named says whether the request names the customer (id,
// 0 when what it names is malformed); only a customer token may leave it unnamed. It returns
// the partner and the customer: id, or the token's customer when none is named.
func (s *Server) customerReader(r *http.Request, id int64, named bool) (*saldo.Partner, int64, error) {
	customerToken := r.Header.Get(customerHeader)
	var e *saldo.Partner
	if customerToken == "" || r.Header.Get(partnerHeader) != "" {
		var err error
		if e, err = s.authenticate(r); err != nil {
			return nil, 0, err
		}
	}
	if customerToken == "" {
		return e, id, nil
	}
	auth, err := s.svc.AuthenticateCustomer(r.Context(), customerToken)
	if err != nil {
		return nil, 0, namedCredential(err, customerHeader)
	}
	// Another customer's token, or another partner's, opens nothing.
	if named && id != auth.CustomerID || e != nil && e.ID != auth.Partner.ID {
		return nil, 0, namedCredential(saldo.Errorf(saldo.EUNAUTHORIZED), customerHeader)
	}
	if e == nil {
		e = auth.Partner
		if info := requestInfoFrom(r.Context()); info != nil {
			info.partnerID = e.ID
		}
		// A customer's own calls count against its partner's budget.
		if err := s.limit(e); err != nil {
			return nil, 0, err
		}
	}
	return e, auth.CustomerID, nil
}
