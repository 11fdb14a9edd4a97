package storetest

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// oldCustomer is a customer as a binary before migration 0007 stored it, with what the
// migration and RekeyCustomers must make of it.
type oldCustomer struct {
	name    string
	partner int // index in rekeyFixture.partners
	// current: created by today's code before migration 0007 (as the binary that changed the
	// key's rule did), and left as it wrote it. Otherwise email and code are set afterwards,
	// with the key strings.ToLower made.
	current  bool
	email    string
	code     string // mobile_country_code as stored
	mobileOf int    // index of the customer whose mobile it has; -1: its own
	wantKey  string
	wantCode string
}

// The indexes of the old customers that the tests name.
const (
	oldStrasse = iota
	oldJose
	oldJuan
	oldMasse1
	oldMasse2
	oldFuss1
	oldFuss2
	oldOtherPartner
	oldHeldCode
	oldCodeHolder
	oldLowerCode
	oldHigherCode
	oldZeroCode
)

var oldCustomers = []oldCustomer{
	oldStrasse:      {"sharp s, calling code with a zero", 0, false, "Straße@example.com", "052", -1, "strasse@example.com", "52"},
	oldJose:         {"decomposed accent", 0, false, "Jose\u0301@Example.com", "52", -1, "jos\u00e9@example.com", "52"},
	oldJuan:         {"ASCII: its key stays", 0, false, "Juan@Example.com", "52", -1, "juan@example.com", "52"},
	oldMasse1:       {"one of two addresses now one: keeps its key", 0, false, "Maße@example.com", "52", -1, "maße@example.com", "52"},
	oldMasse2:       {"the other: holds the new key already", 0, false, "MASSE@example.com", "52", -1, "masse@example.com", "52"},
	oldFuss1:        {"an address sent again after the rule changed: the first", 0, false, "Fuß@example.com", "52", -1, "fuß@example.com", "52"},
	oldFuss2:        {"the second customer the new rule made of it", 0, true, "fuss@example.com", "52", -1, "fuss@example.com", "52"},
	oldOtherPartner: {"the same address at another partner", 1, false, "STRASSE@example.com", "052", -1, "strasse@example.com", "52"},
	oldHeldCode:     {"a calling code whose normal form another customer holds", 0, false, "ana@example.com", "052", oldCodeHolder, "ana@example.com", "052"},
	oldCodeHolder:   {"that customer, created by the new rule", 0, true, "beto@example.com", "52", -1, "beto@example.com", "52"},
	oldLowerCode:    {"two calling codes of one normal form: the lower id", 0, false, "luis@example.com", "052", -1, "luis@example.com", "52"},
	oldHigherCode:   {"the higher id", 0, false, "luisa@example.com", "0052", oldLowerCode, "luisa@example.com", "0052"},
	oldZeroCode:     {"a calling code of zeros only", 0, false, "cero@example.com", "000", -1, "cero@example.com", "000"},
}

// rekeyFixture is a database whose customers a binary before migration 0007 stored
// (oldCustomers), migrated since: the migration has run, the backfill not.
type rekeyFixture struct {
	*Fixture
	partners []*saldo.Partner
	ids      []int64  // of oldCustomers
	mobiles  []string // their mobiles as stored
}

