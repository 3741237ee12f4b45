package sandbox

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"gorm.io/gorm"

	"github.com/trustly-cashier/cashier/sandbox/views"
)

// The checkout is server-rendered and works as a full page and inside an iframe:
// it sends no X-Frame-Options and allows any frame ancestor. Every form carries the
// order's token (the session parameter of the checkout URL), so a form for one
// order cannot act on another.

func (s *Sandbox) checkoutRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /checkout/{id}", s.checkoutPage)
	mux.HandleFunc("POST /checkout/{id}/{action}", s.checkoutAction)
}

func frameable(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", "frame-ancestors *")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	frameable(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		s.log.Error("render page", "path", r.URL.Path, "err", err)
	}
}

// checkoutAuth loads the order and checks the token; it writes the error page and
// returns nil when either fails.
func (s *Sandbox) checkoutAuth(w http.ResponseWriter, r *http.Request, session string) *Order {
	o, err := s.order(r.Context(), r.PathValue("id"))
	if err != nil {
		s.render(w, r, http.StatusNotFound, views.Message("Unknown order", "This checkout does not exist."))
		return nil
	}
	if o.Kind != KindDeposit && o.Kind != KindSelectAccount ||
		subtle.ConstantTimeCompare([]byte(session), []byte(o.Token)) != 1 {
		s.render(w, r, http.StatusForbidden, views.Message("Not allowed", "This link or form does not belong to this order."))
		return nil
	}
	return o
}

func (s *Sandbox) checkoutPage(w http.ResponseWriter, r *http.Request) {
	o := s.checkoutAuth(w, r, r.URL.Query().Get("session"))
	if o == nil {
		return
	}
	s.render(w, r, http.StatusOK, views.Checkout(s.checkoutView(o, "", "")))
}

var typedAmountRE = regexp.MustCompile(`^[0-9]{1,10}([.,][0-9]{1,2})?$`)

func (s *Sandbox) checkoutAction(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	o := s.checkoutAuth(w, r, r.PostFormValue("session"))
	if o == nil {
		return
	}
	action := r.PathValue("action")
	var problem, typed string
	err := s.writeTx(r.Context(), func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", o.ID).Take(o).Error; err != nil { // under the write lock
			return err
		}
		if action == "cancel" {
			return s.cancelOrder(tx, o, "player cancelled")
		}
		if o.Status != StatusCreated || !stepAllows(o.Step, action) {
			return ErrWrongState
		}
		switch action {
		case "bank":
			country, bank, _ := strings.Cut(r.PostFormValue("bank"), "|")
			if !contains(Banks[country], bank) {
				problem = "Choose a country and bank from the list."
				return nil
			}
			o.Country, o.Bank, o.Step = country, bank, "login"
			return tx.Save(o).Error
		case "login":
			p, ok := personFor(o, r.PostFormValue("person"))
			if !ok || p.Country != o.Country {
				problem = "Choose one of the test persons."
				return nil
			}
			if f, ok := fixedPerson(o); ok && f.ID != p.ID {
				problem = "The merchant fixed the personal identity number: log in as " + f.Firstname + " " + f.Lastname + "."
				return nil
			}
			if problem = kycOptions(o, r.PostForm); problem != "" {
				return nil
			}
			switch r.PostFormValue("kyccheck") {
			case string(ScenarioKYCAbortUnderage), string(ScenarioKYCAbortUnverified):
				o.Scenario = Scenario(r.PostFormValue("kyccheck"))
			}
			return s.login(tx, o, p)
		case "account":
			p, _ := orderPerson(o)
			i, err := strconv.Atoi(r.PostFormValue("account"))
			if err != nil || i < 0 || i >= len(p.Accounts) {
				problem = "Choose one of the accounts."
				return nil
			}
			if o.Kind == KindDeposit && o.AmountMinor == 0 {
				typed = strings.TrimSpace(r.PostFormValue("amount"))
				amount, msg := s.typedAmount(o, typed)
				if msg != "" {
					problem = msg
					return nil
				}
				o.AmountMinor = amount
			}
			acc, err := s.ensureAccount(tx, p.Accounts[i], p.Firstname, p.Lastname, o.EndUserID)
			if err != nil {
				return err
			}
			o.AccountID, o.Step = acc.ID, "confirm"
			return tx.Save(o).Error
		case "confirm":
			if info, ok := scenarioByName(r.PostFormValue("scenario")); ok && info.appliesTo(o.Kind) {
				o.Scenario = info.Name
			}
			o.ChaosDuplicate = r.PostFormValue("duplicate") == "1"
			o.ChaosShuffle = r.PostFormValue("shuffle") == "1"
			if d, err := time.ParseDuration(strings.TrimSpace(r.PostFormValue("delay"))); err == nil && d > 0 {
				o.ChaosDelayMs = d.Milliseconds()
			}
			return s.complete(tx, o)
		}
		return ErrWrongState
	})
	switch {
	case errors.Is(err, ErrWrongState):
		// A stale or repeated form: show where the order stands now.
		http.Redirect(w, r, s.pagePath(o), http.StatusSeeOther)
		return
	case err != nil:
		s.log.Error("checkout step", "order_id", o.ID, "action", action, "err", err)
		s.render(w, r, http.StatusInternalServerError, views.Message("Something went wrong", "The sandbox could not save this step."))
		return
	case problem != "":
		page := s.checkoutView(o, problem, typed)
		if action == "login" {
			page.KYCTimeout, page.KYCResendAfter = r.PostFormValue("kyctimeout"), r.PostFormValue("kycresendafter")
			page.KYCResend = r.PostFormValue("kycresend") == "1"
		}
		s.render(w, r, http.StatusUnprocessableEntity, views.Checkout(page))
		return
	}
	s.kick()
	s.log.Info("checkout step", "order_id", o.ID, "action", action, "step", o.Step, "status", o.Status)
	if o.Step == "done" {
		if u := s.resultURL(o); u != "" {
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, s.pagePath(o), http.StatusSeeOther)
}

