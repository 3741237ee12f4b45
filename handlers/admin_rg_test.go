package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"golang.org/x/net/html"
)

// TestAdminResponsibleGaming: a Swedish player's raise of their monthly deposit
// limit above 10 000 SEK (flagged by the market's policy) is on the flagged list
// until an operator resolves it with a note (one audit row; a viewer sees no form
// and is refused); the player's back-office page shows the limits now, the raise
// waiting, every change with its flag and resolution, and the break in force.
func TestAdminResponsibleGaming(t *testing.T) {
	ta := newTestApp(t, withLimitPolicies)
	pl, p := ta.signedIn("anna@example.com")
	pl.submit("/limits", url.Values{"month": {"5000"}}).wantRedirect("/limits")
	pl.submit("/limits", url.Values{"month": {"20000"}}).wantRedirect("/limits")
	if _, err := ta.Svc.TakeBreak(t.Context(), p, "", breaks.TimeOut7d); err != nil {
		t.Fatal(err)
	}
	var raise limits.Change
	if err := ta.DB.Where("player_id = ? AND amount_minor = ?", p.ID, 2000000).Take(&raise).Error; err != nil {
		t.Fatal(err)
	}
	if raise.Flag == "" {
		t.Fatal("a raise to 20 000 SEK a month in SE is not flagged")
	}
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	resolvePath := "/admin/limit-changes/" + strconv.FormatInt(raise.ID, 10) + "/resolve"

	list := op.get(flaggedPath).wantStatus(http.StatusOK)
	rows := list.byTestID("limit-change")
	if len(rows) != 1 || attr(rows[0], "data-change") != strconv.FormatInt(raise.ID, 10) ||
		!strings.Contains(list.text("limit-change-flag"), strings.Join(strings.Fields(raise.Flag), " ")) || !list.has("limit-change-resolve-form") {
		t.Fatalf("flagged list: %d raises, flag %q; want the raise with its flag and a form", len(rows), list.text("limit-change-flag"))
	}
	if viewer.get(flaggedPath).has("limit-change-resolve-form") {
		t.Error("a viewer is offered the resolve form")
	}
	viewer.submit(resolvePath, url.Values{"note": {"looked"}}).wantStatus(http.StatusForbidden)

	page := op.get(playerPath(p.ID)).wantStatus(http.StatusOK)
	if got := page.text("player-break"); !strings.Contains(got, "a 7-day time-out until") {
		t.Errorf("player page break: %q; want the time-out in force", got)
	}
	if got := len(page.byTestID("player-break-row")); got != 1 {
		t.Errorf("%d breaks listed; want 1", got)
	}
	limitsText := page.text("player-limits")
	if !strings.Contains(limitsText, "month5 000,00 SEK") || !strings.Contains(limitsText, "20 000,00 SEK from") {
		t.Errorf("player page limits %q; want the 5000 SEK month limit with the raise to 20000 waiting", limitsText)
	}
	changes := page.byTestID("limit-change")
	if len(changes) != 2 || page.has("limit-change-resolve-form") {
		t.Errorf("player page: %d limit changes (want 2), resolve form shown: %t (want none there)", len(changes), page.has("limit-change-resolve-form"))
	}

	audits := func() int64 {
		var n int64
		ta.DB.Model(&staff.Audit{}).Where("event = ?", staff.EventFlagResolved).Count(&n)
		return n
	}
	op.submit(resolvePath, url.Values{"note": {""}}).wantRedirect(flaggedPath)
	if audits() != 0 {
		t.Fatal("a resolution without a note was recorded")
	}
	op.submit(resolvePath, url.Values{"note": {"called the player: affordability checked"}}).wantRedirect(flaggedPath)
	if got := op.get(flaggedPath).text("flash"); got != "The limit raise "+strconv.FormatInt(raise.ID, 10)+" is resolved." {
		t.Errorf("flash %q", got)
	}
	twice := op.submit(resolvePath, url.Values{"note": {"twice"}}).wantStatus(http.StatusConflict)
	if got := twice.text("flash"); got != "The limit raise "+strconv.FormatInt(raise.ID, 10)+" was resolved already, by op@example.com." ||
		twice.text("not-recorded-text") != "twice" {
		t.Errorf("resolving twice: %q, note shown back %q; want resolved already, by whom, and the note", got, twice.text("not-recorded-text"))
	}
	if audits() != 1 {
		t.Errorf("%d resolution audit rows; want 1", audits())
	}
	list = op.get(flaggedPath)
	if list.has("limit-change") || !list.has("flagged-raises-empty") {
		t.Error("the resolved raise is still listed")
	}
	if got := op.get(playerPath(p.ID)).text("limit-change-resolved"); !strings.Contains(got, "op@example.com") ||
		!strings.Contains(got, "affordability checked") {
		t.Errorf("player page resolution %q; want who and the note", got)
	}
	op.submit("/admin/limit-changes/999999/resolve", url.Values{"note": {"x"}}).wantStatus(http.StatusNotFound)
	var lowering limits.Change
	ta.DB.Where("player_id = ? AND amount_minor = ?", p.ID, 500000).Take(&lowering)
	op.submit("/admin/limit-changes/"+strconv.FormatInt(lowering.ID, 10)+"/resolve", url.Values{"note": {"x"}}).
		wantStatus(http.StatusUnprocessableEntity)
	if audits() != 1 {
		t.Error("a change without a flag was resolved")
	}
}

