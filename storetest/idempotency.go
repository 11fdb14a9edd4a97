package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// testIdempotency is the contract's §6 on an engine.
func testIdempotency(t *testing.T, h Harness) {
	t.Run("SameKeySameRequestReplays", func(t *testing.T) { testReplay(t, h) })
	t.Run("SameKeyOtherRequestIsRefused", func(t *testing.T) { testKeyReuse(t, h) })
	t.Run("KeysArePerPartner", func(t *testing.T) { testKeysPerPartner(t, h) })
	t.Run("RefusalsAreKeptValidationFailuresAreNot", func(t *testing.T) { testStoredErrors(t, h) })
	t.Run("KeyIsWrittenWithTheRows", func(t *testing.T) { testKeyAtomicity(t, h) })
	t.Run("StoredResponsesAreSealed", func(t *testing.T) { testSealed(t, h) })
	t.Run("RetiredSecretKeysStillOpenStoredResponses", func(t *testing.T) { testSecretKeyRotation(t, h) })
	t.Run("KeysArePurgedAfter24Hours", func(t *testing.T) { testPurge(t, h) })
	t.Run("ConcurrentRetriesCreateOneCustomer", func(t *testing.T) { testConcurrentRetries(t, h) })
	t.Run("ACommittedRefusalIsKeptWithWhatItDid", func(t *testing.T) { testReuseUnderKey(t, h) })
}

// respondJSON stands in for the HTTP layer: it renders a create's outcome, tokens included.
func respondJSON(out *saldo.CreatedCustomer, err error) saldo.Answer {
	if err != nil {
		return saldo.Answer{Status: 409, Body: []byte(fmt.Sprintf(`{"error":%q}`, saldo.ErrorCode(err)))}
	}
	body, _ := json.Marshal(map[string]any{"id": out.Customer.ID, "oauth_token": out.Tokens.OAuthToken, "private_key": out.Tokens.PrivateKey})
	return saldo.Answer{Status: 200, Body: body}
}

// idempotent asks for a create under key, for a request whose bytes are request.
func idempotent(key, request string) *saldo.Idempotency[*saldo.CreatedCustomer] {
	return &saldo.Idempotency[*saldo.CreatedCustomer]{
		IdempotencyKey: saldo.IdempotencyKey{Key: key, Digest: sha256.Sum256([]byte(request))},
		Render:         respondJSON,
	}
}

func replayed(t testing.TB, err error) saldo.Answer {
	t.Helper()
	var r *saldo.Replayed
	if !errors.As(err, &r) {
		t.Fatalf("err = %v, want a replay", err)
	}
	return r.Answer
}

