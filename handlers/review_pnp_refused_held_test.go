package handlers

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
)

// TestPayNPlayRefusedHeldReadsRefused: a "Deposit & play" whose kyc was answered
// FINISH (here: on a break) and whose credit came all the same (held, never
// booked, flagged for staff to return to the payer) reads as refused with the
// money going back to the bank, where it read "Processing" under the refusal, as
// though it were becoming a deposit. The signed-in player's result pages (headed
// "Your deposit was not completed"), their JSON and the history say "Refused —
// the money goes back to your bank" with the sentence that the bank sent the
// money, that it is in no balance and will be returned. Staff read "Refused —
// money held to return" in the transactions list, its status filter
// (refused-held, which pending no longer lists) and the order page; the CSV
// carries the code refused-held.
func TestPayNPlayRefusedHeldReadsRefused(t *testing.T) {
	a := newTestApp(t)
	cl, p := a.signedIn("anna@example.com")
	now := time.Now().UTC()
	held := func(playerID int64, endUserID string) models.Order {
		t.Helper()
		o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PayNPlay: true,
			PlayerID: playerID, EndUserID: endUserID, Amount: models.Money{Minor: 10000, Currency: "SEK"},
			TrustlyOrderID: strconv.FormatInt(1000000100+now.UnixNano()%1000, 10), CheckoutURL: "https://checkout.test/x",
			StartedAt: &now, CreatedAt: now, KYCOutcome: models.KYCFinish, KYCAt: &now, KYCReasons: "break: until 2099-01-01",
			KYCMessage: "You are taking a break from gambling. No money was moved.", CreditHeldAt: &now, HeldCreditID: "2000000777"}
		o.Refresh() // as the credit after the kyc leaves it
		if err := a.DB.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
		return o
	}
	o := held(p.ID, p.EndUserID)
	if o.Flag != models.FlagHeldCreditRefused {
		t.Fatalf("the refused deposit with its credit held: flag %q; want %q", o.Flag, models.FlagHeldCreditRefused)
	}
	status, returned := enText("status.refused_held"), enText("deposit.result.held")
	for _, path := range []string{"/deposit/success", "/deposit/fail"} {
		r := cl.get(path + "?order=" + url.QueryEscape(o.MessageID)).wantStatus(http.StatusOK)
		phase := ""
		if state := r.byTestID("order-state"); len(state) == 1 {
			phase = attr(state[0], "data-phase")
		}
		if phase != "held" || r.text("order-status") != status || r.text("result-held") != returned {
			t.Errorf("%s: phase %q, status %q, explanation %q; want held, %q, %q", path, phase, r.text("order-status"),
				r.text("result-held"), status, returned)
		}
		if got := r.text("kyc-refusal"); !strings.Contains(got, "break") {
			t.Errorf("%s: refusal %q; want the kyc's sentence", path, got)
		}
		// The other phases' explanations are in the page, hidden; no heading, title or
		// status says it is on its way.
		for _, wrong := range []string{"Processing", "Waiting for the bank"} {
			if strings.Contains(r.Body, wrong) {
				t.Errorf("%s reads %q:\n%s", path, wrong, r.Body)
			}
		}
		if got := r.text("result-title"); got != enText("deposit.result.title_fail") {
			t.Errorf("%s: heading %q; want %q", path, got, enText("deposit.result.title_fail"))
		}
	}
	var js orderStatus
	if err := json.Unmarshal([]byte(cl.get("/deposit/status?order="+url.QueryEscape(o.MessageID)).wantStatus(http.StatusOK).Body), &js); err != nil {
		t.Fatal(err)
	}
	if js.Status != string(models.OrderRefusedHeld) || js.Text != status || js.Phase != "held" {
		t.Errorf("/deposit/status: %+v; want status refused-held, %q, phase held", js, status)
	}
	if got := cl.get("/history").wantStatus(http.StatusOK).text("order-status"); got != status {
		t.Errorf("history: the refused deposit reads %q; want %q", got, status)
	}

	// A visitor's: nobody's order, as staff read it (its return page:
	// TestPayNPlayRefusedHeldVisitorPage).
	visitor := held(0, models.NewEndUserID())

	fin, _ := a.staffSignedIn("fin@example.com", staff.RoleFinance)
	const label = "Refused — money held to return"
	listed := func(query string) map[int64]string {
		t.Helper()
		out := map[int64]string{}
		for _, n := range fin.get(transactionsPath + query).wantStatus(http.StatusOK).byTestID("tx-row") {
			id, _ := strconv.ParseInt(attr(n, "data-order"), 10, 64)
			out[id] = (&testResponse{t: t, doc: n, what: "row"}).text("tx-status")
		}
		return out
	}
	for query, want := range map[string]bool{"": true, "?status=refused-held": true, "?status=pending": false, "?status=failed": false} {
		rows := listed(query)
		for _, id := range []int64{o.ID, visitor.ID} {
			if got, ok := rows[id]; ok != want || ok && got != label {
				t.Errorf("transactions%s: order %d reads %q (listed %t); want %q listed %t", query, id, got, ok, label, want)
			}
		}
	}
	list := fin.get(transactionsPath + "?status=refused-held").wantStatus(http.StatusOK)
	choices := map[string]string{}
	for _, n := range (&testResponse{t: t, doc: list.byTestID("filter-status")[0], what: "status filter"}).find(func(n *html.Node) bool {
		return n.Data == "option"
	}) {
		choices[attr(n, "value")] = textOf(n)
	}
	if choices[string(models.OrderRefusedHeld)] != label || list.value("filter-status") != string(models.OrderRefusedHeld) {
		t.Errorf("the status filter offers %q, %q selected; want %q for refused-held, selected", choices, list.value("filter-status"), label)
	}
	op := fin.get(orderPath(o.ID)).wantStatus(http.StatusOK)
	if got := op.text("order-status"); got != label || !strings.Contains(op.Body, models.FlagHeldCreditRefused) {
		t.Errorf("order page: %q; want %q with the flag %q", got, label, models.FlagHeldCreditRefused)
	}
	records, err := csv.NewReader(strings.NewReader(fin.get(transactionsPath + ".csv?status=refused-held").wantStatus(http.StatusOK).Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 {
		t.Fatalf("export of refused-held: %q; want the two orders", records)
	}
	for _, rec := range records[1:] {
		if rec[3] != string(models.OrderRefusedHeld) || rec[4] != "100.00" || rec[10] != models.FlagHeldCreditRefused || rec[11] != "" {
			t.Errorf("export: %q; want status refused-held, amount 100.00, the flag, nothing credited", rec)
		}
	}
}

// TestPayNPlayRefusedHeldVisitorPage: a visitor's "Deposit & play" refused by the
// kyc through the sandbox (under 18) says so on its return page, with no word of
// money; once its credit came all the same (held, flagged to return), the page
// says under the kyc's sentence that the bank sent the money, that it is in no
// balance and will be returned, where it said only "No money was moved".
func TestPayNPlayRefusedHeldVisitorPage(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-minor", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "100")
	if out := lv.waitDecision(id); out.State != cashier.PayNPlayRefused {
		t.Fatalf("the minor's deposit: %s; want refused", out.State)
	}
	path := cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(id)
	page := cl.get(path).wantStatus(http.StatusOK)
	if page.text("refusal") == "" || len(page.byTestID("refusal-held")) != 0 {
		t.Errorf("the refused deposit, no money: refusal %q, held %d; want the refusal alone", page.text("refusal"),
			len(page.byTestID("refusal-held")))
	}
	// The bank's credit after the FINISH, as the cashier holds it
	// (TestPayNPlayRefusedHeldCredit).
	var o models.Order
	if err := lv.DB.Where("message_id = ?", id).Take(&o).Error; err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	o.CreditHeldAt, o.HeldCreditID = &now, "2000000888"
	o.Refresh()
	if err := lv.DB.Save(&o).Error; err != nil {
		t.Fatal(err)
	}
	page = cl.get(path).wantStatus(http.StatusOK)
	if got := page.text("refusal"); !strings.Contains(got, "18") {
		t.Errorf("the refused deposit, credit held: refusal %q; want the kyc's sentence", got)
	}
	if got, want := page.text("refusal-held"), enText("deposit.result.held"); got != want {
		t.Errorf("the refused deposit, credit held: %q; want %q", got, want)
	}
}
