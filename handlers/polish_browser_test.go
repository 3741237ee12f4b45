package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
)

// Browser tests of the player pages' finish: what testers clicking through from
// outside called sloppy, measured where it can be.

// boxes is the JavaScript that returns [left, top, width, height] of the element
// with each data-testid given (JSON array literal spliced in as %s), in order;
// a missing element is [-1, -1, -1, -1].
func boxes(testids ...string) string {
	list := "["
	for i, s := range testids {
		if i > 0 {
			list += ","
		}
		list += jsString(s)
	}
	return `(function(){ return ` + list + `].map(function(t){
		var e = document.querySelector('[data-testid="' + t + '"]');
		if (!e) return [-1, -1, -1, -1];
		var r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }); })()`
}

// TestBrowserBankAccountButtonsMatch: the bank accounts page's two ways to add
// an account, side by side in their cards, have buttons of one size on a desktop
// and of one width on a phone, in every language. "Add account with Trustly" (a
// button in a form) was as wide as its words while "Enter bank details" (a link
// laid out by the card) took the card's whole width, and the link's border made
// it 2 px taller.
func TestBrowserBankAccountButtonsMatch(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowserFor(t, lv, 2*browserTimeout)
	b.do("register", b.register("bo@example.com")...)
	for _, l := range lang.Languages {
		b.chooseLanguage(l.Code)
		for _, width := range []int64{1280, 375} {
			b.do("open the bank accounts at "+strconv.FormatInt(width, 10)+" px", chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(lv.URL+"/bank-accounts"), chromedp.WaitVisible(id("enter-details")))
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[][]float64](boxes("add-with-trustly", "enter-details")))
			if err != nil {
				t.Fatal(err)
			}
			trustly, details := got[0], got[1]
			// On a phone the cards stack, and a long label (Dutch) may wrap to two lines.
			if diff(trustly[2], details[2]) > 1 || (width > 375 && diff(trustly[3], details[3]) > 1) {
				b.snap("bank-account-buttons-" + l.Code + "-" + strconv.FormatInt(width, 10))
				t.Errorf("at %d px in %s the add buttons are %.0f × %.0f (with Trustly) and %.0f × %.0f (by hand); want one size",
					width, l.Code, trustly[2], trustly[3], details[2], details[3])
			}
		}
	}
}

// diff is |a - b|.
func diff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}

// cardPadding is the JavaScript that lists the cards in main whose content does
// not sit evenly in them: the space above the first child shown (its margin
// included) and below the last differ by more than 2 px.
const cardPadding = `(function(){
	var out = [];
	document.querySelectorAll("main .card").forEach(function(c){
		var kids = Array.prototype.filter.call(c.children, function(k){
			return k.getClientRects().length > 0 && getComputedStyle(k).position !== "absolute"; });
		if (!kids.length) return;
		var r = c.getBoundingClientRect(), top = kids[0].getBoundingClientRect().top - r.top;
		var bottom = r.bottom - Math.max.apply(null, kids.map(function(k){ return k.getBoundingClientRect().bottom; }));
		if (Math.abs(top - bottom) > 2) out.push((c.getAttribute("data-testid") || c.className) + " with " +
			kids[0].tagName.toLowerCase() + " first: " + Math.round(top) + " px above, " + Math.round(bottom) + " px below");
	});
	return out; })()`

// TestBrowserCardsEvenlyPadded: a card's content has as much room above as
// below, on every player page with cards, on a desktop and on a phone. A card
// opening with a heading (the profile, the limits' form) had the heading's top
// margin on top of the card's padding, and one ending with a paragraph or a list
// (the start page, the profile, an account's result page) its bottom margin.
func TestBrowserCardsEvenlyPadded(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowserFor(t, lv, 3*browserTimeout)
	b.do("register", b.register("cy@example.com")...)
	paths := []string{"/cashier", "/payout", "/bank-accounts", "/bank-accounts/new", "/limits", "/breaks", "/profile", "/history"}
	for _, code := range []string{"en", "fi"} {
		b.chooseLanguage(code)
		for _, width := range []int64{1280, 375} {
			b.do("width", chromedp.EmulateViewport(width, 900))
			for _, path := range paths {
				b.do("open "+path, chromedp.Navigate(lv.URL+path), chromedp.WaitReady("main"))
				if uneven, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](cardPadding)); err != nil || len(uneven) > 0 {
					t.Errorf("%s at %d px in %s: %v (%v)", path, width, code, uneven, err)
				}
			}
		}
	}
	b.do("sign out", chromedp.Click(id("logout")))
	b.waitLocation("/login")
	b.waitLoaded()
	for _, width := range []int64{1280, 375} {
		b.do("open the start page", chromedp.EmulateViewport(width, 900), chromedp.Navigate(lv.URL+"/"), chromedp.WaitReady("main"))
		if uneven, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](cardPadding)); err != nil || len(uneven) > 0 {
			t.Errorf("/ at %d px: %v (%v)", width, uneven, err)
		}
	}
}

