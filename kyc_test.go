package saldo

import "testing"

func TestParseUDIValue(t *testing.T) {
	tests := []struct {
		in     string
		micros int64
		ok     bool
	}{
		{"8.245227", 8_245_227, true},
		{"8.5", 8_500_000, true},
		{"8", 8_000_000, true},
		{"1000.000000", 1_000_000_000, true},
		{"1000.000001", 0, false}, // above the bound
		{"8.2452271", 0, false},   // seven decimals
		{"0", 0, false},
		{"-8.2", 0, false},
		{"8,245227", 0, false},
		{".5", 0, false},
		{"8.", 8_000_000, true},
		{"", 0, false},
		{"1e3", 0, false},
	}
	for _, tt := range tests {
		micros, ok := ParseUDIValue(tt.in)
		if ok != tt.ok || ok && micros != tt.micros {
			t.Errorf("ParseUDIValue(%q) = %d, %v; want %d, %v", tt.in, micros, ok, tt.micros, tt.ok)
		}
	}
}

func FuzzParseUDIValue(f *testing.F) {
	for _, s := range []string{"8.245227", "8.5", "0.000001", "9999.999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		micros, ok := ParseUDIValue(s)
		if !ok {
			return
		}
		back, ok := ParseUDIValue(FormatUDIValue(micros))
		if !ok || back != micros || micros <= 0 || micros > maxUDIMicros {
			t.Errorf("%q read as %d, written %q, read back as %d, %v", s, micros, FormatUDIValue(micros), back, ok)
		}
	})
}

func TestParseUDIDay(t *testing.T) {
	tests := []struct{ in, want string }{
		{"26/09/2024", "2024-09-26"},
		{"2024-09-26", "2024-09-26"},
		{"31/02/2024", ""},
		{"26/9/2024", ""},
		{"2024/09/26", ""},
		{"Fecha", ""},
	}
	for _, tt := range tests {
		got, ok := ParseUDIDay(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ParseUDIDay(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

// The contract's levels: Nivel 1 at 1,000 UDIs of 8.245227 pesos is 8,245.22 pesos, rounded down.
func TestLimitsRoundDown(t *testing.T) {
	if got := udisToCents(1_000, 8_245_227); got != 824_522 {
		t.Errorf("1,000 UDIs at 8.245227 = %d cents, want 824522", got)
	}
	if got := udisToCents(750, 8_245_227); got != 618_392 {
		t.Errorf("750 UDIs at 8.245227 = %d cents, want 618392", got)
	}
	if l := limitCents(nil, 8_245_227); l.Set {
		t.Error("no limit became a limit")
	}
}
