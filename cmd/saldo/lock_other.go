//go:build !unix

package main

// lockDatabase takes no lock where flock is missing: one serve per SQLite file is then the
// operator's rule to keep.
func lockDatabase(path string) (unlock func(), err error) {
	return func() {}, nil
}