// storeOldCustomers stores oldCustomers as a binary before migration 0007 did, then migrates.
func storeOldCustomers(tb testing.TB, h Harness) *rekeyFixture {
	tb.Helper()
	ctx := context.Background()
	f := &rekeyFixture{Fixture: NewFixture(tb, h)}
	f.partners = []*saldo.Partner{f.Partner(tb, saldo.NewPartner{Name: "a"}), f.Partner(tb, saldo.NewPartner{Name: "b"})}
	for i, c := range oldCustomers {
		req := gen.Customer("", uint64(i+1))
		if c.current {
			req.Email, req.MobileCountryCode = c.email, c.code
		}
		out, err := f.Service.CreateCustomer(ctx, f.partners[c.partner], req, nil)
		if err != nil {
			tb.Fatalf("create %s: %v", c.name, err)
		}
		f.ids, f.mobiles = append(f.ids, out.Customer.ID), append(f.mobiles, req.Mobile)
	}
	// Back to the schema before migration 0007, which the store's Open applied.
	for _, sql := range []string{
		"DROP INDEX customers_email_key_v1",
		"ALTER TABLE customers DROP COLUMN email_key_version",
		"DELETE FROM schema_migrations WHERE version = 7",
	} {
		h.Exec(tb, f.Store, sql)
	}
	for i, c := range oldCustomers {
		if c.current {
			continue
		}
		if c.mobileOf >= 0 {
			f.mobiles[i] = f.mobiles[c.mobileOf]
		}
		h.Exec(tb, f.Store, "UPDATE customers SET email = $1, email_key = $2, mobile_country_code = $3, mobile = $4 WHERE id = $5",
			c.email, strings.ToLower(c.email), c.code, f.mobiles[i], f.ids[i])
	}
	migrator, ok := f.Store.(interface{ Migrate(context.Context) error })
	if !ok {
		tb.Fatalf("%T has no Migrate", f.Store)
	}
	if err := migrator.Migrate(ctx); err != nil {
		tb.Fatalf("migrate a database stored before migration 0007: %v", err)
	}
	return f
}

// wantRekeyed is what rekeying oldCustomers reports.
func (f *rekeyFixture) wantRekeyed() saldo.RekeyReport {
	return saldo.RekeyReport{Rekeyed: len(oldCustomers), Changed: 2, Collisions: []saldo.EmailKeyCollision{
		{PartnerID: f.partners[0].ID, CustomerID: f.ids[oldMasse1], HolderID: f.ids[oldMasse2]},
		{PartnerID: f.partners[0].ID, CustomerID: f.ids[oldFuss1], HolderID: f.ids[oldFuss2]},
	}}
}

// storedKey is what a customers row holds for uniqueness.
type storedKey struct {
	emailKey string
	version  int64
	code     string
}

// storedKeys reads every customer's storedKey, by id.
func storedKeys(tb testing.TB, h Harness, s saldo.Store) map[int64]storedKey {
	tb.Helper()
	keys := map[int64]storedKey{}
	for _, r := range h.Query(tb, s, "SELECT id, email_key, email_key_version, mobile_country_code FROM customers") {
		keys[toInt64(tb, r[0])] = storedKey{fmt.Sprint(r[1]), toInt64(tb, r[2]), fmt.Sprint(r[3])}
	}
	return keys
}

// assertOldCustomers checks that each of oldCustomers holds the key and code it should, at
// version.
func (f *rekeyFixture) assertOldCustomers(tb testing.TB, h Harness, version int64) {
	tb.Helper()
	keys := storedKeys(tb, h, f.Store)
	for i, c := range oldCustomers {
		want := storedKey{c.wantKey, version, c.wantCode}
		if version == 1 && !c.current {
			want.emailKey = strings.ToLower(c.email)
		}
		if got := keys[f.ids[i]]; got != want {
			tb.Errorf("%s: stored %+v, want %+v", c.name, got, want)
		}
	}
}

// testRekey: customers stored before the email key's rule changed, with codes stored with
// leading zeros, collide again with every spelling of their address and code once migration
// 0007 and RekeyCustomers have run; two addresses now one are reported and keep distinct keys.
func testRekey(t *testing.T, h Harness) {
	ctx := context.Background()
	f := storeOldCustomers(t, h)
	f.assertOldCustomers(t, h, 1)

	report, err := f.Service.RekeyCustomers(ctx)
	if err != nil {
		t.Fatalf("RekeyCustomers: %v", err)
	}
	if want := f.wantRekeyed(); !reflect.DeepEqual(report, want) {
		t.Errorf("RekeyCustomers reported %+v, want %+v", report, want)
	}
	f.assertOldCustomers(t, h, saldo.EmailKeyVersion)

	t.Run("every spelling of a stored address and code is taken", func(t *testing.T) { testRekeyedAreTaken(t, h, f) })
	t.Run("a second run changes nothing", func(t *testing.T) {
		if _, err := f.Service.CreateCustomer(ctx, f.partners[0], gen.Customer("", 100), nil); err != nil {
			t.Fatal(err)
		}
		before := storedKeys(t, h, f.Store)
		again, err := f.Service.RekeyCustomers(ctx)
		if err != nil || !reflect.DeepEqual(again, saldo.RekeyReport{}) {
			t.Errorf("the second run: %+v, %v; want nothing done", again, err)
		}
		if after := storedKeys(t, h, f.Store); !maps.Equal(after, before) {
			t.Errorf("the second run changed customers:\n%v\nto\n%v", before, after)
		}
	})
}

