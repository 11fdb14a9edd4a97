package client_test

import (
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Partners use the package without the server's dependencies: it imports the standard
// library alone.
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			wd, _ := os.Getwd()
			p, err := build.Import(path, wd, build.FindOnly)
			if err != nil || !p.Goroot {
				t.Errorf("%s imports %q, which is not in the standard library (%v)", name, path, err)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Error("no imports checked")
	}
}

// The module requires nothing, so a partner's go.sum gains no line for it but its own.
func TestModuleRequiresNothing(t *testing.T) {
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(mod)) {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "require" || f[0] == "replace") {
			t.Errorf("go.mod: %s", strings.TrimSpace(line))
		}
	}
}
