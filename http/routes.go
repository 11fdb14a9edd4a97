package http

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/saldo-mx/saldo"
)

// route is one operation of the API and its handler. It answers in the envelope of its
// pattern's prefix (envelopeOf), as does any other path under that prefix.
type route struct {
	method  string
	pattern string
	handler http.HandlerFunc
}

// routes is every operation the server answers. A write route is a writeRoute (see
// handleWrite): its decoder, the service method it calls and how its result is shown.
func (s *Server) routes() []route {
	const composite = "/wallet/v1/composite-balance"
	const webhooks = "/webhooks/v1"
	routes := []route{
		// The user envelope, {"rs", "err"}: /user/v1 and everything outside the two below.
		{"POST", "/user/v1/account/create", handleWrite(s, s.createAccount())},
		{"GET", "/user/v1/account/{customer_id}", s.getAccount},
		{"PATCH", "/user/v1/account/{customer_id}", handleWrite(s, s.updateAccount())},
		{"POST", "/user/v1/account/{customer_id}/status", handleWrite(s, s.setAccountStatus())},
		{"GET", "/user/v1/accounts", s.searchAccounts},
		{"GET", "/user/v1/account/spei-clabe", s.getSPEICLABE},

		// The oauth envelope, {"response", "err"}.
		{"POST", "/oauth/v1/get-customer-connection-token", handleWrite(s, s.connectionToken())},
		{"POST", "/oauth/v1/refresh-customer-token", handleWrite(s, s.refreshCustomerToken())},
		{"POST", "/oauth/v1/revoke", handleWrite(s, s.revokeToken())},
		{"POST", "/oauth/v1/introspect", s.introspectToken},

		// The wallet envelope, {"text", "timestamp", "endpoint", "error", "payload"}, which
		// /events/ and /webhooks/ answer in too; the composite balance routes map unknown ids
		// to "incorrect <id>" (mapError).
		{"POST", "/wallet/v1/topUp", handleWrite(s, s.topUp())},
		{"POST", "/wallet/v1/transfer", handleWrite(s, s.transfer())},
		{"POST", "/wallet/v1/spei-cashout", handleWrite(s, s.cashout())},
		{"POST", "/wallet/v1/spei-cashout/{transactionId}/complete", handleWrite(s, s.completeCashout())},
		{"POST", "/wallet/v1/spei-cashout/{transactionId}/fail", handleWrite(s, s.failCashout())},
		{"POST", "/wallet/v1/spei-in", handleWrite(s, s.speiIn())},
		{"GET", "/wallet/v1/transactions/{customer_id}", s.getTransactions},
		{"GET", "/wallet/v1/balance/{balance_id}", s.getBalance},
		{"GET", composite + "/parent/{parent_id}", s.getParent},
		{"GET", composite + "/parent/{parent_id}/children", s.listChildren},
		{"POST", composite + "/child", handleWrite(s, s.createChild())},
		{"GET", composite + "/child/{child_id}", s.getChild},
		{"PUT", composite + "/child/{child_id}/update-credit-line", handleWrite(s, s.updateChildCreditLine())},
		// Credit on composite balances.
		{"POST", composite + "/child/{child_id}/charge", handleWrite(s, s.charge())},
		{"POST", "/wallet/v1/transactions/{transaction_id}/capture", handleWrite(s, s.captureCharge())},
		{"POST", "/wallet/v1/transactions/{transaction_id}/void", handleWrite(s, s.voidCharge())},
		{"POST", "/wallet/v1/transactions/{transaction_id}/refund", handleWrite(s, s.refundCharge())},
		{"POST", composite + "/parent/{parent_id}/payment", handleWrite(s, s.payParent())},
		{"POST", composite + "/child/{child_id}/payment", handleWrite(s, s.payChild())},
		{"GET", composite + "/parent/{parent_id}/statements", s.listStatements},
		{"GET", composite + "/statements/{statement_id}", s.getStatement},
		// The event feed.
		{"GET", "/events/v1", s.getEvents},
		// Webhooks.
		{"POST", webhooks + "/endpoints", handleWrite(s, s.createWebhookEndpoint())},
		{"GET", webhooks + "/endpoints", s.listWebhookEndpoints},
		{"GET", webhooks + "/endpoints/{id}", s.getWebhookEndpoint},
		{"PATCH", webhooks + "/endpoints/{id}", handleWrite(s, s.updateWebhookEndpoint())},
		{"DELETE", webhooks + "/endpoints/{id}", handleWrite(s, s.deleteWebhookEndpoint())},
		{"POST", webhooks + "/endpoints/{id}/rotate-secret", handleWrite(s, s.rotateWebhookSecret())},
		{"POST", webhooks + "/endpoints/{id}/test", handleWrite(s, s.testWebhookEndpoint())},
		{"GET", webhooks + "/endpoints/{id}/attempts", s.listWebhookAttempts},
		{"POST", webhooks + "/events/{event_id}/redeliver", handleWrite(s, s.redeliverEvent())},

		{"GET", "/healthz", s.healthz},
		{"GET", "/readyz", s.readyz},
		{"GET", "/openapi.json", s.openAPI},
	}
	if s.metrics != nil {
		routes = append(routes, route{"GET", "/metrics", s.metrics.handler.ServeHTTP})
	}
	return routes
}

// register adds routes to mux by pattern: HEAD is answered as GET wherever GET is (net/http
// sends no body), and a method a pattern has no route for gets 405 with Allow.
func (s *Server) register(mux *http.ServeMux, routes []route) {
	var patterns []string
	byPattern := map[string]map[string]route{}
	for _, rt := range routes {
		if byPattern[rt.pattern] == nil {
			patterns = append(patterns, rt.pattern)
			byPattern[rt.pattern] = map[string]route{}
		}
		byPattern[rt.pattern][rt.method] = rt
		s.operations = append(s.operations, rt.method+" "+rt.pattern)
	}
	for _, pattern := range patterns {
		methods := byPattern[pattern]
		if get, ok := methods[http.MethodGet]; ok && methods[http.MethodHead].handler == nil {
			methods[http.MethodHead] = get
		}
		allowed := strings.Join(slices.Sorted(maps.Keys(methods)), ", ")
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			rt, ok := methods[r.Method]
			if !ok {
				w.Header().Set("Allow", allowed)
				s.fail(w, r, withStatus(http.StatusMethodNotAllowed, saldo.Errorf(saldo.ENOTFOUND, "method:not_allowed")))
				return
			}
			rt.handler(w, r)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, saldo.Errorf(saldo.ENOTFOUND, "route:not_found"))
	})
}
