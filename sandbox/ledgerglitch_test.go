package sandbox_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestLedgerGlitch: with the glitch on (the orders page's form, or
// SetLedgerGlitch), AccountLedger leaves out the first entry naming an order and
// lists the last one twice; the opening balance, which names none, stays. Off, it
// lists the books as they are again.
func TestLedgerGlitch(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)
	acc, err := client.RegisterAccount(ctx, trustly.RegisterAccountParams{EndUserID: "player-9", ClearingHouse: "SWEDEN",
		BankNumber: "6112", AccountNumber: "69706212", Firstname: "Åsa", Lastname: "Öberg"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, amount := range []string{"10.00", "20.00", "30.00"} {
		id := uuid.NewString()
		ids = append(ids, id)
		if _, err := client.AccountPayout(ctx, trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "player-9",
			MessageID: id, AccountID: acc.AccountID, Amount: amount, Currency: "SEK"}); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Now().UTC()
	ledger := func() []string {
		t.Helper()
		rows, err := client.AccountLedger(ctx, trustly.AccountLedgerParams{FromDate: day.AddDate(0, 0, -1).Format(time.DateOnly),
			ToDate: day.AddDate(0, 0, 1).Format(time.DateOnly), Currency: "SEK"})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.MessageID+" "+r.Amount)
		}
		return out
	}
	const z = "000000000000000000" // AccountLedger's twenty decimals
	faithful := []string{" 1000000.00" + z, ids[0] + " -10.00" + z, ids[1] + " -20.00" + z, ids[2] + " -30.00" + z}
	glitched := []string{" 1000000.00" + z, ids[1] + " -20.00" + z, ids[2] + " -30.00" + z, ids[2] + " -30.00" + z}
	post := func(value string) {
		t.Helper()
		resp, err := noRedirect.PostForm(env.URL+"/sandbox/ledger-glitch", url.Values{"glitch": {value}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("ledger glitch form %q: HTTP %d; want 303", value, resp.StatusCode)
		}
	}
	for _, step := range []struct {
		set  func()
		want []string
	}{
		{func() {}, faithful},
		{func() { post("on") }, glitched},
		{func() { post("off") }, faithful},
		{func() { env.Sandbox.SetLedgerGlitch(true) }, glitched},
	} {
		step.set()
		if got := ledger(); strings.Join(got, "|") != strings.Join(step.want, "|") {
			t.Errorf("AccountLedger (glitch %t) %q; want %q", env.Sandbox.LedgerGlitch(), got, step.want)
		}
	}
	if code, _, body := get(t, env, "/sandbox/", ""); code != http.StatusOK || !strings.Contains(body, `<option value="on" selected>`) {
		t.Errorf("orders page does not show the glitch on: HTTP %d", code)
	}
}
