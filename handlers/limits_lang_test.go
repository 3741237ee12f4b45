package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// TestLimitsInEveryLanguage: the deposit limits page, its problems and its saved
// message, and the cashier's refusal of a deposit above a limit, speak the
// player's language with amounts written the language's way.
func TestLimitsInEveryLanguage(t *testing.T) {
	ta := newTestApp(t)
	var english string
	for _, l := range lang.Languages {
		t.Run(l.Code, func(t *testing.T) {
			cl, player := ta.signedIn(l.Code + "@example.com")
			cl.submit("/language", url.Values{"lang": {l.Code}, "back": {"/limits"}}).wantRedirect("/limits")
			tr := lang.For(l.Code, lang.Zone(player.Country))
			norm := func(s string) string { return strings.Join(strings.Fields(s), " ") } // as the page's text reads

			r := cl.submit("/limits", url.Values{"day": {"abc"}}).wantStatus(http.StatusUnprocessableEntity)
			if got, want := r.text("problem"), tr.T("limits.unreadable"); got != want {
				t.Errorf("unreadable limit: %q; want %q", got, want)
			}
			cl.submit("/limits", url.Values{"day": {"500"}}).wantRedirect("/limits")
			r = cl.get("/limits").wantStatus(http.StatusOK)
			if got, want := r.text("flash"), tr.T("limits.saved"); !strings.Contains(got, want) {
				t.Errorf("saved: %q; want %q", got, want)
			}
			limit := models.Money{Minor: 50000, Currency: player.Currency}
			if got, want := r.text("limit-day-limit"), norm(tr.Money(limit)); got != want {
				t.Errorf("daily limit shown as %q; want %q", got, want)
			}
			// The field is filled as the player types an amount: "500,00" but in English.
			if got, want := r.value("limit-input-day"), map[bool]string{true: "500.00", false: "500,00"}[l.Code == "en"]; got != want {
				t.Errorf("daily limit field filled with %q; want %q", got, want)
			}
			if got, want := r.text("limit-day"), tr.T("limits.label.day"); !strings.HasPrefix(got, want) {
				t.Errorf("daily limit row %q; want it to start with %q", got, want)
			}
			rules := r.text("limits-rules")
			if l.Code == lang.Default {
				english = rules
			} else if rules == english || rules == "" {
				t.Errorf("rules in %s: %q", l.Code, rules)
			}

			st, err := ta.Svc.DepositLimits(t.Context(), player)
			if err != nil {
				t.Fatal(err)
			}
			above := models.Money{Minor: st.Remaining.Minor + 100, Currency: player.Currency}
			why := st.RefusalText(above)
			if why.ID == "" {
				t.Fatalf("no refusal for %v with %v left", above, st.Remaining)
			}
			r = cl.submit("/deposit", url.Values{"amount": {above.String()}}).wantStatus(http.StatusUnprocessableEntity)
			if got, want := r.text("problem"), norm(tr.T(why.ID, why.Args...)); got != want {
				t.Errorf("deposit above the limit: %q; want %q", got, want)
			}
		})
	}
}

// TestLimitsRulesNameTheZone: the limits page names the market's time zone as
// people say it ("svensk tid", "Swedish time"), in every language, not as the zone
// database does ("Europe/Stockholm"); a zone an operator configured that the
// message files do not name is given by its IANA name.
func TestLimitsRulesNameTheZone(t *testing.T) {
	ta := newTestApp(t, withLimitPolicies)
	for _, l := range lang.Languages {
		cl, player := ta.signedIn("zone-" + l.Code + "@example.com")
		cl.submit("/language", url.Values{"lang": {l.Code}, "back": {"/limits"}}).wantRedirect("/limits")
		tr := lang.For(l.Code, lang.Zone(player.Country))
		rules := cl.get("/limits").wantStatus(http.StatusOK).text("limits-rules")
		if want := tr.T("limits.zone.Europe/Stockholm"); want == "limits.zone.Europe/Stockholm" || !strings.Contains(rules, want+".") ||
			strings.Contains(rules, "Europe/") {
			t.Errorf("%s: rules %q; want the zone named %q", l.Code, rules, want)
		}
	}

	toronto, err := time.LoadLocation("America/Toronto")
	if err != nil {
		t.Fatal(err)
	}
	other := newTestApp(t, func(s *testSetup) {
		p := limits.Builtin()
		se := p.Markets["SE"]
		se.Zone = toronto
		p.Markets["SE"] = se
		s.Cashier.Config.LimitPolicy = p
	})
	cl, _ := other.signedIn("toronto@example.com")
	if rules := cl.get("/limits").wantStatus(http.StatusOK).text("limits-rules"); !strings.Contains(rules, "time zone America/Toronto.") {
		t.Errorf("a configured zone: rules %q; want its name", rules)
	}
}

// TestLimitsMessageIDsExist: the ids cashier/limits puts together from a period
// ("limits.left.week") have a message in every language.
func TestLimitsMessageIDsExist(t *testing.T) {
	var ids []string
	for _, p := range limits.Periods {
		for _, kind := range []string{"notice", "notice_full", "left", "headroom", "reached", "reached_rolling", "not_removed", "label"} {
			ids = append(ids, "limits."+kind+"."+string(p))
		}
	}
	for _, set := range [][]limits.Period{{limits.Day}, {limits.Week}, {limits.Month}, {limits.Day, limits.Week},
		{limits.Day, limits.Month}, {limits.Week, limits.Month}, limits.Periods} {
		ids = append(ids, limits.PeriodListText(set, false).ID)
	}
	ids = append(ids, limits.PeriodListText(limits.Periods, true).ID)
	for _, l := range lang.Languages {
		for _, id := range ids {
			if got := lang.For(l.Code, nil).T(id); got == id {
				t.Errorf("%s has no message %s", l.Code, id)
			}
		}
	}
}
