//go:build ignore

// chart.go draws bench/results.json as an SVG: creates per second of the two references
// (statements one at a time, one round trip) and of saldo with group commit on and off
// against concurrency, and saldo's p99 latency against concurrency with the 25 ms target.
// Standard library only.
//
//	go run bench/chart.go < bench/results.json > bench/chart.svg
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"math"
	"os"
	"strconv"
	"strings"
)

type point struct {
	Concurrency int     `json:"concurrency"`
	Reference   float64 `json:"reference_tps_median"`
	RefOne      float64 `json:"reference_one_tps_median"`
	Saldo       float64 `json:"saldo_creates_per_s_median"`
	P99         float64 `json:"saldo_p99_ms"`
	Off         *struct {
		PerS float64 `json:"per_s_median"`
		P99  float64 `json:"p99_ms"`
	} `json:"group_commit_off"`
}

type results struct {
	Points []point `json:"points"`
	SQLite *point  `json:"sqlite"`
}

const (
	width, height = 960, 500
	panelW        = 400
	panelH        = 270
	top           = 60
	p99TargetMS   = 25
)

// series is one line of a panel.
type series struct {
	name, color string
	values      []float64 // one per concurrency; 0 draws no point
}

func main() {
	log.SetFlags(0)
	var res results
	if err := json.NewDecoder(os.Stdin).Decode(&res); err != nil {
		log.Fatalf("chart: read results: %v", err)
	}
	if len(res.Points) == 0 {
		log.Fatal("chart: no points")
	}
	labels := make([]string, len(res.Points))
	ref := make([]float64, len(res.Points))
	saldo := make([]float64, len(res.Points))
	p99 := make([]float64, len(res.Points))
	sqlite := make([]float64, len(res.Points))
	sqliteP99 := make([]float64, len(res.Points))
	refOne := make([]float64, len(res.Points))
	off := make([]float64, len(res.Points))
	offP99 := make([]float64, len(res.Points))
	for i, p := range res.Points {
		labels[i] = strconv.Itoa(p.Concurrency)
		ref[i], saldo[i], p99[i], refOne[i] = p.Reference, p.Saldo, p.P99, p.RefOne
		if p.Off != nil {
			off[i], offP99[i] = p.Off.PerS, p.Off.P99
		}
		if res.SQLite != nil && res.SQLite.Concurrency == p.Concurrency {
			sqlite[i], sqliteP99[i] = res.SQLite.Saldo, res.SQLite.P99
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	panel(&b, 70, "Account creates per second", "creates/s", labels, []series{
		{name: "reference (pgbench, same rows, a statement at a time)", color: "#1f77b4", values: ref},
		{name: "one-round-trip reference (pgbench, one statement)", color: "#17becf", values: refOne},
		{name: "saldo over HTTP (PostgreSQL), group commit", color: "#ff7f0e", values: saldo},
		{name: "saldo over HTTP (PostgreSQL), group commit off", color: "#8c564b", values: off},
		{name: "saldo, embedded SQLite", color: "#2ca02c", values: sqlite},
	}, 0)
	panel(&b, 70+panelW+90, "saldo p99 latency", "ms", labels, []series{
		{name: "saldo p99 (PostgreSQL), group commit", color: "#ff7f0e", values: p99},
		{name: "saldo p99 (PostgreSQL), group commit off", color: "#8c564b", values: offP99},
		{name: "saldo p99, embedded SQLite", color: "#2ca02c", values: sqliteP99},
	}, p99TargetMS)
	b.WriteString("</svg>\n")
	if _, err := os.Stdout.WriteString(b.String()); err != nil {
		log.Fatal(err)
	}
}

// panel draws one chart with its left edge at x0: axes, ticks, the series and a legend; a
// positive target draws a dashed horizontal line labelled as the target.
func panel(b *strings.Builder, x0 int, title, unit string, labels []string, lines []series, target float64) {
	f := newFrame(x0, len(labels), lines, target)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>`+"\n", x0, top-20, esc(title))
	f.grid(b)
	f.axes(b, unit, labels)
	if target > 0 {
		f.target(b, target, unit)
	}
	f.plot(b, lines)
}

// axisY is the y of every panel's x axis.
const axisY = top + panelH

// frame places a panel's values: the i-th concurrency at x(i), and value v at y(v) on a
// scale from 0 to yMax with a grid line every step.
type frame struct {
	x0, n      int // the panel's left edge and its number of concurrencies
	yMax, step float64
}

// newFrame scales a panel to a round number at or above its largest value and 1.2 times
// the target.
func newFrame(x0, n int, lines []series, target float64) frame {
	maxV := target * 1.2
	for _, s := range lines {
		for _, v := range s.values {
			maxV = math.Max(maxV, v)
		}
	}
	step := niceStep(maxV / 5)
	yMax := math.Ceil(maxV/step) * step
	if yMax == 0 {
		yMax, step = 1, 0.2
	}
	return frame{x0: x0, n: n, yMax: yMax, step: step}
}

func (f frame) x(i int) float64 {
	if f.n == 1 {
		return float64(f.x0) + panelW/2
	}
	return float64(f.x0) + 20 + float64(i)*(panelW-40)/float64(f.n-1)
}

func (f frame) y(v float64) float64 { return float64(axisY) - v/f.yMax*panelH }

// grid draws the horizontal grid lines and their values on the y axis.
func (f frame) grid(b *strings.Builder) {
	for v := 0.0; v <= f.yMax+f.step/2; v += f.step {
		y := f.y(v)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>`+"\n", f.x0, y, f.x0+panelW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", f.x0-6, y, strconv.FormatFloat(v, 'f', -1, 64))
	}
}

// axes draws both axes, the unit along the y axis, and a tick and label for each
// concurrency along the x axis.
func (f frame) axes(b *strings.Builder, unit string, labels []string) {
	x0 := f.x0
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", x0, top, x0, axisY)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", x0, axisY, x0+panelW, axisY)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" transform="rotate(-90 %d %d)">%s</text>`+"\n", x0-50, top+panelH/2, x0-50, top+panelH/2, esc(unit))
	for i, l := range labels {
		x := f.x(i)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/>`+"\n", x, axisY, x, axisY+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, axisY+18, esc(l))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">concurrency (requests in flight)</text>`+"\n", x0+panelW/2, axisY+36)
}

// target draws the dashed line at target, labelled with it.
func (f frame) target(b *strings.Builder, target float64, unit string) {
	y := f.y(target)
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#d62728" stroke-dasharray="6 4"/>`+"\n", f.x0, y, f.x0+panelW, y)
	fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" fill="#d62728">target %s %s</text>`+"\n", f.x0+panelW-4, y-5, strconv.FormatFloat(target, 'f', -1, 64), esc(unit))
}

// plot draws each series that has a point: a line through its points (if more than
// one), a dot on each, and its entry in the legend under the plot.
func (f frame) plot(b *strings.Builder, lines []series) {
	legendY := axisY + 58
	for _, s := range lines {
		var pts []string
		for i, v := range s.values {
			if v > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", f.x(i), f.y(v)))
			}
		}
		if len(pts) == 0 {
			continue
		}
		if len(pts) > 1 {
			fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), s.color)
		}
		for _, p := range pts {
			x, y, _ := strings.Cut(p, ",")
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`+"\n", x, y, s.color)
		}
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/>`+"\n", f.x0, legendY-9, s.color)
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", f.x0+16, legendY, esc(s.name))
		legendY += 17
	}
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