// stepAllows says which form each step accepts.
func stepAllows(step, action string) bool {
	return step == action
}

// basePath is the path part of BaseURL, for when the handler is mounted under a
// prefix (with http.StripPrefix); "" at the root.
func (s *Sandbox) basePath() string {
	u, err := url.Parse(s.cfg.BaseURL)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

func (s *Sandbox) pagePath(o *Order) string {
	return s.basePath() + "/checkout/" + o.ID + "?" + url.Values{"session": {o.Token}}.Encode()
}

// resultURL is where the player goes at the end: SuccessURL unless the order was
// cancelled, FailURL then.
func (s *Sandbox) resultURL(o *Order) string {
	if o.Status == StatusCancelled {
		return o.FailURL
	}
	return o.SuccessURL
}

// typedAmount checks an amount the player typed against the Deposit's bounds and
// a kyc limit.
func (s *Sandbox) typedAmount(o *Order, typed string) (int64, string) {
	if !typedAmountRE.MatchString(typed) {
		return 0, "Enter an amount such as 100 or 99.50."
	}
	whole, frac, _ := strings.Cut(strings.ReplaceAll(typed, ",", "."), ".")
	for len(frac) < 2 {
		frac += "0"
	}
	amount, _ := parseAmount(whole+"."+frac, o.Currency)
	lo, hi := o.MinMinor, o.MaxMinor
	if o.LimitMinor > 0 && (hi == 0 || o.LimitMinor < hi) {
		hi = o.LimitMinor
	}
	switch {
	case amount <= 0:
		return 0, "Enter an amount greater than zero."
	case lo > 0 && amount < lo:
		return 0, fmt.Sprintf("Enter at least %s %s.", formatAmount(lo), o.Currency)
	case hi > 0 && amount > hi:
		return 0, fmt.Sprintf("Enter at most %s %s.", formatAmount(hi), o.Currency)
	}
	return amount, ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// checkoutView builds the page for the order's current step.
func (s *Sandbox) checkoutView(o *Order, problem, typed string) views.CheckoutPage {
	p := views.CheckoutPage{OrderID: o.ID, Session: o.Token, Action: s.basePath() + "/checkout/" + o.ID, Step: o.Step,
		Merchant: o.ShopperStatement, Problem: problem, AmountForm: typed, Target: o.URLTarget, PayNPlay: o.RequestKYC}
	if p.Target == "" {
		p.Target = "_self"
	}
	p.Title = "Deposit"
	if o.Kind == KindSelectAccount {
		p.Title = "Select account"
	} else {
		p.Currency = o.Currency
		if o.AmountMinor > 0 {
			p.Amount = formatAmount(o.AmountMinor) + " " + o.Currency
		}
		lo, hi := o.MinMinor, o.MaxMinor
		if o.LimitMinor > 0 && (hi == 0 || o.LimitMinor < hi) {
			hi = o.LimitMinor
		}
		switch {
		case lo > 0 && hi > 0:
			p.AmountHint = fmt.Sprintf("between %s and %s %s", formatAmount(lo), formatAmount(hi), o.Currency)
		case lo > 0:
			p.AmountHint = fmt.Sprintf("at least %s %s", formatAmount(lo), o.Currency)
		case hi > 0:
			p.AmountHint = fmt.Sprintf("at most %s %s", formatAmount(hi), o.Currency)
		}
	}
	switch {
	case o.Status == StatusCancelled:
		p.Step, p.Result, p.ContinueURL = "done", "The order was cancelled.", o.FailURL
	case o.Status == StatusCompleted && o.loginOnly():
		p.Step, p.Result, p.ContinueURL = "done", "You are logged in.", o.SuccessURL
	case o.Status == StatusCompleted:
		p.Step, p.Result, p.ContinueURL = "done", "Done: the merchant will be notified.", o.SuccessURL
	}
	for _, c := range CountryNames {
		for _, b := range Banks[c.Code] {
			p.Banks = append(p.Banks, views.Option{Value: c.Code + "|" + b, Label: c.Name + " – " + b,
				Selected: c.Code == o.Country && (b == o.Bank || o.Bank == "" && b == Banks[c.Code][0])})
		}
	}
	if !contains([]string{"SE", "FI", "EE", "NL"}, o.Country) && len(p.Banks) > 0 {
		p.Banks[0].Selected = true
	}
	persons := personsIn(o.Country)
	if named, ok := namedPerson(o); ok && named.Country == o.Country {
		persons = append([]Person{named}, persons...) // first, and so selected
	} else if named, ok := namedTestPerson(o); ok && named.Country == o.Country {
		// First and so selected, in its own place no longer: listed once.
		persons = append([]Person{named}, slices.DeleteFunc(persons, func(p Person) bool { return p.ID == named.ID })...)
	}
	for i, per := range persons {
		label := per.Firstname + " " + per.Lastname
		if per.DOB != "" {
			label += ", born " + per.DOB
		}
		p.Persons = append(p.Persons, views.Option{Value: per.ID, Label: label, Note: per.Note, Selected: i == 0})
		if pre, ok := prefilled(o.NationalID); per.ID == o.AutoPerson || o.AutoPerson == "" && ok && per.ID == pre.ID {
			p.Persons[0].Selected, p.Persons[i].Selected = false, true
		}
	}
	p.KYCTimeoutDefault = s.kycTimeout(o).String()
	if per, ok := orderPerson(o); ok {
		for i, a := range per.Accounts {
			label := bankName(a.ClearingHouse, a.BankNumber, a.AccountNumber) + " " + descriptor(a.AccountNumber)
			p.Accounts = append(p.Accounts, views.Option{Value: strconv.Itoa(i), Label: label})
		}
	}
	p.KYCChecks = []views.Option{{Value: "", Label: "passes"},
		{Value: string(ScenarioKYCAbortUnderage), Label: "abort: underage"},
		{Value: string(ScenarioKYCAbortUnverified), Label: "abort: unverified"}}
	for _, sc := range ScenariosFor(o.Kind) {
		if sc.Name == ScenarioSlowAPI || sc.Name == ScenarioKYCAbortUnderage || sc.Name == ScenarioKYCAbortUnverified {
			continue // decided before this step
		}
		p.Scenarios = append(p.Scenarios, views.Option{Value: string(sc.Name), Label: string(sc.Name) + ": " + sc.Description,
			Selected: sc.Name == o.Scenario})
	}
	return p
}
