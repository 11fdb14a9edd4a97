package saldo

import "testing"

func TestValidCLABE(t *testing.T) {
	tests := []struct {
		name  string
		clabe string
		want  bool
	}{
		{"the contract's example", "032180000118359719", true},
		{"a wrong check digit", "032180000118359718", false},
		{"17 digits", "03218000011835971", false},
		{"19 digits", "0321800001183597190", false},
		{"a letter", "03218000011835971A", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidCLABE(tt.clabe); got != tt.want {
				t.Errorf("ValidCLABE(%q) = %v, want %v", tt.clabe, got, tt.want)
			}
		})
	}
}

func TestWalletCLABERoundTrips(t *testing.T) {
	for _, id := range []int64{1, 42, 9_999_999, maxCLABEAccount} {
		clabe := WalletCLABE("646180", id)
		if len(clabe) != 18 || !ValidCLABE(clabe) || clabe[:6] != "646180" {
			t.Fatalf("WalletCLABE(%d) = %q, not a valid CLABE under the prefix", id, clabe)
		}
		got, ok := walletOfCLABE("646180", clabe)
		if !ok || got != id {
			t.Errorf("walletOfCLABE(%q) = %d, %v; want %d", clabe, got, ok, id)
		}
		if _, ok := walletOfCLABE("002180", clabe); ok {
			t.Errorf("%q read under another prefix", clabe)
		}
	}
	if c := WalletCLABE("", 42); c != "" {
		t.Errorf("a partner without a prefix got CLABE %q", c)
	}
	if c := WalletCLABE("646180", maxCLABEAccount+1); c != "" {
		t.Errorf("an id beyond 11 digits got CLABE %q", c)
	}
}

func FuzzWalletOfCLABE(f *testing.F) {
	f.Add("646180", "646180000000000429")
	f.Add("", "032180000118359719")
	f.Fuzz(func(t *testing.T, prefix, clabe string) {
		id, ok := walletOfCLABE(prefix, clabe)
		if ok && WalletCLABE(prefix, id) != clabe {
			t.Errorf("walletOfCLABE(%q, %q) = %d, whose CLABE is %q", prefix, clabe, id, WalletCLABE(prefix, id))
		}
	})
}
