package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	// seq(n) is 1ms, 2ms, …, n ms: the k-th smallest value is k ms.
	seq := func(n int) []time.Duration {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(i+1) * time.Millisecond
		}
		return s
	}
	for _, tt := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration // in ms
	}{
		{"empty", nil, 50, 0},
		{"one value, p50", seq(1), 50, 1},
		{"one value, p99", seq(1), 99, 1},
		{"p0 is the minimum", seq(10), 0, 1},
		{"p100 is the maximum", seq(10), 100, 10},
		{"p50 of 10: rank 5", seq(10), 50, 5},
		{"p50 of 11: rank ⌈5.5⌉ = 6", seq(11), 50, 6},
		{"p95 of 10: rank ⌈9.5⌉ = 10", seq(10), 95, 10},
		{"p90 of 10: rank 9 exactly", seq(10), 90, 9},
		{"p99 of 100: rank 99", seq(100), 99, 99},
		{"p99 of 101: rank ⌈99.99⌉ = 100", seq(101), 99, 100},
		{"p99 of 1000: rank 990", seq(1000), 99, 990},
		{"p99.9 of 1000: rank 999", seq(1000), 99.9, 999},
		{"p90.9 of 11000: rank 9999, though 90.9·11000/100 rounds up", seq(11000), 90.9, 9999},
		{"p2.2 of 1500: rank 33, though 2.2·1500/100 rounds up", seq(1500), 2.2, 33},
		{"p95 of 20: rank 19", seq(20), 95, 19},
		{"p1 of 1000: rank 10", seq(1000), 1, 10},
		{"p above 100 is the maximum", seq(4), 150, 4},
		{"repeated values", []time.Duration{1, 1, 1, 7}, 75, 1},
	} {
		want := tt.want * time.Millisecond
		if tt.name == "repeated values" {
			want = tt.want
		}
		if got := percentile(tt.sorted, tt.p); got != want {
			t.Errorf("%s: percentile(%d values, %v) = %v, want %v", tt.name, len(tt.sorted), tt.p, got, want)
		}
	}
}
