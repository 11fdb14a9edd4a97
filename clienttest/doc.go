// Package clienttest holds the tests of the Go client (module github.com/saldo-mx/saldo/client)
// that need a real saldo server: the client's own module imports the standard library alone,
// so the server and its test databases live on this side of the module boundary.
package clienttest
