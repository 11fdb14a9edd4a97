//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDatabase takes the lock of the SQLite database at path: an exclusive flock on PATH.lock,
// beside it, held until unlock runs or the process ends (the kernel drops it even on SIGKILL).
// A second serve on the same file is refused. The lock is a file of its own, so that it never
// meets SQLite's own locks on the database file.
func lockDatabase(path string) (unlock func(), err error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another saldo serve is running on %s (it holds %s): run one serve per SQLite file; "+
				"migrate and ecommerce may run beside it, and several replicas need PostgreSQL", path, lockPath)
		}
		return nil, fmt.Errorf("lock file %s: %w", lockPath, err)
	}
	return func() { f.Close() }, nil
}
