// Package cliflag writes the flag package's usage and errors the way saldo's commands document
// them: flags with two dashes.
package cliflag

import (
	"flag"
	"io"
	"regexp"
	"strings"
)

// Defaults returns fs's flags as the flag package's PrintDefaults writes them, each with two
// dashes.
func Defaults(fs *flag.FlagSet) string {
	var flags strings.Builder
	out := fs.Output()
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	fs.SetOutput(out)
	return flagLine.ReplaceAllString(flags.String(), "  --")
}

// flagLine is the start of a flag's line in the flag package's PrintDefaults.
var flagLine = regexp.MustCompile(`(?m)^  -`)

// flagInMessage is a flag's name in the flag package's errors: "flag provided but not defined:
// -x", "flag needs an argument: -x", "invalid value … for flag -x", "invalid boolean value …
// for -x".
var flagInMessage = regexp.MustCompile(`(: |for flag |for )-([A-Za-z])`)

// DoubleDash rewrites a flag package error to name its flag with two dashes.
func DoubleDash(msg string) string {
	return flagInMessage.ReplaceAllString(msg, "$1--$2")
}

// Quiet makes fs print nothing itself: its caller writes the usage and the errors.
func Quiet(fs *flag.FlagSet) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
}
