package console

import (
	"cmp"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/saldo-mx/saldo"
)

// overviewPage is the data of the overview.
type overviewPage struct {
	Customers, Money, Credit, Deliveries template.HTML
	NewCustomers                         int64
	Held, Granted, Used                  int64
	Succeeded, Failed                    int64
}

func (c *Console) overview(w http.ResponseWriter, r *request) {
	v, err := c.svc.Overview(r.Context())
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	labels := make([]string, len(v.Days))
	for i, d := range v.Days {
		labels[i] = d.Format("Jan 2")
	}
	names := partnerNames(v.Partners)
	p := overviewPage{
		Customers: columnChart("Customers created per day, last 30 days", labels,
			[]series{{Name: "created", Class: "s1", Values: v.CustomersCreated}}, count),
		Deliveries: columnChart("Webhook attempts per day, last 30 days", labels, []series{
			{Name: "succeeded", Class: "ok", Values: v.DeliveriesSucceded},
			{Name: "failed", Class: "bad", Values: v.DeliveriesFailed}}, count),
		NewCustomers: sum(v.CustomersCreated),
		Succeeded:    sum(v.DeliveriesSucceded),
		Failed:       sum(v.DeliveriesFailed),
	}
	var wallets, credit []barRow
	for _, t := range v.Totals {
		p.Held, p.Granted, p.Used = p.Held+t.WalletMoney, p.Granted+t.CreditLines, p.Used+t.Used
		wallets = append(wallets, barRow{Label: names[t.PartnerID], Caption: money(t.WalletMoney),
			Segments: []segment{{Class: "s1", Value: t.WalletMoney, Title: "held " + money(t.WalletMoney)}}})
		if t.CreditLines > 0 {
			credit = append(credit, barRow{Label: names[t.PartnerID], Outline: t.CreditLines,
				Caption: money(t.Used) + " used of " + money(t.CreditLines),
				Segments: []segment{
					{Class: "bad", Value: t.Used, Title: "used " + money(t.Used)},
					{Class: "s2", Value: t.Allocated - min(t.Used, t.Allocated), Title: "allocated to children, unused"},
				}})
		}
	}
	p.Money = barChart("Money held in wallets, per partner", wallets)
	p.Credit = barChart("Credit granted (frame), allocated to children and used, per partner", credit)
	c.render(w, r.Request, r, http.StatusOK, "overview", p)
}

func sum(values []int64) int64 {
	var s int64
	for _, v := range values {
		s += v
	}
	return s
}

func partnerNames(list []*saldo.Partner) map[int64]string {
	names := make(map[int64]string, len(list))
	for _, e := range list {
		names[e.ID] = e.Name + " (" + strconv.FormatInt(e.ID, 10) + ")"
	}
	return names
}

// person is a customer's personal data as an operator may see it: masked for a viewer.
type person struct {
	Name, Email, Mobile, RFC, CURP, DateOfBirth, Address string
}

func personOf(cu *saldo.Customer, masked bool) person {
	name := strings.Join(strings.Fields(cu.FirstName+" "+cu.MiddleName+" "+cu.LastName+" "+cu.SecondLastName), " ")
	if cu.IsBusiness() && cu.BusinessName != "" {
		name = cu.BusinessName
	}
	p := person{Name: name, Email: cu.Email, Mobile: cu.Mobile, RFC: cu.RFC, CURP: cu.CURP, DateOfBirth: cu.DateOfBirth,
		Address: strings.Join(strings.Fields(cu.Street+" "+cu.Exterior+" "+cu.Interior+" "+cu.Colony+" "+cu.City+" "+cu.Zipcode), " ")}
	if masked {
		parts := strings.Fields(name)
		for i := range parts {
			parts[i] = maskName(parts[i])
		}
		p.Name, p.Email, p.Mobile = strings.Join(parts, " "), maskEmail(p.Email), maskMobile(p.Mobile)
		p.RFC, p.CURP = maskPrefix(p.RFC, 4), maskPrefix(p.CURP, 4)
		p.DateOfBirth, p.Address = "", ""
		if cu.DateOfBirth != "" {
			p.DateOfBirth = "****-**-**"
		}
		if cu.Street != "" || cu.City != "" {
			p.Address = "***"
		}
	}
	return p
}

// customerRow is a line of the search results.
type customerRow struct {
	ID, PartnerID int64
	Partner       string
	Person        person
	Status, Level int
	Wallet        int64
}