// testRekeyedAreTaken: after the backfill, every spelling of an old customer's address and
// calling code is refused as a duplicate, and no customer is added.
func testRekeyedAreTaken(t *testing.T, h Harness, f *rekeyFixture) {
	ctx := context.Background()
	customers := len(h.Rows(t, f.Store, "customers"))
	for i, tt := range []struct {
		name     string
		partner  int
		email    string
		mobileOf int // -1: a mobile of its own
		code     string
		hint     string
	}{
		{"the same address again", 0, "Straße@example.com", -1, "", "email:duplicate"},
		{"another spelling of it", 0, "STRASSE@example.com", -1, "", "email:duplicate"},
		{"the same decomposed address again", 0, "Jose\u0301@Example.com", -1, "", "email:duplicate"},
		{"it composed", 0, "jos\u00e9@example.com", -1, "", "email:duplicate"},
		{"the old spelling of a customer that kept its key", 0, "Maße@example.com", -1, "", "email:duplicate"},
		{"a spelling of both", 0, "MASSE@Example.com", -1, "", "email:duplicate"},
		{"the address at the other partner", 1, "Straße@example.com", -1, "", "email:duplicate"},
		{"a code stored as 052, sent as 52", 0, "", oldStrasse, "52", "mobile:duplicate"},
		{"a code stored as 052, sent as +052", 0, "", oldLowerCode, "+052", "mobile:duplicate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := gen.Customer("", uint64(200+i))
			if tt.email != "" {
				req.Email = tt.email
			}
			if tt.mobileOf >= 0 {
				req.Mobile, req.MobileCountryCode = f.mobiles[tt.mobileOf], tt.code
			}
			_, err := f.Service.CreateCustomer(ctx, f.partners[tt.partner], req, nil)
			if saldo.ErrorCode(err) != saldo.ECONFLICT || !slices.Equal(saldo.ErrorHints(err), []string{tt.hint}) {
				t.Errorf("err = %v, want a conflict naming %s", err, tt.hint)
			}
		})
	}
	if got := len(h.Rows(t, f.Store, "customers")); got != customers {
		t.Errorf("%d customers, want the %d there were", got, customers)
	}
}

// testRekeyConcurrently: processes that start together (replicas, or migrate beside serve)
// rekey each customer once between them, and report each collision once.
func testRekeyConcurrently(t *testing.T, h Harness) {
	ctx := context.Background()
	f := storeOldCustomers(t, h)
	reports := make([]saldo.RekeyReport, 3)
	errs := make([]error, len(reports))
	var wg sync.WaitGroup
	for i := range reports {
		svc := saldo.NewService(f.Store, f.Clock) // a process of its own
		wg.Go(func() { reports[i], errs[i] = svc.RekeyCustomers(ctx) })
	}
	wg.Wait()
	var total saldo.RekeyReport
	for i, r := range reports {
		if errs[i] != nil {
			t.Errorf("run %d: %v", i, errs[i])
		}
		total.Rekeyed += r.Rekeyed
		total.Changed += r.Changed
		total.Collisions = append(total.Collisions, r.Collisions...)
	}
	slices.SortFunc(total.Collisions, func(a, b saldo.EmailKeyCollision) int { return int(a.CustomerID - b.CustomerID) })
	if want := f.wantRekeyed(); !reflect.DeepEqual(total, want) {
		t.Errorf("the runs reported %+v between them, want %+v", total, want)
	}
	f.assertOldCustomers(t, h, saldo.EmailKeyVersion)
}
