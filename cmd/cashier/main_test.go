package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/internal/freeaddr"
	"golang.org/x/crypto/bcrypt"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRunEmbeddedSandbox starts the cashier exactly as `make run` does, with nothing
// configured but a data dir and ports, and checks that both the cashier and the
// embedded sandbox answer, then that it shuts down cleanly.
func TestRunEmbeddedSandbox(t *testing.T) {
	addr, sbAddr := freeaddr.Addr(t), freeaddr.Addr(t)
	// No CASHIER_BASE_URL: the default must agree with the listen address.
	data := t.TempDir()
	vars := map[string]string{"CASHIER_DATA": data, "CASHIER_ADDR": addr,
		"SANDBOX_ADDR": sbAddr, "CASHIER_ADMIN_PASSWORD": "admin-password-1"}
	ctx, cancel := context.WithCancel(context.Background())
	out, logged := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env(vars), out, slog.New(slog.NewTextHandler(logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}()

	get := func(url string) (int, string) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get(url)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", url, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if code, body := get("http://" + addr + "/login"); code != 200 || !strings.Contains(body, "csrf") {
		t.Errorf("login page: got %d", code)
	}
	if code, body := get("http://" + sbAddr + "/sandbox/public-key.pem"); code != 200 || !strings.Contains(body, "PUBLIC KEY") {
		t.Errorf("sandbox key: got %d %q", code, body)
	}
	if !strings.Contains(out.String(), "http://"+addr+"/register") {
		t.Errorf("start-up text does not tell a newcomer where to go: %q", out.String())
	}
	// The banner gives the notification URL with its secret token masked and
	// names the file the whole token is read from, and says where the back
	// office's owner signs in. The token itself is in neither the banner nor
	// the log.
	raw, err := os.ReadFile(data + "/notify-token")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(raw))
	for _, want := range []string{"http://" + addr + "/trustly/notify/" + token[:4] + "…",
		data + "/notify-token", "http://" + addr + "/admin/login, owner admin@example.com"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start-up text lacks %q: %q", want, out.String())
		}
	}
	if strings.Contains(out.String(), token) || strings.Contains(logged.String(), token) {
		t.Errorf("the notify token is printed or logged in full:\n%s\n%s", out.String(), logged.String())
	}
	// Another name for the same server is sent to the base URL, where the
	// session cookie lives; Trustly's notifications are served on any host.
	_, port, _ := net.SplitHostPort(addr)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get("http://localhost:" + port + "/login?next=%2Fcashier")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "http://"+addr+"/login?next=%2Fcashier" {
		t.Errorf("GET on localhost: %d to %q; want 302 to the base URL", resp.StatusCode, loc)
	}
	resp, err = noFollow.Post("http://localhost:"+port+"/trustly/notify/wrong-token", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		t.Errorf("a notification on localhost was redirected (%d)", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if strings.Contains(logged.String(), token) {
			t.Errorf("the notify token is logged in full:\n%s", logged.String())
		}
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop after its context ended")
	}
}

// startRun runs the cashier with vars (plus a data dir and free ports; the
// sandbox's unless vars has SANDBOX_ADDR) until the test ends and returns its base
// URL once it answers.
func startRun(t *testing.T, vars map[string]string) string {
	t.Helper()
	addr := freeaddr.Addr(t)
	vars["CASHIER_DATA"], vars["CASHIER_ADDR"], vars["CASHIER_BASE_URL"] = t.TempDir(), addr, "http://"+addr
	if vars["SANDBOX_ADDR"] == "" {
		vars["SANDBOX_ADDR"] = freeaddr.Addr(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, env(vars), io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("run did not stop after its context ended")
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/login"); err == nil {
			resp.Body.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cashier does not answer at %s", addr)
		}
	}
}

// webClient is a browser without JavaScript connecting from the address ip.
type webClient struct {
	t    *testing.T
	http *http.Client
	base string
}

