package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

// saldo webhooks administers a partner's webhook endpoints, as /webhooks/v1 does over HTTP:
// the same inputs, the same rules, JSON out. Writes migrate the database first; reads never
// migrate.

const webhooksCommands = "list, create, get, update, delete, rotate-secret, test, attempts or redeliver"

func webhooksCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, webhooksUsage)
		return errors.New("webhooks: no command given: want " + webhooksCommands)
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list", "get", "attempts":
		return webhooksRead(ctx, env, sub, args)
	case "create", "update", "delete", "rotate-secret", "test", "redeliver":
		return webhooksWrite(ctx, env, sub, args)
	}
	if isHelp(sub) {
		return help(ctx, env, args, webhooksUsage, webhooksCmd)
	}
	return fmt.Errorf("webhooks: unknown command %q: want %s; run 'saldo webhooks --help'", sub, webhooksCommands)
}

// eventsFlag is a list of event types: the flag repeated, or a comma-separated list.
type eventsFlag struct {
	list []string
	set  bool
}

func (f *eventsFlag) String() string {
	if f == nil {
		return ""
	}
	return strings.Join(f.list, ",")
}

func (f *eventsFlag) Set(s string) error {
	f.set = true
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			f.list = append(f.list, item)
		}
	}
	return nil
}

// webhookFlags are every flag of the webhooks commands; each command registers its own.
type webhookFlags struct {
	partnerID, id, eventID int64
	url, description       string
	events                 eventsFlag
	enabled                string
	limit                  int
	cursor                 string
	given                  map[string]bool
}

func (w *webhookFlags) register(sub string) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		fs.Int64Var(&w.partnerID, "ecommerce-id", 0, "the partner's id (required)")
		switch sub {
		case "get", "update", "delete", "rotate-secret", "test", "attempts":
			fs.Int64Var(&w.id, "id", 0, "the endpoint's id (required)")
		case "redeliver":
			fs.Int64Var(&w.eventID, "event-id", 0, "the event's id (required)")
		}
		switch sub {
		case "create", "update":
			fs.StringVar(&w.url, "url", "", "an https URL whose host is and resolves to public addresses only")
			fs.Var(&w.events, "events", "event types to deliver, comma-separated or the flag repeated; * for every type")
			fs.StringVar(&w.description, "description", "", "the partner's own note")
		}
		switch sub {
		case "update":
			fs.StringVar(&w.enabled, "enabled", "", "true enables the endpoint, false disables it")
		case "attempts":
			fs.IntVar(&w.limit, "limit", saldo.DefaultChildrenLimit, "page size, 1-100")
			fs.StringVar(&w.cursor, "cursor", "", "the next_cursor of the previous page")
		}
	}
}

// parseWebhooks parses sub's flags and checks the required ones.
func parseWebhooks(env Env, sub string, args []string) (*Config, *webhookFlags, error) {
	w := &webhookFlags{given: map[string]bool{}}
	name := "webhooks " + sub
	var fs *flag.FlagSet
	cfg, err := parse(env, name, args, false, func(f *flag.FlagSet) {
		fs = f
		w.register(sub)(f)
	})
	if err != nil {
		return nil, nil, err
	}
	fs.Visit(func(f *flag.Flag) { w.given[f.Name] = true })
	for _, required := range []string{"ecommerce-id", "id", "event-id"} {
		if fs.Lookup(required) != nil && !w.given[required] {
			return nil, nil, fmt.Errorf("%s: --%s is required", name, required)
		}
	}
	if sub == "create" && (w.url == "" || !w.events.set) {
		return nil, nil, fmt.Errorf("%s: --url and --events are required", name)
	}
	if w.given["enabled"] && w.enabled != "true" && w.enabled != "false" {
		return nil, nil, fmt.Errorf("%s: --enabled: want true or false", name)
	}
	return cfg, w, nil
}