// customersPage is the data of the search page.
type customersPage struct {
	Q                      string
	Status, Level, Partner int64
	Partners               []*saldo.Partner
	Rows                   []customerRow
	Searched               bool
	Next                   template.URL // the next page, "" on the last
	Message                string
}

// searchLimit is how many customers a page of results shows.
const searchLimit = 50

func (c *Console) customers(w http.ResponseWriter, r *request) {
	q := r.URL.Query()
	p := customersPage{Q: strings.TrimSpace(q.Get("q"))}
	p.Status, _ = strconv.ParseInt(q.Get("status"), 10, 64)
	p.Level, _ = strconv.ParseInt(q.Get("level"), 10, 64)
	p.Partner, _ = strconv.ParseInt(q.Get("partner"), 10, 64)
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	partners, err := c.svc.Partners(r.Context())
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	p.Partners = partners
	query, byID, ok := parseSearch(p.Q)
	if !ok {
		p.Message = "Search by customer id, email, 10-digit mobile, RFC (12 or 13 characters) or CURP (18)."
		c.render(w, r.Request, r, http.StatusBadRequest, "customers", p)
		return
	}
	query.Status, query.Level, query.AfterID, query.Limit = int(p.Status), int(p.Level), after, searchLimit
	var found []saldo.CustomerProfile
	var next int64
	if byID > 0 {
		found, err = c.customerByID(r, byID)
	} else {
		found, next, err = c.search(r, partners, p.Partner, query)
	}
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	names := partnerNames(partners)
	masked := !r.op.IsAdmin()
	for i := range found {
		cu := &found[i].Customer
		p.Rows = append(p.Rows, customerRow{ID: cu.ID, PartnerID: cu.PartnerID, Partner: names[cu.PartnerID],
			Person: personOf(cu, masked), Status: cu.AccountStatus, Level: cu.AccountLevel, Wallet: found[i].Wallet.Amount})
	}
	p.Searched = true
	if next > 0 {
		nq := r.URL.Query()
		nq.Set("after", strconv.FormatInt(next, 10))
		// A URL built here from parsed values: html/template would otherwise escape its query.
		p.Next = template.URL("/console/customers?" + nq.Encode())
	}
	c.render(w, r.Request, r, http.StatusOK, "customers", p)
}

// parseSearch reads what an operator typed: digits are an id (ten are a mobile, or an id),
// an @ an email, 12 or 13 characters an RFC, 18 a CURP. byID is the id to look up as well.
func parseSearch(q string) (query saldo.CustomerQuery, byID int64, ok bool) {
	digits := q != "" && strings.Trim(q, "0123456789") == ""
	switch {
	case q == "":
	case digits && len(q) == 10:
		query.Mobile = q
	case digits:
		id, err := strconv.ParseInt(q, 10, 64)
		return query, id, err == nil && id > 0
	case strings.Contains(q, "@"):
		query.Email = q
	case len([]rune(q)) == 12 || len([]rune(q)) == 13:
		query.RFC = q
	case len(q) == 18:
		query.CURP = q
	default:
		return query, 0, false
	}
	return query, 0, true
}

// customerByID is the customer id, of whichever partner, or none.
func (c *Console) customerByID(r *request, id int64) ([]saldo.CustomerProfile, error) {
	e, err := c.svc.CustomerPartner(r.Context(), id)
	if saldo.ErrorCode(err) == saldo.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := c.svc.Customer(r.Context(), e, id)
	if err != nil {
		return nil, err
	}
	return []saldo.CustomerProfile{*p}, nil
}

// search runs the query over one partner, or each, and keeps the first searchLimit by id:
// ids are global, so one cursor pages them all.
func (c *Console) search(r *request, partners []*saldo.Partner, only int64, q saldo.CustomerQuery) ([]saldo.CustomerProfile, int64, error) {
	var all []saldo.CustomerProfile
	var more bool
	for _, e := range partners {
		if only != 0 && e.ID != only {
			continue
		}
		found, next, err := c.svc.SearchCustomers(r.Context(), e, q)
		if err != nil {
			return nil, 0, err
		}
		all, more = append(all, found...), more || next > 0
	}
	slices.SortFunc(all, func(a, b saldo.CustomerProfile) int { return cmp.Compare(a.Customer.ID, b.Customer.ID) })
	if len(all) > searchLimit {
		all, more = all[:searchLimit], true
	}
	var next int64
	if more && len(all) > 0 {
		next = all[len(all)-1].Customer.ID
	}
	return all, next, nil
}
