package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/saldo-mx/saldo/client"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// browserPath finds Chromium on PATH. Without one the test skips, unless
// SALDO_REQUIRE_BROWSER=1 (CI sets it), which makes the skip a failure.
func browserPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SALDO_REQUIRE_BROWSER") == "1" {
		tb.Fatal("SALDO_REQUIRE_BROWSER=1 but neither chromium nor chromium-browser is on PATH")
	}
	tb.Skip("no chromium or chromium-browser on PATH: skipping the console's browser test (apt-get install chromium to run it)")
	return ""
}

// screenshotDir is where the browser test saves its screenshots: SALDO_CONSOLE_SCREENSHOTS,
// or else the test's artifact directory, kept under -outputdir with go test -artifacts.
func screenshotDir(tb testing.TB) string {
	dir := os.Getenv("SALDO_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return tb.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// An operator, in a real headless Chromium against saldo serve, logs in, finds a customer,
// opens it, blocks it (and the API then refuses the customer's token), looks at its parent's
// chart and logs out.
func TestConsoleInABrowser(t *testing.T) {
	browser := browserPath(t)
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	r := start(t, env)
	token := tokenRE.FindString(r.stdout.String())
	ctx := context.Background()
	api := partner(r.addr, token)
	owner, err := api.CreateAccount(ctx, customerRequest(1))
	if err != nil {
		t.Fatalf("create the owner: %v", err)
	}
	employee, err := api.CreateAccount(ctx, customerRequest(2))
	if err != nil {
		t.Fatalf("create the employee: %v", err)
	}
	for _, line := range []int64{3_000_000, 1_500_000} {
		_, err := api.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: owner.CompositeBalance.Parent.ID,
			CreditLine: line, CustomerID: employee.ID})
		if err != nil {
			t.Fatalf("create a child: %v", err)
		}
	}
	out, code := cli(t, env, "operator", "create", "--email", "ana@example.com", "--role", "admin")
	var op struct{ Password string }
	if code != 0 || json.Unmarshal([]byte(out), &op) != nil || op.Password == "" {
		t.Fatalf("operator create: exit %d, %q", code, out)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 1000))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	// The browser starts with the first action, outside the steps' deadlines, so that a
	// step's deadline does not end the browser with it.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}

	dir := screenshotDir(t)
	t.Logf("screenshots in %s", dir)
	save := func(name string, shoot chromedp.Action[[]byte]) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := shoot(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
		})
	}
	shot := func(name string) chromedp.Action[chromedp.Void] { return save(name, chromedp.FullScreenshot(100)) }
	text := func(sel string, into *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			*into, err = chromedp.TextContent(sel)(ctx, tg)
			return err
		})
	}
	// follow runs actions of which one leaves the page (a link, a form), and waits until
	// the next page has loaded: a query sent sooner could look at the page being left.
	follow := func(actions ...chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.RunResponse(ctx, actions...)
			return err
		})
	}
	base := "http://" + r.addr
	var status, chart, after string
	steps := []struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
		then    func()
	}{
		{"log in", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(base + "/console/"),
			chromedp.WaitVisible(`form.login`),
			shot("1-login"),
			chromedp.SendKeys(`input[name=email]`, "ana@example.com"),
			chromedp.SendKeys(`input[name=password]`, op.Password),
			follow(chromedp.Click(`form.login button`)),
			chromedp.WaitVisible(`svg.chart`),
			shot("2-overview"),
		}, nil},
		{"search the customer", []chromedp.Action[chromedp.Void]{
			follow(chromedp.Click(`nav a[href="/console/customers"]`)),
			chromedp.WaitVisible(`input[name=q]`),
			chromedp.SendKeys(`input[name=q]`, customerRequest(1).Email),
			follow(chromedp.Click(`form.search button`)),
			chromedp.WaitVisible(`table.results`),
			shot("3-search"),
		}, nil},
		{"open it", []chromedp.Action[chromedp.Void]{
			follow(chromedp.Click(`table.results tbody a`)),
			chromedp.WaitVisible(`#customer-id`),
			shot("4-customer"),
		}, nil},
		{"block it", []chromedp.Action[chromedp.Void]{
			follow(chromedp.Click(`#block`)),
			chromedp.WaitVisible(`#unblock`),
			text(`#status`, &status),
			shot("5-blocked"),
		}, func() {
			if status != "blocked" {
				t.Errorf("status after blocking: %q", status)
			}
			_, err := api.GetAccountAsCustomer(ctx, owner.ID, owner.OAuthToken)
			wantAPIError(t, "the blocked customer's token", err, 403, client.CodeForbidden, "account:blocked")
		}},
		{"see its parent's chart", []chromedp.Action[chromedp.Void]{
			chromedp.ScrollIntoView(`#composite`),
			text(`#composite svg`, &chart),
			save("6-parent-chart", chromedp.Screenshot(`#composite`)),
		}, nil},
		{"log out", []chromedp.Action[chromedp.Void]{
			follow(chromedp.Click(`#logout`)),
			chromedp.WaitVisible(`form.login`),
			shot("7-logged-out"),
			chromedp.Navigate(base + "/console/customers"),
			chromedp.WaitVisible(`form.login`),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				after, err = chromedp.Location()(ctx, tg)
				return err
			}),
		}, nil},
	}
	for _, s := range steps {
		// Each step has a minute, many times what it takes alone (under 2 s), for a loaded machine.
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		begun := time.Now()
		err := chromedp.Do(ctx, s.actions...)
		cancel()
		if err != nil {
			t.Fatalf("%s, after %v: %v; %s", s.name, time.Since(begun).Round(time.Millisecond), err, pageState(tab, dir, s.name))
		}
		t.Logf("%s: %v", s.name, time.Since(begun).Round(time.Millisecond))
		if s.then != nil {
			s.then()
		}
	}
	if !strings.Contains(chart, "parent line") || len(regexp.MustCompile(`child \d+: `).FindAllString(chart, -1)) != 2 {
		t.Errorf("the parent's chart reads %q, want the parent line and two children", chart)
	}
	if !strings.HasSuffix(after, "/console/login") {
		t.Errorf("after logging out, the customers page went to %s, want the login page", after)
	}
}

// pageState tells where the browser is and what its page says, and saves a screenshot of it,
// for the message of a failed step.
func pageState(tab context.Context, dir, step string) string {
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	var url, body string
	var png []byte
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
		if url, err = chromedp.Location()(ctx, tg); err != nil {
			return err
		}
		if body, err = chromedp.TextContent(`body`)(ctx, tg); err != nil {
			return err
		}
		png, err = chromedp.FullScreenshot(100)(ctx, tg)
		return err
	}))
	if err != nil {
		return fmt.Sprintf("the page could not be read: %v", err)
	}
	name := filepath.Join(dir, "failed-"+strings.ReplaceAll(step, " ", "-")+".png")
	if err := os.WriteFile(name, png, 0o644); err != nil {
		name = err.Error()
	}
	return fmt.Sprintf("the page is %s (screenshot %s), reading %.400q", url, name, strings.Join(strings.Fields(body), " "))
}