func newWebClient(t *testing.T, base, ip string) *webClient {
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &webClient{t: t, base: base, http: &http.Client{Jar: jar, Transport: &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns the status, the Location and the body.
func (c *webClient) do(method, path string, form url.Values, header map[string]string) (int, string, string) {
	c.t.Helper()
	if form != nil {
		if len(c.http.Jar.Cookies(mustURL(c.t, c.base))) == 0 {
			c.do(http.MethodGet, "/login", nil, nil)
		}
		for _, ck := range c.http.Jar.Cookies(mustURL(c.t, c.base)) {
			if strings.TrimPrefix(ck.Name, "__Host-") == "cashier_csrf" {
				form.Set("csrf", ck.Value)
			}
		}
	}
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestRunWebSettings: CASHIER_TRUSTED_PROXIES and CASHIER_LOGIN_LIMIT reach the
// limiter (clients behind the trusted proxy get a bucket each),
// CASHIER_LOGIN_LIMIT_PER_ACCOUNT the count of an account's failed sign-ins over
// every address (the fourth client's first try is refused), and
// CASHIER_SHOPPER_STATEMENT reaches Trustly's Deposit (the sandbox's checkout shows it).
func TestRunWebSettings(t *testing.T) {
	base := startRun(t, map[string]string{"CASHIER_TRUSTED_PROXIES": "127.0.0.3, 10.0.0.0/8",
		"CASHIER_LOGIN_LIMIT": "2", "CASHIER_LOGIN_LIMIT_PER_ACCOUNT": "3", "CASHIER_SHOPPER_STATEMENT": "Casino Example"})

	proxy := newWebClient(t, base, "127.0.0.3")
	wrong := func(client string) int {
		status, _, _ := proxy.do(http.MethodPost, "/login", url.Values{"email": {"a@example.com"}, "password": {"wrong password"}},
			map[string]string{"X-Forwarded-For": "198.51.100.9, " + client})
		return status
	}
	for _, tt := range []struct {
		client string
		want   int
	}{{"203.0.113.1", 422}, {"203.0.113.1", 422}, {"203.0.113.2", 422}, {"203.0.113.1", 429}, {"203.0.113.3", 429}} {
		if got := wrong(tt.client); got != tt.want {
			t.Errorf("login from %s through the proxy: status %d; want %d", tt.client, got, tt.want)
		}
	}

	checkout, _ := startDeposit(t, base)
	resp, err := http.Get(checkout)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "<strong>Casino Example</strong>") {
		t.Errorf("the sandbox's checkout does not show the shopper statement:\n%s", body)
	}
}

// startDeposit registers a Swedish player at the cashier at base, signs them in,
// sets the deposit limit Sweden asks for first and starts a deposit of 100. It
// returns the checkout URL the page frames and the Content-Security-Policy it came with.
func startDeposit(t *testing.T, base string) (checkout, csp string) {
	t.Helper()
	player := newWebClient(t, base, "127.0.0.1")
	reg := url.Values{"email": {"anna@example.com"}, "password": {"correct horse battery"}, "first_name": {"Anna"},
		"last_name": {"Andersson"}, "country": {"SE"}, "person_id": {"19790131-1246"}} // Spelpaus needs it (the sandbox's fake)
	if status, loc, _ := player.do(http.MethodPost, "/register", reg, nil); status != 303 || loc != "/login" {
		t.Fatalf("register: %d to %q", status, loc)
	}
	login := url.Values{"email": {"anna@example.com"}, "password": {"correct horse battery"}}
	if status, loc, _ := player.do(http.MethodPost, "/login", login, nil); status != 303 || loc != "/cashier" {
		t.Fatalf("login: %d to %q", status, loc)
	}
	if status, loc, _ := player.do(http.MethodPost, "/limits", url.Values{"day": {"1000"}}, nil); status != 303 || loc != "/limits" {
		t.Fatalf("limits: %d to %q", status, loc)
	}
	status, loc, _ := player.do(http.MethodPost, "/deposit", url.Values{"amount": {"100"}}, nil)
	if status != 303 {
		t.Fatalf("deposit: status %d", status)
	}
	resp, err := player.http.Get(base + loc)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	_, rest, ok := strings.Cut(string(page), `data-checkout-url="`)
	checkout, _, _ = strings.Cut(rest, `"`)
	if !ok {
		t.Fatalf("no checkout URL on %s:\n%s", loc, page)
	}
	return html.UnescapeString(checkout), resp.Header.Get("Content-Security-Policy")
}

// TestRunSandboxNotLoopback: the embedded sandbox refuses an address other
// machines reach unless SANDBOX_PUBLIC=1 comes with SANDBOX_ADMIN_PASSWORD.
func TestRunSandboxNotLoopback(t *testing.T) {
	for _, extra := range []map[string]string{{}, {"SANDBOX_PUBLIC": "1"}, {"SANDBOX_ADMIN_PASSWORD": "pages-password"}} {
		addr, sbAddr := freeaddr.Addr(t), freeaddr.Addr(t)
		_, port, _ := net.SplitHostPort(sbAddr)
		vars := map[string]string{"CASHIER_DATA": t.TempDir(), "CASHIER_ADDR": addr, "CASHIER_BASE_URL": "http://" + addr,
			"SANDBOX_ADDR": "0.0.0.0:" + port, "SANDBOX_BASE_URL": "http://" + sbAddr}
		for k, v := range extra {
			vars[k] = v
		}
		// A run that wrongly starts stops when ctx ends, and returns nil.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := run(ctx, env(vars), &syncBuffer{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "SANDBOX_PUBLIC=1 and SANDBOX_ADMIN_PASSWORD") {
			t.Errorf("run with SANDBOX_ADDR 0.0.0.0 and %v: %v; want a refusal", extra, err)
		}
	}
}

// TestStaffAdd: `cashier staff add` creates a staff account with the password from
// stdin or a file, never from a flag, and it can sign in; a bad role or a missing
// password is refused.
func TestStaffAdd(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CASHIER_DATA": dir}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	out := &bytes.Buffer{}
	if err := runStaff(ctx, []string{"add", "--email", "Ops@Example.com", "--role", "operator"}, env(vars),
		strings.NewReader("operator password 1\n"), out, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ops@example.com as operator") {
		t.Errorf("output %q", out.String())
	}
	file := dir + "/pw"
	if err := os.WriteFile(file, []byte("finance password 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runStaff(ctx, []string{"add", "--email", "fin@example.com", "--role", "finance", "--password-file", file},
		env(vars), strings.NewReader(""), out, log); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args  []string
		stdin string
	}{
		{[]string{"add", "--email", "x@example.com", "--role", "admin"}, "some password 1\n"},
		{[]string{"add", "--email", "x@example.com", "--role", "viewer"}, ""},
		{[]string{"add", "--email", "x@example.com", "--role", "viewer", "--password", "some password 1"}, ""},
		{[]string{"add", "--email", "ops@example.com", "--role", "viewer"}, "some password 1\n"},
		{[]string{"remove"}, ""},
	} {
		if err := runStaff(ctx, tt.args, env(vars), strings.NewReader(tt.stdin), out, log); err == nil {
			t.Errorf("staff %v accepted", tt.args)
		}
	}
	db, err := store.Open(dir+"/cashier.db", log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	var list []staff.Member
	db.Order("email").Find(&list)
	if len(list) != 2 || list[0].Email != "fin@example.com" || list[0].Role != staff.RoleFinance ||
		list[1].Email != "ops@example.com" || list[1].Role != staff.RoleOperator ||
		bcrypt.CompareHashAndPassword([]byte(list[1].PasswordHash), []byte("operator password 1")) != nil {
		t.Errorf("staff accounts %+v", list)
	}
}

// TestStaffReset2FA: `cashier staff reset-2fa` removes the second factor of the
// account it names, sealed with the configured key, ends its sessions and audits it
// as the system's; a second run changes nothing, and an unknown email is an error.
func TestStaffReset2FA(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CASHIER_DATA": dir}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	out := &bytes.Buffer{}
	if err := runStaff(ctx, []string{"add", "--email", "owner@example.com", "--role", "owner"}, env(vars),
		strings.NewReader("owner password 1\n"), out, log); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(env(vars), quiet)
	if err != nil {
		t.Fatal(err)
	}
	box, err := staff.NewSecretBox(cfg.TOTPKey)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dir+"/cashier.db", log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	var m staff.Member
	db.Where("email = ?", "owner@example.com").Take(&m)
	sealed, err := box.Seal(m.ID, "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	db.Model(&m).Updates(map[string]any{"totp_secret": sealed, "totp_enabled": true, "totp_last_step": 5})

	out.Reset()
	if err := runStaff(ctx, []string{"reset-2fa", "--email", " Owner@Example.com "}, env(vars), strings.NewReader(""), out, log); err != nil {
		t.Fatal(err)
	}
	var after staff.Member
	db.Where("id = ?", m.ID).Take(&after)
	var audit []staff.Audit
	db.Where("event = ?", staff.EventTOTPReset).Find(&audit)
	if after.TOTPEnabled || after.TOTPSecret != "" || after.TOTPLastStep != 0 || after.SessionVersion != m.SessionVersion+1 ||
		len(audit) != 1 || audit[0].StaffID != 0 || audit[0].SubjectID != m.ID || !strings.Contains(out.String(), "Removed the second factor of owner@example.com") {
		t.Errorf("after reset-2fa: %+v, audit %+v, output %q; want no second factor, sessions ended, one audit row by the system", after, audit, out.String())
	}
	out.Reset()
	if err := runStaff(ctx, []string{"reset-2fa", "--email", "owner@example.com"}, env(vars), strings.NewReader(""), out, log); err != nil ||
		!strings.Contains(out.String(), "has no second factor") {
		t.Errorf("a second reset-2fa: %v, %q; want nothing changed", err, out.String())
	}
	for _, args := range [][]string{{"reset-2fa", "--email", "nobody@example.com"}, {"reset-2fa"},
		{"reset-2fa", "--email", "owner@example.com", "--role", "owner"}} {
		if err := runStaff(ctx, args, env(vars), strings.NewReader(""), out, log); err == nil {
			t.Errorf("staff %v accepted", args)
		}
	}
	var resets int64
	if db.Model(&staff.Audit{}).Where("event = ?", staff.EventTOTPReset).Count(&resets); resets != 1 {
		t.Errorf("%d reset audit rows after the runs that changed nothing; want 1", resets)
	}
}

// TestNotifyURLLine: the banner's notification URL shows only the first four
// characters of the token and says where the whole of it is read from.
func TestNotifyURLLine(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		vars map[string]string
		from string
	}{
		{map[string]string{"TRUSTLY_NOTIFY_TOKEN": token}, "TRUSTLY_NOTIFY_TOKEN"},
		{map[string]string{"TRUSTLY_NOTIFY_TOKEN_FILE": "/run/secrets/notify"}, "/run/secrets/notify"},
		{map[string]string{}, "notify-token"},
	} {
		dir := t.TempDir()
		if f := tt.vars["TRUSTLY_NOTIFY_TOKEN_FILE"]; f != "" {
			f = dir + "/notify"
			if err := os.WriteFile(f, []byte(token+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			tt.vars["TRUSTLY_NOTIFY_TOKEN_FILE"], tt.from = f, f
		} else if len(tt.vars) == 0 {
			if err := os.WriteFile(dir+"/notify-token", []byte(token+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			tt.from = dir + "/notify-token"
		}
		tt.vars["CASHIER_DATA"] = dir
		cfg, err := loadConfig(env(tt.vars), quiet)
		if err != nil {
			t.Fatal(err)
		}
		line := notifyURLLine(cfg)
		if !strings.Contains(line, cfg.BaseURL+"/trustly/notify/0123…") || !strings.Contains(line, tt.from) || strings.Contains(line, token) {
			t.Errorf("%v: %q; want the URL with 0123… and %q, never the token", tt.vars, line, tt.from)
		}
	}
}
