package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/internal/freeaddr"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestRunMoneyLogsAndMetrics runs the cashier against a Trustly of its own
// (the sandbox at a custom TRUSTLY_API_URL, with its own API password) with
// real-looking secrets everywhere, at debug, in both log formats: start-up, a
// player's deposit and its notifications, a bank account, a payout and its
// confirmation, the owner's sign-in (a wrong password, then the right one) and a
// probe. No line holds a secret: the notification token, the session and TOTP
// keys, the owner's and Trustly's passwords, a line of the merchant's private
// key, nor the password in DATABASE_URL (PostgreSQL when TEST_DATABASE_URL is
// set, with a password the server does not ask for; SQLite otherwise, with the
// password given nowhere). Nor does any hold the player's email, names, identity
// number or bank account number. In JSON, every line about an order or a notification
// names it: a line with a message_id, trustly_order_id or notification_id also
// has order_id or notification_id, and one whose message speaks of a
// notification has notification_id. /metrics is served on CASHIER_METRICS_ADDR
// only (404 on the public address), and its series move with the deposit and the
// payout: the notifications applied, Trustly's calls, the requests (the orders
// gauge is counted at most every 30 s, so the scrape before the deposit holds it).
func TestRunMoneyLogsAndMetrics(t *testing.T) {
	const (
		token   = "notify-Secret-0123456789abcdef"
		session = "session-Secret-0123456789abcdef0123456789"
		totp    = "totp-Secret-0123456789abcdef0123456789abcd"
		owner   = "owner-Secret-password"
		api     = "trustly-Secret-password"
		pg      = "pg-Secret-password"
	)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			merchant, err := trustly.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			keyPEM := trustly.PrivateKeyPEM(merchant)
			keyFile := filepath.Join(dir, "merchant.pem")
			writeFile(t, keyFile, keyPEM)
			secrets := []string{token, session, totp, owner, api, pg,
				// The player's personal data: email, names, identity number and bank account.
				"anna@example.com", "Anna", "Andersson", "19790131-1246", "197901311246", "7901311246", "12345678"}
			for _, line := range strings.Split(string(keyPEM), "\n") {
				if len(line) >= 32 && !strings.Contains(line, "PRIVATE KEY") {
					secrets = append(secrets, line[:32])
				}
			}

			// Trustly: the sandbox, its API behind its own password.
			sbSrv := httptest.NewUnstartedServer(nil)
			sbURL := "http://" + sbSrv.Listener.Addr().String()
			sb, err := sandbox.New(sandbox.Config{DataDir: filepath.Join(dir, "trustly"), Username: "merchant-api", Password: api,
				MerchantKey: &merchant.PublicKey, BaseURL: sbURL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				NotifyDelay: 20 * time.Millisecond, StepDelay: 10 * time.Millisecond, PollInterval: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer sb.Close()
			sbSrv.Config = sb.Server()
			sbSrv.Start()
			defer sbSrv.Close()
			sbCtx, stopSB := context.WithCancel(context.Background())
			defer stopSB()
			sb.Start(sbCtx)
			pub := filepath.Join(dir, "trustly-public.pem")
			writeFile(t, pub, trustly.PublicKeyPEM(sb.PublicKey()))

			addr := freeaddr.Addr(t)
			vars := map[string]string{"CASHIER_DATA": filepath.Join(dir, "data"), "CASHIER_ADDR": addr, "CASHIER_BASE_URL": "http://" + addr,
				"TRUSTLY_API_URL": sbURL + "/api/1", "TRUSTLY_USERNAME": "merchant-api", "TRUSTLY_PASSWORD": api,
				"TRUSTLY_PRIVATE_KEY": keyFile, "TRUSTLY_PUBLIC_KEY": pub, "TRUSTLY_SANDBOX_ATTRIBUTES": "SandboxAutoComplete=1",
				"TRUSTLY_NOTIFY_TOKEN": token, "CASHIER_SESSION_KEY": session, "CASHIER_TOTP_KEY": totp,
				"CASHIER_ADMIN_EMAIL": "owner@example.com", "CASHIER_ADMIN_PASSWORD": owner, "CASHIER_EXCLUSIONS_NONE": "SE",
				"CASHIER_LOG_LEVEL": "debug", "LOG_FORMAT": format, "CASHIER_METRICS_ADDR": freeaddr.Addr(t)}
			if os.Getenv("TEST_DATABASE_URL") != "" {
				u, err := url.Parse(storetest.PostgresDSN(t))
				if err != nil {
					t.Fatal(err)
				}
				u.User = url.UserPassword(u.User.Username(), pg)
				vars["DATABASE_URL"] = u.String()
			}
			var logs, out syncBuffer
			log, err := newLogger(env(vars), &logs)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, env(vars), &out, log) }()
			defer func() {
				cancel()
				<-done
			}()
			base := "http://" + addr
			waitListening(t, &logs, done)

			scrape := func(u string) (int, string) {
				t.Helper()
				resp, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			metricsURL := "http://" + vars["CASHIER_METRICS_ADDR"] + "/metrics"
			if status, body := scrape(base + "/metrics"); status != http.StatusNotFound || strings.Contains(body, "cashier_") {
				t.Errorf("/metrics on the cashier's public address: HTTP %d; want 404, served only on CASHIER_METRICS_ADDR", status)
			}
			credits := `cashier_notifications_seconds_count{method="credit",outcome="applied"} 1`
			deposits := `cashier_trustly_api_calls_seconds_count{error_code="ok",method="Deposit"} 1`
			if _, body := scrape(metricsURL); strings.Contains(body, credits) || strings.Contains(body, deposits) {
				t.Errorf("/metrics counts a deposit before any:\n%s", body)
			}

			player := newWebClient(t, base, "127.0.0.1")
			reg := url.Values{"email": {"anna@example.com"}, "password": {"correct horse battery"}, "first_name": {"Anna"},
				"last_name": {"Andersson"}, "country": {"SE"}, "person_id": {"19790131-1246"}}
			if status, loc, _ := player.do(http.MethodPost, "/register", reg, nil); status != 303 || loc != "/login" {
				t.Fatalf("register: %d to %q", status, loc)
			}
			if status, _, _ := player.do(http.MethodPost, "/login", url.Values{"email": {"anna@example.com"}, "password": {"correct horse battery"}}, nil); status != 303 {
				t.Fatalf("login: %d", status)
			}
			if status, _, _ := player.do(http.MethodPost, "/limits", url.Values{"day": {"1000"}}, nil); status != 303 {
				t.Fatalf("limits: %d", status)
			}
			if status, _, _ := player.do(http.MethodPost, "/deposit", url.Values{"amount": {"100"}}, nil); status != 303 {
				t.Fatalf("deposit: %d", status)
			}
			waitLog(t, &logs, "credited")
			_, _, page := player.do(http.MethodGet, "/bank-accounts/new", nil, nil)
			m := regexp.MustCompile(`name="token" value="(reg-[0-9a-f]+)"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no bank details form:\n%s", page)
			}
			if status, _, _ := player.do(http.MethodPost, "/bank-accounts/new", url.Values{"token": {m[1]}, "country": {"SE"},
				"bank": {"6112"}, "account": {"12345678"}}, nil); status != 303 {
				t.Fatalf("bank account: %d", status)
			}
			_, _, page = player.do(http.MethodGet, "/payout", nil, nil)
			m = regexp.MustCompile(`name="account" value="(\d+)"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no account on the payout page:\n%s", page)
			}
			if status, _, body := player.do(http.MethodPost, "/payout", url.Values{"amount": {"20"}, "account": {m[1]}}, nil); status != 303 {
				t.Fatalf("payout: %d\n%s", status, body)
			}
			waitLog(t, &logs, "payoutconfirmation")
			waitLog(t, &logs, "confirmed")
			_, body := scrape(metricsURL)
			for _, want := range []string{credits, deposits,
				`cashier_notifications_seconds_count{method="payoutconfirmation",outcome="applied"} 1`,
				`cashier_trustly_api_calls_seconds_count{error_code="ok",method="AccountPayout"} 1`,
				`cashier_http_requests_total{method="POST",route="/deposit",status="303"} 1`} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics after a deposit and a payout lacks %s\n%s", want, body)
				}
			}
			staff := newWebClient(t, base, "127.0.0.1")
			signIn := func(password string) int {
				_, _, page := staff.do(http.MethodGet, "/admin/login", nil, nil)
				m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
				if m == nil {
					t.Fatalf("no CSRF token on the back office's sign-in page:\n%s", page)
				}
				form := url.Values{"email": {"owner@example.com"}, "password": {password}, "csrf": {m[1]}}
				resp, err := staff.http.PostForm(base+"/admin/login", form)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			signIn("wrong-password-123")
			if status := signIn(owner); status != 303 {
				t.Fatalf("admin sign-in: %d", status)
			}
			player.do(http.MethodGet, "/readyz", nil, nil)
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run: %v", err)
			}
			done <- nil

			text := logs.String()
			for _, s := range secrets {
				if strings.Contains(text, s) || strings.Contains(out.String(), s) {
					t.Errorf("the log or banner shows the secret %q:\n%s", s, text)
				}
			}
			if format != "json" {
				return
			}
			for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Errorf("not a JSON line: %s", line)
					continue
				}
				_, order := rec["order_id"]
				_, note := rec["notification_id"]
				_, msgID := rec["message_id"]
				_, tOrder := rec["trustly_order_id"]
				msg, _ := rec["msg"].(string)
				if (msgID || tOrder) && !order && !note && rec["component"] == nil && !strings.HasPrefix(msg, "trustly ") {
					t.Errorf("a line about an order without its order_id: %s", line)
				}
				if strings.Contains(msg, "notification ") && !strings.Contains(msg, "URL") && !note {
					t.Errorf("a line about a notification without its notification_id: %s", line)
				}
			}
		})
	}
}
