package handlers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// TestBrowserQuickPickTypedInLanguage: a quick pick fills the amount field as the
// page's language types an amount, "100,00" but in English, as "Try again" and
// the limits form do; it filled "100.00" on every page, beside hints written
// "10,00 kr". Sent without JavaScript it still sends "100.00", and a filled
// "100,00" starts a deposit of 100.
func TestBrowserQuickPickTypedInLanguage(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("tove@example.com")...)
	for _, l := range lang.Languages {
		want := "100,00"
		if l.Code == "en" {
			want = "100.00"
		}
		b.do("choose "+l.Code, chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("language")),
			chromedp.SetValue(id("language"), l.Code))
		b.waitText("deposit-submit", lang.For(l.Code, nil).T("deposit.submit"))
		b.do("pick 100", chromedp.Click(id("pick-100.00")))
		if got, err := chromedp.Run(b.ctx, chromedp.Value(id("amount"))); err != nil || got != want {
			t.Errorf("%s: the 100 quick pick filled in %q (%v); want %q", l.Code, got, err, want)
		}
	}
	b.do("deposit the amount filled", chromedp.Click(id("deposit-submit")))
	b.waitLocation("/deposit/checkout")
	_, query, _ := strings.Cut(b.location(), "?")
	q, _ := url.ParseQuery(query)
	if o := lv.order(q.Get("order")); o.Amount != (models.Money{Minor: 10000, Currency: "SEK"}) {
		t.Errorf("the filled 100,00 started a deposit of %s; want 100.00 SEK", o.Amount)
	}
}