// TestAdminPlayerTimesNameTheirZone: the players list and a player's page show
// times in the member's time zone and say which, as the transactions list and the
// order page do: every heading over a time names the zone, the break in force
// says it beside its end, and so does the resolution of a flagged limit raise
// beside its time (it stands under "Flag", a heading that names no zone).
func TestAdminPlayerTimesNameTheirZone(t *testing.T) {
	ta := newTestApp(t, withLimitPolicies)
	pl, p := ta.signedIn("anna@example.com")
	pl.submit("/limits", url.Values{"month": {"5000"}}).wantRedirect("/limits")
	pl.submit("/limits", url.Values{"month": {"20000"}}).wantRedirect("/limits")
	if _, err := ta.Svc.TakeBreak(t.Context(), p, "", breaks.TimeOut7d); err != nil {
		t.Fatal(err)
	}
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	op.submit(playerPath(p.ID)+"/notes", url.Values{"note": {"called"}}).wantRedirect(playerPath(p.ID))
	var raise limits.Change
	if err := ta.DB.Where("player_id = ? AND amount_minor = ?", p.ID, 2000000).Take(&raise).Error; err != nil {
		t.Fatal(err)
	}
	op.submit("/admin/limit-changes/"+strconv.FormatInt(raise.ID, 10)+"/resolve", url.Values{"note": {"checked"}}).
		wantRedirect(flaggedPath)
	const zone = "Europe/Helsinki"
	// headings are the texts of the page's table and list headings.
	headings := func(r *testResponse) []string {
		var got []string
		for _, n := range r.find(func(n *html.Node) bool { return slices.Contains([]string{"th", "dt", "h2", "h3"}, n.Data) }) {
			got = append(got, strings.Join(strings.Fields(textOf(n)), " "))
		}
		return got
	}
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/admin/players?q=anna&tz=" + url.QueryEscape(zone), []string{"Since"}},
		{playerPath(p.ID) + "?tz=" + url.QueryEscape(zone), []string{"Registered", "From", "Until", "Waiting to apply",
			"Asked", "Applies from", "Added", "Created", "Notes"}},
	} {
		got := headings(op.get(tt.path).wantStatus(http.StatusOK))
		for _, h := range tt.want {
			if !slices.Contains(got, h+" ("+zone+")") {
				t.Errorf("%s: headings %q; want %q", tt.path, got, h+" ("+zone+")")
			}
		}
	}
	if got := op.get(playerPath(p.ID)).text("player-break"); !strings.Contains(got, " ("+zone+")") {
		t.Errorf("break in force %q; want its end in %s, named", got, zone)
	}
	if got := op.get(playerPath(p.ID)).text("limit-change-resolved"); !strings.Contains(got, " ("+zone+"): checked") {
		t.Errorf("resolution %q; want its time in %s, named", got, zone)
	}
}
