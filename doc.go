// Package saldo is the domain of saldo, a self-hostable onboarding and card-as-a-service
// core for fintech partners in Mexico: its types (Partner, Customer, Balance, the composite
// parents and children whose credit lines are carved out of them, Token, Event), the rules
// of the contract (field validation, KYC levels, Mexican identifiers, billing dates) and
// Service, whose methods are the use cases.
//
// Every method of Service that writes goes through one typed write path (write, in
// write.go): it owns the database transaction and its retries, reads the clock once, and
// takes an explicit *Idempotency that makes the write happen at most once per key.
//
// Storage is the Store interface, implemented by package postgres and package sqlite and held
// to one conformance suite (package storetest). The HTTP API, wire-compatible with the
// UnDosTres CaaS API, is package http; cmd/saldo wires them together. docs/architecture.md
// shows how a request flows and where each kind of change goes.
package saldo