func testReplay(t *testing.T, h Harness) {
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	req := gen.Customer("", 1)
	first, err := f.Service.CreateCustomer(context.Background(), e, req, idempotent("k-1", "body 1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Service.CreateCustomer(context.Background(), e, req, idempotent("k-1", "body 1"))
	r := replayed(t, err)
	if want := respondJSON(first, nil); r.Status != 200 || string(r.Body) != string(want.Body) {
		t.Errorf("replay = %d %s, want %d %s", r.Status, r.Body, want.Status, want.Body)
	}
	if n := len(h.Rows(t, f.Store, "customers")); n != 1 {
		t.Errorf("%d customers after a replay, want 1", n)
	}
	if n := len(h.Rows(t, f.Store, "events")); n != 1 {
		t.Errorf("%d events after a replay, want 1", n)
	}
}

func testKeyReuse(t *testing.T, h Harness) {
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	if _, err := f.Service.CreateCustomer(context.Background(), e, gen.Customer("", 1), idempotent("k", "body 1")); err != nil {
		t.Fatal(err)
	}
	_, err := f.Service.CreateCustomer(context.Background(), e, gen.Customer("", 2), idempotent("k", "body 2"))
	wantCode(t, err, saldo.EIDEMPOTENCYREUSED, "idempotency_key:reused")
	if n := len(h.Rows(t, f.Store, "customers")); n != 1 {
		t.Errorf("%d customers, want 1", n)
	}
}

func testKeysPerPartner(t *testing.T, h Harness) {
	f := NewFixture(t, h)
	a := f.Partner(t, saldo.NewPartner{Name: "a"})
	b := f.Partner(t, saldo.NewPartner{Name: "b"})
	req := gen.Customer("", 1)
	if _, err := f.Service.CreateCustomer(context.Background(), a, req, idempotent("shared", "body")); err != nil {
		t.Fatal(err)
	}
	out, err := f.Service.CreateCustomer(context.Background(), b, req, idempotent("shared", "body"))
	if err != nil {
		t.Fatalf("partner b with partner a's key: %v, want its own create", err)
	}
	if out.Customer.PartnerID != b.ID {
		t.Errorf("created for partner %d, want %d", out.Customer.PartnerID, b.ID)
	}
}

func testStoredErrors(t *testing.T, h Harness) {
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	taken := gen.Customer("", 1)
	if _, err := f.Service.CreateCustomer(context.Background(), e, taken, nil); err != nil {
		t.Fatal(err)
	}
	// A duplicate is what the request decided: it is kept and replayed.
	_, err := f.Service.CreateCustomer(context.Background(), e, taken, idempotent("dup", "same email"))
	wantCode(t, err, saldo.ECONFLICT, "email:duplicate")
	_, err = f.Service.CreateCustomer(context.Background(), e, taken, idempotent("dup", "same email"))
	if r := replayed(t, err); r.Status != 409 {
		t.Errorf("replayed status %d, want the stored 409", r.Status)
	}

	// A validation failure is not kept: the caller fixes the request and retries with the key.
	bad := gen.Customer("", 2)
	bad.Email = "not-an-email"
	_, err = f.Service.CreateCustomer(context.Background(), e, bad, idempotent("fix-me", "v1"))
	wantCode(t, err, saldo.EINVALID, "email:invalid")
	if _, err := f.Service.CreateCustomer(context.Background(), e, gen.Customer("", 2), idempotent("fix-me", "v1")); err != nil {
		t.Errorf("the fixed request with the same key: %v", err)
	}
}

func testKeyAtomicity(t *testing.T, h Harness) {
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	// A failure before the key is written leaves no key without rows; a failure writing the
	// key, or at commit after it, leaves no rows without their key.
	for _, step := range []string{"events", "key", "commit"} {
		faulty := saldo.NewService(&faultStore{Store: f.Store, step: step}, f.Clock)
		if _, err := faulty.CreateCustomer(context.Background(), e, gen.Customer("", 1), idempotent("crash", "body")); !errors.Is(err, errInjected) {
			t.Fatalf("fault %s: err = %v, want the injected fault", step, err)
		}
		for _, table := range Tables {
			if n := len(h.Rows(t, f.Store, table)); n != 0 {
				t.Errorf("fault %s: %s keeps %d rows", step, table, n)
			}
		}
	}
	if _, err := f.Service.CreateCustomer(context.Background(), e, gen.Customer("", 1), idempotent("crash", "body")); err != nil {
		t.Fatalf("the retry after the faults: %v", err)
	}
	if k, c := len(h.Rows(t, f.Store, "idempotency_keys")), len(h.Rows(t, f.Store, "customers")); k != 1 || c != 1 {
		t.Errorf("%d keys and %d customers, want 1 and 1", k, c)
	}
}

func testSealed(t *testing.T, h Harness) {
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	out, err := f.Service.CreateCustomer(context.Background(), e, gen.Customer("", 1), idempotent("sealed", "body"))
	if err != nil {
		t.Fatal(err)
	}
	dump := dumpRows(h.Rows(t, f.Store, "idempotency_keys"))
	// The request's digest is stored only keyed: a plain hash of a body that holds a password
	// would let anyone with the rows test guesses at it.
	digest := sha256.Sum256([]byte("body"))
	for _, secret := range []string{out.Tokens.OAuthToken, out.Tokens.PrivateKey, `"oauth_token"`, fmt.Sprintf("%x", digest)} {
		if strings.Contains(dump, secret) {
			t.Errorf("idempotency_keys holds %q in clear", secret)
		}
	}
	// Another secret key can neither open the answer nor tell the request from another.
	other := saldo.NewService(f.Store, f.Clock, saldo.WithSecretKey([32]byte{9}))
	_, err = other.CreateCustomer(context.Background(), e, gen.Customer("", 1), idempotent("sealed", "body"))
	wantCode(t, err, saldo.ECONFLICT, "idempotency_key:unreadable")
}

// testSecretKeyRotation: after a rotation, stored answers open under the old key kept as
// retired; without it, a retry is refused as unreadable, and nothing is written again.
func testSecretKeyRotation(t *testing.T, h Harness) {
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	oldKey, newKey := [32]byte{1}, [32]byte{2}
	before := saldo.NewService(f.Store, f.Clock, saldo.WithSecretKey(oldKey))
	first, err := before.CreateCustomer(context.Background(), e, gen.Customer("", 1), idempotent("before", "body 1"))
	if err != nil {
		t.Fatal(err)
	}
	rotated := saldo.NewService(f.Store, f.Clock, saldo.WithSecretKey(newKey), saldo.WithRetiredSecretKeys([32]byte{3}, oldKey))
	_, err = rotated.CreateCustomer(context.Background(), e, gen.Customer("", 1), idempotent("before", "body 1"))
	if r := replayed(t, err); !strings.Contains(string(r.Body), first.Tokens.OAuthToken) {
		t.Errorf("the replay under the retired key is not the first answer: %s", r.Body)
	}
	if _, err := rotated.CreateCustomer(context.Background(), e, gen.Customer("", 2), idempotent("after", "body 2")); err != nil {
		t.Fatal(err)
	}

	// A process holding only the new key seals new answers under it...
	onlyNew := saldo.NewService(f.Store, f.Clock, saldo.WithSecretKey(newKey))
	_, err = onlyNew.CreateCustomer(context.Background(), e, gen.Customer("", 2), idempotent("after", "body 2"))
	replayed(t, err)
	// ...and can't open the old ones: it says so rather than redoing the write.
	_, err = onlyNew.CreateCustomer(context.Background(), e, gen.Customer("", 1), idempotent("before", "body 1"))
	wantCode(t, err, saldo.ECONFLICT, "idempotency_key:unreadable")
	// A process that never held the new key can't open what was sealed under it.
	_, err = before.CreateCustomer(context.Background(), e, gen.Customer("", 2), idempotent("after", "body 2"))
	wantCode(t, err, saldo.ECONFLICT, "idempotency_key:unreadable")
	if k, c := len(h.Rows(t, f.Store, "idempotency_keys")), len(h.Rows(t, f.Store, "customers")); k != 2 || c != 2 {
		t.Errorf("%d keys and %d customers, want 2 and 2", k, c)
	}
}

func testPurge(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	if _, err := f.Service.CreateCustomer(context.Background(), e, gen.Customer("", 1), idempotent("old", "body")); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(saldo.IdempotencyKeyTTL)
	if n, err := f.Service.PurgeIdempotencyKeys(ctx); err != nil || n != 0 {
		t.Errorf("purge at exactly 24 hours removed %d (%v), want 0", n, err)
	}
	f.Clock.Advance(time.Second)
	if n, err := f.Service.PurgeIdempotencyKeys(ctx); err != nil || n != 1 {
		t.Errorf("purge after 24 hours removed %d (%v), want 1", n, err)
	}
	if n := len(h.Rows(t, f.Store, "idempotency_keys")); n != 0 {
		t.Errorf("%d keys remain", n)
	}
}

// testConcurrentRetries sends 16 identical requests with one key at once, half to each of two
// services on one database (two replicas sharing a secret key, whose in-process registries do
// not see each other): one customer is created, and every other answer is its replay or
// "in flight".
func testConcurrentRetries(t *testing.T, h Harness) {
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	req := gen.Customer("", 1)
	key := [32]byte{7}
	replicas := []*saldo.Service{saldo.NewService(f.Store, f.Clock, saldo.WithSecretKey(key)), saldo.NewService(f.Store, f.Clock, saldo.WithSecretKey(key))}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		outcome []string
		start   = make(chan struct{})
	)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := replicas[i%2].CreateCustomer(context.Background(), e, req, idempotent("burst", "body"))
			var r *saldo.Replayed
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case errors.As(err, &r) && r.Answer.Status == 200:
				outcome = append(outcome, "replay")
			case saldo.ErrorCode(err) == saldo.ECONFLICT && slices.Contains(saldo.ErrorHints(err), "idempotency_key:in_flight"):
				outcome = append(outcome, "in_flight")
			default:
				outcome = append(outcome, fmt.Sprintf("unexpected %v", err))
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, o := range outcome {
		if strings.HasPrefix(o, "unexpected") {
			t.Error(o)
		}
	}
	if n := len(h.Rows(t, f.Store, "customers")); created != 1 || n != 1 {
		t.Errorf("%d creates succeeded and %d customers exist, want 1 and 1", created, n)
	}
}

// testReuseUnderKey presents a rotated refresh token under a key: the reuse is detected once
// (its revocations and event committed, the answer 401), and a retry with the key replays the
// 401 without detecting it again.
func testReuseUnderKey(t *testing.T, h Harness) {
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	created, err := f.Service.CreateCustomer(context.Background(), e, gen.Customer("", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	rotated := saldo.ConnectionTokenRequest{RefreshToken: created.Tokens.RefreshToken, DeviceID: "phone"}
	if _, err := f.Service.ConnectionToken(context.Background(), e, rotated, nil); err != nil {
		t.Fatal(err)
	}
	withKey := func() *saldo.Idempotency[*saldo.ConnectionToken] {
		return &saldo.Idempotency[*saldo.ConnectionToken]{
			IdempotencyKey: saldo.IdempotencyKey{Key: "reuse", Digest: sha256.Sum256([]byte("rotated"))},
			Render: func(_ *saldo.ConnectionToken, err error) saldo.Answer {
				return saldo.Answer{Status: 401, Body: []byte(saldo.ErrorCode(err))}
			},
		}
	}
	_, err = f.Service.ConnectionToken(context.Background(), e, rotated, withKey())
	wantCode(t, err, saldo.EUNAUTHORIZED, "")
	_, err = f.Service.ConnectionToken(context.Background(), e, rotated, withKey())
	if r := replayed(t, err); r.Status != 401 || string(r.Body) != string(saldo.EUNAUTHORIZED) {
		t.Errorf("replay = %d %s, want the stored 401", r.Status, r.Body)
	}
	if n := countEvents(t, h, f.Store, saldo.EventTokenReuseDetected); n != 1 {
		t.Errorf("%d reuse events, want 1", n)
	}
}
