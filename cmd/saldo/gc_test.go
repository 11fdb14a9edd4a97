package main

import (
	"runtime/debug"
	"testing"
)

// serve sets its GOGC unless the environment sets one, whose meaning then stands.
func TestTuneGCLeavesAnExplicitGOGCAlone(t *testing.T) {
	for _, tt := range []struct {
		name string
		gogc string
		want int
	}{
		{"unset: serve's own", "", serveGCPercent},
		{"set: the environment's", "150", 150},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := debug.SetGCPercent(150) // as the runtime would have read GOGC=150
			defer debug.SetGCPercent(before)
			tuneGC(func(k string) string {
				if k == "GOGC" {
					return tt.gogc
				}
				return ""
			})
			if got := debug.SetGCPercent(150); got != tt.want {
				t.Errorf("GC percent %d, want %d", got, tt.want)
			}
		})
	}
}