// TestBrowserLimitsBackLinkSpaced: on the deposit limits page "Back to the
// cashier" stands apart from the Save button above it, as the form's fields do
// from each other, on a desktop and on a phone. It touched the button, with the
// room it lacked left empty below it.
func TestBrowserLimitsBackLinkSpaced(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("di@example.com")...)
	for _, width := range []int64{1280, 375} {
		b.do("open the limits at "+strconv.FormatInt(width, 10)+" px", chromedp.EmulateViewport(width, 900),
			chromedp.Navigate(lv.URL+"/limits"), chromedp.WaitVisible(id("limits-to-cashier")))
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[][]float64](boxes("limits-submit", "limits-to-cashier")))
		if err != nil {
			t.Fatal(err)
		}
		save, link := got[0], got[1]
		if gap := link[1] - (save[1] + save[3]); gap < 12 {
			b.snap("limits-back-" + strconv.FormatInt(width, 10))
			t.Errorf("at %d px Back to the cashier is %.0f px below Save limits; want at least 12 px, as between the fields", width, gap)
		}
	}
}

// navItems is the JavaScript that returns the height of each item of the
// header's navigation.
const navItems = `Array.prototype.map.call(document.querySelectorAll('[data-testid="nav"] > li'),
	function(li){ return li.getBoundingClientRect().height; })`

// TestBrowserNavRowsEven: the header's navigation items are one height, so that
// on a phone, where they wrap, their rows are evenly apart. Sign out (a button
// in a form, for its CSRF token) had its padding in its line and the links not,
// so the row it ended stood lower than the others.
func TestBrowserNavRowsEven(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("ed@example.com")...)
	for _, code := range []string{"en", "fi"} {
		b.chooseLanguage(code)
		for _, width := range []int64{1280, 375} {
			b.do("open the cashier", chromedp.EmulateViewport(width, 900), chromedp.Navigate(lv.URL+"/cashier"),
				chromedp.WaitVisible(id("logout")))
			heights, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](navItems))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range heights {
				if diff(h, heights[0]) > 1 {
					b.snap("nav-" + code + "-" + strconv.FormatInt(width, 10))
					t.Errorf("at %d px in %s the navigation's items are %v px high; want one height", width, code, heights)
					break
				}
			}
		}
	}
}

// TestBrowserDateFieldLikeOthers: the registration's date of birth is a field
// like the others: as high and as wide as the personal identity number above
// it. It had the browser's own small, square field, the forms' rule not naming
// type="date".
func TestBrowserDateFieldLikeOthers(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	for _, width := range []int64{1280, 375} {
		b.do("open the registration", chromedp.EmulateViewport(width, 900), chromedp.Navigate(lv.URL+"/register"),
			chromedp.WaitVisible(id("date-of-birth")))
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[][]float64](boxes("person-id", "date-of-birth")))
		if err != nil {
			t.Fatal(err)
		}
		person, date := got[0], got[1]
		if diff(person[2], date[2]) > 1 || diff(person[3], date[3]) > 1 {
			b.snap("date-field-" + strconv.FormatInt(width, 10))
			t.Errorf("at %d px the date of birth is %.0f × %.0f and the identity number %.0f × %.0f; want one size",
				width, date[2], date[3], person[2], person[3])
		}
	}
}

// emptyStacked is the JavaScript that lists the cells of stacking tables drawn
// with their column's heading beside no value.
const emptyStacked = `(function(){
	var out = [];
	document.querySelectorAll(".stacks td").forEach(function(td){
		if (td.getBoundingClientRect().height < 2) return;
		var copy = td.cloneNode(true);
		copy.querySelectorAll(".cell-label").forEach(function(l){ l.remove(); });
		if (copy.textContent.trim() === "") {
			var label = td.querySelector(".cell-label");
			out.push((td.closest("tr").getAttribute("data-testid") || "row") + ": " + (label ? label.textContent.trim() : "?"));
		}
	});
	return out; })()`

