//go:build tools

// Package openapi pins what the tests in http/ need to generate a Go client from
// http/openapi.json and compile it: oapi-codegen (the tool directive in go.mod) and the
// runtime package its code imports, kept here so that go mod tidy keeps it.
package openapi

import _ "github.com/oapi-codegen/runtime"
