package views

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/trustly-cashier/cashier/lang"
)

// cashierPages are cashier pages with markup in every field a player or the
// cashier fills: with a problem on the amount, limits, a break, quick picks and
// money underway, and with none of them, in a withdraw-only session.
func cashierPages() map[string]CashierPage {
	picks := []QuickPick{{"100.00", "100,00", "100 kr"}, {"250.00", "250,00", "250 kr"}, {`5"0<0>`, "5'0&0", "<b>500</b>"}}
	full := CashierPage{
		Chrome: Chrome{L: lang.For("sv", nil), CSRF: `tok"<&>'`, SignedIn: true, Current: "/cashier", Here: "/cashier?amount=<1>"},
		Name:   "Ö'Brien <b>Söner</b>", Balance: "1\u00a0250,00 kr", Blocked: "Below <zero>", OnBreak: "Break & rest",
		Deposit: DepositForm{Amount: `1"0<x>`, Currency: "SEK", Min: "10.00", Max: `1"000.00`, Limits: "10 < 1 000",
			Range: `From "10" to <1000>`, QuickPicks: picks, Problem: "Enter <an> amount", Field: "amount", Disabled: true,
			Token: `dep-"tok"`, LimitNote: "Leaves <400>", LimitNotice: "Used & 80 %"},
		BankCheck: "Bank's <check>",
		Underway:  []UnderwayLine{{"Deposit <100>", "/deposit/success?order=dep-1&x=<2>"}, {"Payout", "/payouts/7"}},
	}
	plain := full
	plain.Chrome.L = nil
	plain.Blocked, plain.OnBreak, plain.BankCheck, plain.Underway = "", "", "", nil
	plain.Deposit = DepositForm{Currency: "EUR", Min: "10.00", Max: "5000.00", Token: "dep-2"}
	withdrawOnly := full
	withdrawOnly.WithdrawOnly = "Spelpaus <excludes> you"
	typical := CashierPage{
		Chrome: Chrome{L: lang.For("sv", nil), CSRF: "b7Zc2kQ0n1v9XyT4pL8sR3mW6hJ5dF2gA1eC0uI9oYk", SignedIn: true, Current: "/cashier", Here: "/cashier"},
		Name:   "Anna Andersson", Balance: "1\u00a0250,00\u00a0kr",
		Deposit: DepositForm{Currency: "SEK", Min: "100.00", Max: "10000.00", Limits: "100,00 kr till 10\u00a0000,00 kr",
			Range: "Ange ett belopp från 100,00 kr till 10\u00a0000,00 kr.", Token: "dep-5f0c3a9e2b7d4c1a8e6f",
			QuickPicks: []QuickPick{{"100.00", "100,00", "100 kr"}, {"500.00", "500,00", "500 kr"}, {"1000.00", "1000,00", "1\u00a0000 kr"}}},
		BankCheck: "Vi frågar banken vem du är.",
		Underway:  []UnderwayLine{{"En insättning på 100,00 kr väntar på banken.", "/deposit/success?order=dep-1"}},
	}
	return map[string]CashierPage{"full": full, "plain": plain, "withdraw-only": withdrawOnly, "typical": typical}
}

// staticVersion is a static file's version in its URL (static.Path's ?v=…, a
// hash of the file), which changes with every edit of the stylesheet or a script.
var staticVersion = regexp.MustCompile(`\?v=[0-9a-f]+`)

// TestCashierPageMarkup: the cashier page's markup, byte for byte, is the one
// kept in testdata (written with UPDATE_GOLDEN=1), so that rendering it with fewer
// allocations shows what it showed. The static files' versions are left out of
// the comparison (?v=…), so that a change of the stylesheet is not one of the page.
func TestCashierPageMarkup(t *testing.T) {
	update := os.Getenv("UPDATE_GOLDEN") != ""
	for name, p := range cashierPages() {
		var b bytes.Buffer
		if err := Cashier(p).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		got := staticVersion.ReplaceAll(b.Bytes(), []byte("?v=…"))
		b.Reset()
		b.Write(got)
		file := filepath.Join("testdata", "cashier_"+name+".html")
		if update {
			if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s: got\n%s\nwant (%s)\n%s", name, b.Bytes(), file, want)
		}
	}
}

// TestCashierPageAllocs: rendering a typical cashier page (nothing in it to
// escape), which every signed-in player's visit does, allocates at most
// cashierPageAllocs times.
func TestCashierPageAllocs(t *testing.T) {
	const cashierPageAllocs = 25
	p := cashierPages()["typical"]
	var b bytes.Buffer
	b.Grow(64 << 10)
	got := testing.AllocsPerRun(50, func() {
		b.Reset()
		if err := Cashier(p).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
	})
	if got > cashierPageAllocs {
		t.Errorf("rendering the cashier page: %.0f allocations; want at most %d", got, cashierPageAllocs)
	}
}