// partnerOf returns partner id, or an error naming it.
func partnerOf(ctx context.Context, svc *saldo.Service, name string, id int64) (*saldo.Partner, error) {
	list, err := svc.Partners(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, e := range list {
		if e.ID == id {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%s: no e-commerce with id %d", name, id)
}

// webhookEndpointJSON is an endpoint as the CLI prints it: as the API answers it.
type webhookEndpointJSON struct {
	ID             int64    `json:"id"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Description    string   `json:"description"`
	Enabled        bool     `json:"enabled"`
	DisabledReason string   `json:"disabled_reason"`
	Created        string   `json:"created"`
	Updated        string   `json:"updated"`
	Secret         string   `json:"secret,omitempty"`
}

// cliTime is how the CLI prints a time: as the API's wallet routes do.
func cliTime(t time.Time) string {
	return t.In(saldo.MexicoCity).Format("2006-01-02T15:04:05.000000000Z07:00")
}

func newWebhookEndpointJSON(w *saldo.WebhookEndpoint) webhookEndpointJSON {
	events := w.Events
	if events == nil {
		events = []string{}
	}
	return webhookEndpointJSON{ID: w.ID, URL: w.URL, Events: events, Description: w.Description, Enabled: w.Enabled(),
		DisabledReason: w.DisabledReason, Created: cliTime(w.CreatedAt), Updated: cliTime(w.UpdatedAt), Secret: w.Secret}
}

type webhookAttemptJSON struct {
	ID          int64  `json:"id"`
	DeliveryID  int64  `json:"delivery_id"`
	EventID     int64  `json:"event_id"`
	AttemptedAt string `json:"attempted_at"`
	StatusCode  *int   `json:"status_code"`
	DurationMS  int64  `json:"duration_ms"`
	Response    string `json:"response"`
	Error       string `json:"error"`
}

// webhooksRead runs list, get and attempts. They only read: they never migrate.
func webhooksRead(ctx context.Context, env Env, sub string, args []string) error {
	name := "webhooks " + sub
	cfg, w, err := parseWebhooks(env, sub, args)
	if err != nil {
		return err
	}
	var before int64
	if w.cursor != "" {
		if before, err = strconv.ParseInt(w.cursor, 10, 64); err != nil || before < 1 {
			return fmt.Errorf("%s: --cursor: want the next_cursor a page printed", name)
		}
	}
	store, err := cfg.openCurrent(ctx, name)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := saldo.NewService(store, saldo.SystemClock{})
	e, err := partnerOf(ctx, svc, name, w.partnerID)
	if err != nil {
		return err
	}
	out := json.NewEncoder(env.Stdout)
	switch sub {
	case "list":
		list, err := svc.WebhookEndpoints(ctx, e)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		printed := struct {
			Endpoints []webhookEndpointJSON `json:"endpoints"`
		}{Endpoints: []webhookEndpointJSON{}}
		for i := range list {
			printed.Endpoints = append(printed.Endpoints, newWebhookEndpointJSON(&list[i]))
		}
		return out.Encode(printed)
	case "get":
		ep, err := svc.WebhookEndpoint(ctx, e, w.id)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return out.Encode(newWebhookEndpointJSON(ep))
	}
	attempts, next, err := svc.WebhookAttempts(ctx, e, w.id, before, w.limit)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	printed := struct {
		Attempts   []webhookAttemptJSON `json:"attempts"`
		NextCursor *string              `json:"next_cursor"`
	}{Attempts: []webhookAttemptJSON{}}
	for _, a := range attempts {
		j := webhookAttemptJSON{ID: a.ID, DeliveryID: a.DeliveryID, EventID: a.EventID, AttemptedAt: cliTime(a.AttemptedAt),
			DurationMS: a.Duration.Milliseconds(), Response: strings.ToValidUTF8(a.Response, "\uFFFD"), Error: a.Error}
		if a.StatusCode != 0 {
			code := a.StatusCode
			j.StatusCode = &code
		}
		printed.Attempts = append(printed.Attempts, j)
	}
	if next != 0 {
		cursor := strconv.FormatInt(next, 10)
		printed.NextCursor = &cursor
	}
	return out.Encode(printed)
}

// webhooksWrite runs create, update, delete, rotate-secret, test and redeliver. They write,
// so they migrate the database first, and seal secrets under the server secret key (the
// server must be able to open them to sign).
func webhooksWrite(ctx context.Context, env Env, sub string, args []string) error {
	name := "webhooks " + sub
	cfg, w, err := parseWebhooks(env, sub, args)
	if err != nil {
		return err
	}
	secretKey, err := cfg.secretKey()
	if err != nil {
		return err
	}
	retiredKeys, err := cfg.retiredSecretKeys()
	if err != nil {
		return err
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := saldo.NewService(store, saldo.SystemClock{}, saldo.WithSecretKey(secretKey), saldo.WithRetiredSecretKeys(retiredKeys...))
	e, err := partnerOf(ctx, svc, name, w.partnerID)
	if err != nil {
		return err
	}
	var printed any
	switch sub {
	case "create":
		var ep *saldo.WebhookEndpoint
		ep, err = svc.CreateWebhookEndpoint(ctx, e, saldo.NewWebhookEndpoint{URL: w.url, Events: w.events.list, Description: w.description}, nil)
		if err == nil {
			printed = newWebhookEndpointJSON(ep)
		}
	case "update":
		var c saldo.WebhookEndpointChange
		if w.given["url"] {
			c.URL = &w.url
		}
		if w.given["events"] {
			c.Events = &w.events.list
		}
		if w.given["description"] {
			c.Description = &w.description
		}
		if w.given["enabled"] {
			enabled := w.enabled == "true"
			c.Enabled = &enabled
		}
		var ep *saldo.WebhookEndpoint
		ep, err = svc.UpdateWebhookEndpoint(ctx, e, w.id, c, nil)
		if err == nil {
			printed = newWebhookEndpointJSON(ep)
		}
	case "delete":
		_, err = svc.DeleteWebhookEndpoint(ctx, e, w.id, nil)
		printed = map[string]int64{"deleted": w.id}
	case "rotate-secret":
		var ep *saldo.WebhookEndpoint
		ep, err = svc.RotateWebhookSecret(ctx, e, w.id, nil)
		if err == nil {
			printed = newWebhookEndpointJSON(ep)
		}
	case "test":
		var d *saldo.WebhookDelivery
		d, err = svc.TestWebhookEndpoint(ctx, e, w.id, nil)
		if err == nil {
			printed = map[string]any{"delivery_id": d.ID, "event_id": d.EventID, "status": d.Status}
		}
	case "redeliver":
		var ds []saldo.WebhookDelivery
		ds, err = svc.RedeliverEvent(ctx, e, w.eventID, nil)
		list := []map[string]any{}
		for _, d := range ds {
			list = append(list, map[string]any{"delivery_id": d.ID, "endpoint_id": d.EndpointID, "status": d.Status})
		}
		printed = map[string]any{"deliveries": list}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return json.NewEncoder(env.Stdout).Encode(printed)
}