// TestBrowserPhoneNoHeadingBesideNothing: on a phone, where the rows of the
// limits and the history stack with each column's heading beside its value, no
// heading stands beside nothing: a period without a limit has no "Left", and a
// bank account chosen with Trustly (no money) no "Amount". Screen readers still
// find those cells, empty, under their columns, as with "Waiting".
func TestBrowserPhoneNoHeadingBesideNothing(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	email := "flo@example.com"
	b.do("register", b.register(email)...)
	cl := lv.signedInAs(email)
	lv.fund(cl, "100")
	r := cl.submit("/bank-accounts/select", nil).wantStatus(http.StatusSeeOther)
	q, _ := url.ParseQuery(strings.TrimPrefix(r.Header.Get("Location"), "/bank-accounts/checkout?"))
	lv.walkCheckout(q.Get("order"), "1", string(sandbox.ScenarioSelectOK))
	lv.waitAccount(lv.playerByEmail(email), models.AccountFromSelectAccount)

	b.do("phone width", chromedp.EmulateViewport(375, 800))
	for _, path := range []string{"/limits", "/history"} {
		b.do("open "+path, chromedp.Navigate(lv.URL+path), chromedp.WaitReady("main"))
		if empty, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](emptyStacked)); err != nil || len(empty) > 0 {
			b.snap("heading-beside-nothing" + strings.ReplaceAll(path, "/", "-"))
			t.Errorf("%s on a phone shows headings beside nothing: %v (%v)", path, empty, err)
		}
	}
}

// formGaps is the JavaScript that lists, in each stacked form on the page, the
// room between one part's last line and the next part: the form's gap, unless a
// paragraph brings its own margin (a hint under a field, a note above the button).
const formGaps = `(function(){
	var out = [];
	document.querySelectorAll("main form.stacked").forEach(function(f){
		var parts = Array.prototype.filter.call(f.children, function(e){
			return e.getClientRects().length > 0 && getComputedStyle(e).position !== "absolute"; });
		for (var i = 1; i < parts.length; i++) {
			var a = parts[i-1], kids = Array.prototype.filter.call(a.children, function(k){ return k.getClientRects().length > 0; });
			var bottom = kids.length && (a.classList.contains("field") || a.tagName === "FIELDSET") ?
				Math.max.apply(null, kids.map(function(k){ return k.getBoundingClientRect().bottom; })) : a.getBoundingClientRect().bottom;
			var gap = parts[i].getBoundingClientRect().top - bottom;
			if (gap > 20) out.push((f.getAttribute("data-testid") || "form") + ": " + Math.round(gap) + " px before " +
				(parts[i].getAttribute("data-testid") || parts[i].tagName.toLowerCase() + "." + parts[i].className));
		}
	});
	return out; })()`

// TestBrowserFormPartsEvenlyApart: in the player's stacked forms one field
// follows another at the form's gap (.9rem), whatever closes it: the
// registration's hint under the country and its note above Open account added
// their paragraph's margin, twice the room of the others.
func TestBrowserFormPartsEvenlyApart(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowserFor(t, lv, 2*browserTimeout)
	for _, width := range []int64{1280, 375} {
		b.do("open the registration", chromedp.EmulateViewport(width, 900), chromedp.Navigate(lv.URL+"/register"),
			chromedp.WaitVisible(id("register-form")))
		if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](formGaps)); err != nil || len(wide) > 0 {
			t.Errorf("/register at %d px: %v (%v)", width, wide, err)
		}
	}
	b.do("register", b.register("gus@example.com")...)
	for _, width := range []int64{1280, 375} {
		b.do("width", chromedp.EmulateViewport(width, 900))
		for _, path := range []string{"/cashier", "/payout", "/bank-accounts/new", "/limits", "/breaks", "/profile"} {
			b.do("open "+path, chromedp.Navigate(lv.URL+path), chromedp.WaitReady("main"))
			if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](formGaps)); err != nil || len(wide) > 0 {
				t.Errorf("%s at %d px: %v (%v)", path, width, wide, err)
			}
		}
	}
}
