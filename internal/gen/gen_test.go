package gen

import (
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
)

func TestIdentifiersAreValidAndUnique(t *testing.T) {
	seen := map[string]uint64{}
	for _, seq := range []uint64{0, 1, 25, 26, 675, 456975, 456976, 9_999_999, 123_456_789} {
		r := Customer("", seq)
		if _, reason := saldo.ParseCURP(r.CURP); reason != "" {
			t.Errorf("seq %d: CURP %s is %s", seq, r.CURP, reason)
		}
		if _, reason := saldo.ParseRFC(r.RFC, false, true, time.Now()); reason != "" {
			t.Errorf("seq %d: RFC %s is %s", seq, r.RFC, reason)
		}
		for _, id := range []string{r.Email, r.Mobile, r.RFC, r.CURP} {
			if prev, dup := seen[id]; dup {
				t.Errorf("seq %d and %d share %s", prev, seq, id)
			}
			seen[id] = seq
		}
	}
}
