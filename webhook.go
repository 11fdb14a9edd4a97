package saldo

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhooks: each partner registers endpoints; every event it records (the outbox) is fanned
// out to the endpoints that want it, and delivered, signed per Standard Webhooks 1.0, at least
// once, on a schedule of retries. The delivery itself (HTTP, the safe dialer, the workers) is
// package webhooks'; the rules and the state are here.

// WebhookEndpoint is where a partner's events are delivered.
type WebhookEndpoint struct {
	ID          int64
	PartnerID   int64
	URL         string
	Events      []string // event types, or "*" for every one
	Description string
	// Secret is the signing secret, "whsec_" + base64 of 32 random bytes, in clear: it exists
	// so only in memory, opened from its sealed form, and is shown to the partner once.
	Secret string
	// OldSecret signs beside Secret until OldSecretUntil, after a rotation.
	OldSecret      string
	OldSecretUntil time.Time
	DisabledAt     time.Time // zero: enabled
	DisabledReason string
	FailingSince   time.Time // the first failed attempt since the last success; zero: none
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Enabled reports whether events are delivered to the endpoint.
func (w *WebhookEndpoint) Enabled() bool { return w.DisabledAt.IsZero() }

// Wants reports whether the endpoint subscribes to events of type typ.
func (w *WebhookEndpoint) Wants(typ string) bool {
	return slices.Contains(w.Events, "*") || slices.Contains(w.Events, typ)
}

// SigningSecrets are the secrets a delivery at now is signed with: the current one, and
// during a rotation the old one too.
func (w *WebhookEndpoint) SigningSecrets(now time.Time) []string {
	secrets := []string{w.Secret}
	if w.OldSecret != "" && now.Before(w.OldSecretUntil) {
		secrets = append(secrets, w.OldSecret)
	}
	return secrets
}

// WebhookSecretPrefix starts every signing secret.
const WebhookSecretPrefix = "whsec_"

// newWebhookSecret returns a fresh signing secret.
func newWebhookSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// SignWebhook is the webhook-signature header of a delivery per Standard Webhooks 1.0: for
// each secret, "v1," + base64 of HMAC-SHA256 over "msgID.timestamp.body" keyed by the secret's
// bytes (the base64 after "whsec_"), space-separated.
func SignWebhook(secrets []string, msgID string, timestamp int64, body []byte) string {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, WebhookSecretPrefix))
		if err != nil {
			continue // saldo makes every secret; one that does not decode signs nothing
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(msgID + "." + strconv.FormatInt(timestamp, 10) + "."))
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " ")
}

// WebhookDelivery is one event to one endpoint.
type WebhookDelivery struct {
	ID            int64
	PartnerID     int64
	EndpointID    int64
	EventID       int64
	Status        string // DeliveryPending, DeliverySucceeded, DeliveryFailed
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// WebhookAttempt is one try of a delivery, as the partner sees it.
type WebhookAttempt struct {
	ID          int64
	DeliveryID  int64
	EndpointID  int64
	EventID     int64
	AttemptedAt time.Time
	StatusCode  int // 0: no answer
	Duration    time.Duration
	Response    string // the first KiB of the answer's body
	Error       string // why there was no answer, or why it was not a success
}

// Succeeded reports whether the attempt was answered 2xx.
func (a *WebhookAttempt) Succeeded() bool { return a.StatusCode >= 200 && a.StatusCode < 300 }

// RetrySchedule is how long after each failed attempt the next one comes; after the last,
// the delivery has failed.
var RetrySchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// DisableAfter is how long an endpoint may fail every attempt before it is disabled.
const DisableAfter = 5 * 24 * time.Hour

// MaxWebhookResponse is how much of an answer's body an attempt keeps.
const MaxWebhookResponse = 1024

// webhookTypes are the event types an endpoint may subscribe to.
var webhookTypes = []string{
	EventCustomerCreated, EventCustomerUpdated, EventCustomerLevelChanged, EventCustomerStatusChanged,
	EventCompositeParentCreated, EventCompositeChildCreated, EventChildCreditLineUpdated,
	EventTransactionCreated, EventTransactionUpdated, EventTokenReuseDetected, EventEndpointDisabled,
	EventStatementCreated, EventCompositeParentOverdue, EventWebhookTest,
}

// Event types of webhooks.
const (
	EventEndpointDisabled = "endpoint.disabled"
	EventWebhookTest      = "webhook.test"
)

// EndpointDisabled is the payload of endpoint.disabled.
type EndpointDisabled struct {
	EndpointID int64  `json:"endpoint_id"`
	Reason     string `json:"reason"` // "gone" (410) or "failing" (5 days of failures)
}

// WebhookTest is the payload of webhook.test, the event a test send delivers.
type WebhookTest struct {
	EndpointID int64 `json:"endpoint_id"`
}

func (EndpointDisabled) EventType() string { return EventEndpointDisabled }
func (WebhookTest) EventType() string      { return EventWebhookTest }
func (p EndpointDisabled) Subject() string { return formatID(p.EndpointID) }
func (p WebhookTest) Subject() string      { return formatID(p.EndpointID) }

// WebhookPolicy says which endpoint URLs are allowed.
type WebhookPolicy struct {
	// AllowInsecure allows http:// and local addresses, for development and tests.
	AllowInsecure bool
	// Resolve looks a host's addresses up; nil is the system resolver.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// BlockedAddr reports whether a webhook may not be sent to ip: loopback, private, link-local
// (the cloud metadata address among them), unspecified, multicast and the shared range that
// carrier NAT uses.
func BlockedAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		carrierNAT.Contains(ip) || thisNetwork.Contains(ip)
}

// The ranges BlockedAddr adds to the standard library's classes; every connection a delivery
// makes is checked against them.
var (
	carrierNAT  = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
)

// CheckURL refuses a webhook URL the policy does not allow: one that is not https (unless
// insecure is allowed), has credentials or a fragment, or whose host is, or resolves to, a
// blocked address. The delivery checks the address again when it connects (DNS rebinding).
func (p WebhookPolicy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || len(raw) > 2048 {
		return Errorf(EINVALID, "url:invalid")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowInsecure:
	default:
		return Errorf(EINVALID, "url:https_required")
	}
	if p.AllowInsecure {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if BlockedAddr(ip) {
			return Errorf(EINVALID, "url:address_not_allowed")
		}
		return nil
	}
	resolve := p.Resolve
	if resolve == nil {
		resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	addrs, err := resolve(ctx, host)
	if err != nil || len(addrs) == 0 {
		return Errorf(EINVALID, "url:unresolvable")
	}
	for _, a := range addrs {
		if BlockedAddr(a) {
			return Errorf(EINVALID, "url:address_not_allowed")
		}
	}
	return nil
}
