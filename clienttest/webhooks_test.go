package clienttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/client"
)

// webhookOptions give the fixture's service a policy that resolves every name to a public
// address, so that endpoints on example hosts can be registered without DNS.
var webhookOptions = []saldo.Option{saldo.WithWebhookPolicy(saldo.WebhookPolicy{
	Resolve: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
	},
})}

// recordAttempts tries every due delivery once, each answered with status.
func (f *fixture) recordAttempts(t *testing.T, status int) int {
	t.Helper()
	ctx := context.Background()
	claimed, err := f.svc.ClaimDeliveries(ctx, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range claimed {
		a := saldo.WebhookAttempt{AttemptedAt: f.clock.Now(), StatusCode: status, Duration: 42 * time.Millisecond, Response: "ok"}
		if err := f.svc.RecordAttempt(ctx, &claimed[i], a); err != nil {
			t.Fatal(err)
		}
	}
	return len(claimed)
}

func TestWebhookEndpoints(t *testing.T) {
	f := newFixtureWith(t, webhookOptions)
	ctx := context.Background()
	c := f.composite

	w, err := c.CreateWebhookEndpoint(ctx, &client.CreateWebhookEndpointRequest{
		URL: "https://hooks.example.com/saldo", Events: []string{"customer.created"}, Description: "tienda"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.Secret, "whsec_") || !w.Enabled || w.DisabledReason != "" || !slices.Equal(w.Events, []string{"customer.created"}) {
		t.Errorf("created %+v", w)
	}
	if !w.Created.Equal(fixtureNow) || !w.Updated.Equal(fixtureNow) {
		t.Errorf("created %v updated %v, want the fixture's clock", w.Created, w.Updated)
	}
	got, err := c.GetWebhookEndpoint(ctx, w.ID)
	if err != nil || got.Secret != "" || got.URL != w.URL {
		t.Errorf("get: %+v, %v; want the endpoint without its secret", got, err)
	}
	list, err := c.WebhookEndpoints(ctx)
	if err != nil || len(list.Endpoints) != 1 || list.Endpoints[0].Secret != "" {
		t.Errorf("list: %+v, %v", list, err)
	}

	disabled := false
	all := []string{"*"}
	updated, err := c.UpdateWebhookEndpoint(ctx, w.ID, &client.UpdateWebhookEndpointRequest{Enabled: &disabled, Events: &all})
	if err != nil || updated.Enabled || updated.DisabledReason != "disabled" || !slices.Equal(updated.Events, all) || updated.Description != "tienda" {
		t.Errorf("update: %+v, %v", updated, err)
	}
	enabled := true
	if updated, err = c.UpdateWebhookEndpoint(ctx, w.ID, &client.UpdateWebhookEndpointRequest{Enabled: &enabled}); err != nil || !updated.Enabled {
		t.Errorf("enable: %+v, %v", updated, err)
	}
	rotated, err := c.RotateWebhookSecret(ctx, w.ID)
	if err != nil || rotated.Secret == w.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Errorf("rotate: %+v, %v", rotated, err)
	}

	// Three test sends, tried once each, read back a page of two at a time.
	var eventID int64
	for range 3 {
		d, err := c.TestWebhookEndpoint(ctx, w.ID)
		if err != nil || d.Status != "pending" || d.DeliveryID == 0 || d.EventID == 0 {
			t.Fatalf("test: %+v, %v", d, err)
		}
		eventID = d.EventID
	}
	if page, err := c.ListWebhookAttempts(ctx, w.ID, nil); err != nil || len(page.Attempts) != 0 || page.NextCursor != "" {
		t.Errorf("attempts before any: %+v, %v", page, err)
	}
	if n := f.recordAttempts(t, 200); n != 3 {
		t.Fatalf("%d deliveries tried, want 3", n)
	}
	page, err := c.ListWebhookAttempts(ctx, w.ID, &client.ListWebhookAttemptsOptions{Limit: 2})
	if err != nil || len(page.Attempts) != 2 || page.NextCursor == "" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	var ids []int64
	for a, err := range c.WebhookAttempts(ctx, w.ID, 2) {
		if err != nil {
			t.Fatal(err)
		}
		if a.StatusCode != 200 || a.DurationMS != 42 || a.Response != "ok" {
			t.Errorf("attempt %+v", a)
		}
		ids = append(ids, a.ID)
	}
	if len(ids) != 3 || !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("attempt ids %v: want 3, newest first", ids)
	}

	re, err := c.RedeliverEvent(ctx, eventID)
	if err != nil || len(re.Deliveries) != 1 || re.Deliveries[0].EndpointID != w.ID || re.Deliveries[0].Status != "pending" {
		t.Errorf("redeliver: %+v, %v", re, err)
	}

	// Refusals are typed errors.
	_, err = c.CreateWebhookEndpoint(ctx, &client.CreateWebhookEndpointRequest{URL: "http://hooks.example.com/", Events: all})
	checkError(t, err, 400, 5000, "url:https_required")
	_, err = c.CreateWebhookEndpoint(ctx, &client.CreateWebhookEndpointRequest{URL: "https://169.254.169.254/", Events: all})
	checkError(t, err, 400, 5000, "url:address_not_allowed")
	_, err = f.plain.GetWebhookEndpoint(ctx, w.ID)
	checkError(t, err, 404, 4404, "endpoint_id:not_found")
	_, err = f.plain.RedeliverEvent(ctx, eventID)
	checkError(t, err, 404, 4404, "event_id:not_found")

	if err := c.DeleteWebhookEndpoint(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetWebhookEndpoint(ctx, w.ID)
	if !client.IsNotFound(err) {
		t.Errorf("after delete: %v, want not found", err)
	}
}

// The webhook result types are the server's answers field for field; the reads never carry
// the secret.
func TestWebhookResultTypesMatchTheServersAnswers(t *testing.T) {
	f := newFixtureWith(t, webhookOptions)
	rec := &recorder{next: f.hc.Transport}
	c := client.New(f.url, f.token, client.WithHTTPClient(&http.Client{Transport: rec}))
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.CreateWebhookEndpoint(ctx, &client.CreateWebhookEndpointRequest{URL: "https://hooks.example.com/a", Events: []string{"*"}})
	must(err)
	checkWire[client.WebhookEndpoint](t, rec, "payload")
	_, err = c.GetWebhookEndpoint(ctx, w.ID)
	must(err)
	checkWireWithout[client.WebhookEndpoint](t, rec, "secret")
	_, err = c.WebhookEndpoints(ctx)
	must(err)
	checkWireWithout[client.WebhookEndpoints](t, rec, "endpoints[].secret")
	desc := "b"
	_, err = c.UpdateWebhookEndpoint(ctx, w.ID, &client.UpdateWebhookEndpointRequest{Description: &desc})
	must(err)
	checkWireWithout[client.WebhookEndpoint](t, rec, "secret")
	_, err = c.RotateWebhookSecret(ctx, w.ID)
	must(err)
	checkWire[client.WebhookEndpoint](t, rec, "payload")
	d, err := c.TestWebhookEndpoint(ctx, w.ID)
	must(err)
	checkWire[client.WebhookTestDelivery](t, rec, "payload")
	_, err = c.TestWebhookEndpoint(ctx, w.ID)
	must(err)
	f.recordAttempts(t, 500)
	// A page with a cursor, so that next_cursor is a string rather than null.
	page, err := c.ListWebhookAttempts(ctx, w.ID, &client.ListWebhookAttemptsOptions{Limit: 1})
	must(err)
	if page.NextCursor == "" {
		t.Error("a page of one of two attempts has no cursor")
	}
	checkWire[client.WebhookAttemptsPage](t, rec, "payload")
	_, err = c.RedeliverEvent(ctx, d.EventID)
	must(err)
	checkWire[client.WebhookRedeliveries](t, rec, "payload")
	must(c.DeleteWebhookEndpoint(ctx, w.ID))
	var env map[string]json.RawMessage
	must(json.Unmarshal(rec.body, &env))
	if !bytes.Equal(bytes.TrimSpace(env["payload"]), []byte("{}")) {
		t.Errorf("delete payload %s, want {}", env["payload"])
	}
}

// checkWireWithout is checkWire for the wallet envelope's payload, when the answer must lack
// the fields named (by their path, as missingFields names them) and hold every other.
func checkWireWithout[T any](tb testing.TB, rec *recorder, absent ...string) {
	tb.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(rec.body, &env); err != nil {
		tb.Fatalf("%s: %v", rec.op, err)
	}
	raw := env["payload"]
	typ := reflect.TypeFor[T]()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(new(T)); err != nil {
		tb.Errorf("%s: the answer does not decode strictly into %v: %v\n%s", rec.op, typ, err, raw)
	}
	missing := missingFields(typ, raw, "")
	for _, name := range absent {
		if !slices.Contains(missing, name) {
			tb.Errorf("%s: the answer has %s\n%s", rec.op, name, raw)
		}
	}
	for _, m := range missing {
		if !slices.Contains(absent, m) {
			tb.Errorf("%s: the answer has no %s for %v\n%s", rec.op, m, typ, raw)
		}
	}
}
