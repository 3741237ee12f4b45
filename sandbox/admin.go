package sandbox

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/trustly-cashier/cashier/sandbox/views"
	"github.com/trustly-cashier/cashier/trustly"
)

// The sandbox's own pages: every order, and per order every notification and
// delivery attempt with the merchant's answer. They are for developers and carry
// no authentication; bind the sandbox to loopback.

func (s *Sandbox) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "sandbox/", http.StatusFound)
	})
	mux.HandleFunc("GET /sandbox/{$}", s.ordersPage)
	mux.HandleFunc("GET /sandbox/orders/{id}", s.orderPage)
	mux.HandleFunc("POST /sandbox/payout-scenario", s.setPayoutScenario)
}

// payoutScenarioLabels name PayoutScenarios on the orders page's form.
var payoutScenarioLabels = map[Scenario]string{
	ScenarioPayoutConfirmed: "confirmed",
	ScenarioPayoutBounce:    "bounce after confirmation",
	ScenarioPayoutFailed:    "failed",
	ScenarioPayoutRejected:  "rejected",
}

// setPayoutScenario is the orders page's "Next payouts" form. The pages have no
// authentication; a form posted from another site is refused all the same.
func (s *Sandbox) setPayoutScenario(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		s.render(w, r, http.StatusForbidden, views.Message("Not allowed", "This form can only be sent from the sandbox's own page."))
		return
	}
	sc := Scenario(r.PostFormValue("scenario"))
	if sc == "" || s.SetPayoutScenario(sc) != nil {
		s.render(w, r, http.StatusBadRequest, views.Message("Unknown scenario", "Choose one of the payout outcomes on the orders page."))
		return
	}
	s.log.Info("payout scenario changed", "scenario", sc)
	http.Redirect(w, r, "./", http.StatusSeeOther)
}

const timeFormat = "2006-01-02 15:04:05.000"

func (s *Sandbox) ordersPage(w http.ResponseWriter, r *http.Request) {
	var orders []Order
	if err := s.db.WithContext(r.Context()).Order("created_at DESC").Limit(200).Find(&orders).Error; err != nil {
		http.Error(w, "database error", http.StatusInternalServerError)
		return
	}
	type count struct {
		OrderID string
		Status  OutboxStatus
		N       int
	}
	var counts []count
	s.db.WithContext(r.Context()).Model(&Outbox{}).Select("order_id, status, COUNT(*) AS n").Group("order_id, status").Scan(&counts)
	byOrder := map[string]string{}
	for _, c := range counts {
		if byOrder[c.OrderID] != "" {
			byOrder[c.OrderID] += ", "
		}
		byOrder[c.OrderID] += fmt.Sprintf("%d %s", c.N, c.Status)
	}
	p := views.OrdersPage{PublicKey: string(trustly.PublicKeyPEM(&s.key.PublicKey))}
	next := s.PayoutScenario()
	if next == "" {
		next = ScenarioPayoutConfirmed
	}
	for _, sc := range PayoutScenarios {
		p.PayoutScenarios = append(p.PayoutScenarios, views.Option{Value: string(sc), Label: payoutScenarioLabels[sc],
			Selected: sc == next})
	}
	for _, o := range orders {
		p.Orders = append(p.Orders, views.OrderRow{ID: o.ID, Kind: string(o.Kind), Status: string(o.Status),
			Scenario: string(outcomeLabel(o)), Amount: amountLabel(o), MessageID: o.MessageID, EndUserID: o.EndUserID,
			Created: o.CreatedAt.Format(timeFormat), Notifications: byOrder[o.ID]})
	}
	for _, sc := range Scenarios {
		kinds := ""
		for i, k := range sc.Kinds {
			if i > 0 {
				kinds += ", "
			}
			kinds += string(k)
		}
		p.Scenarios = append(p.Scenarios, views.Option{Value: string(sc.Name), Label: sc.Description, Note: kinds})
	}
	for _, per := range Persons {
		p.Persons = append(p.Persons, views.Option{Value: per.ID, Label: per.Firstname + " " + per.Lastname + ", " +
			per.Country + ", born " + per.DOB + ", personid " + per.PersonID, Note: per.Note})
	}
	s.render(w, r, http.StatusOK, views.Orders(p))
}

func outcomeLabel(o Order) Scenario {
	if o.Scenario == "" {
		return defaultScenario(o.Kind) + " (default)"
	}
	return o.Scenario
}

func amountLabel(o Order) string {
	if o.AmountMinor == 0 {
		return ""
	}
	return formatAmount(o.AmountMinor) + " " + o.Currency
}

func (s *Sandbox) orderPage(w http.ResponseWriter, r *http.Request) {
	o, err := s.order(r.Context(), r.PathValue("id"))
	if err != nil {
		s.render(w, r, http.StatusNotFound, views.Message("Unknown order", "No order "+r.PathValue("id")+"."))
		return
	}
	p := views.OrderPage{}
	add := func(label, value string) {
		if value != "" {
			p.Fields = append(p.Fields, views.Option{Label: label, Value: value})
		}
	}
	add("orderid", o.ID)
	add("kind", string(o.Kind))
	add("status", string(o.Status))
	add("checkout step", o.Step)
	add("scenario", string(outcomeLabel(*o)))
	add("messageid", o.MessageID)
	add("enduserid", o.EndUserID)
	add("amount", amountLabel(*o))
	add("deposit (refund of)", o.ParentID)
	add("transferstate", o.TransferState)
	add("accountid", o.AccountID)
	add("test person", o.PersonID)
	add("bank", o.Bank)
	add("kyc answer", o.KYCAnswer)
	add("NotificationURL", o.NotificationURL)
	add("SuccessURL", o.SuccessURL)
	add("FailURL", o.FailURL)
	add("URLTarget", o.URLTarget)
	add("attributes", o.Attributes)
	add("created", o.CreatedAt.Format(timeFormat))
	if (o.Kind == KindDeposit || o.Kind == KindSelectAccount) && o.Status == StatusCreated {
		p.CheckoutURL = s.pagePath(o)
	}
	var rows []Outbox
	s.db.WithContext(r.Context()).Where("order_id = ?", o.ID).Order("due_at, id").Find(&rows)
	var attempts []Attempt
	s.db.WithContext(r.Context()).Where("order_id = ?", o.ID).Order("id").Find(&attempts)
	for _, row := range rows {
		n := views.NotificationRow{NotificationID: row.NotificationID, Method: row.Method, UUID: row.UUID,
			Status: string(row.Status), Due: row.DueAt.Format(timeFormat), Answer: row.AnswerStatus, Body: row.Body,
			Duplicate: row.Duplicate}
		for _, a := range attempts {
			if a.OutboxID != row.ID {
				continue
			}
			result := "answered"
			if !a.OK {
				result = a.Error
			}
			status := ""
			if a.HTTPStatus != 0 {
				status = strconv.Itoa(a.HTTPStatus)
			}
			n.Attempts = append(n.Attempts, views.AttemptRow{At: a.At.Format(timeFormat), HTTPStatus: status,
				Result: result, Answer: a.Answer, Millis: strconv.FormatInt(a.Millis, 10), OK: a.OK})
		}
		p.Notifications = append(p.Notifications, n)
	}
	s.render(w, r, http.StatusOK, views.Order(p))
}
