package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/trustly-cashier/cashier/sandbox/views"
	"github.com/trustly-cashier/cashier/trustly"
)

// The sandbox's own pages: every order, and per order every notification and
// delivery attempt with the merchant's answer. They are for developers and show
// what Trustly never shows anyone: the notifications as sent, the merchant's
// answers and the checkout links. So they ask for Config.AdminPassword when it is
// set (the commands refuse a non-loopback address without one), are never framed,
// and their forms refuse a request from another origin. The notification URL is
// shown with its last path segment, the merchant's secret token, masked.

func (s *Sandbox) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "sandbox/", http.StatusFound)
	})
	sameOrigin := http.NewCrossOriginProtection()
	sameOrigin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderAdmin(w, r, http.StatusForbidden, views.Message("Not allowed", "This form can only be sent from the sandbox's own page."))
	}))
	mux.Handle("GET /sandbox/{$}", s.ownHost(s.adminOnly(http.HandlerFunc(s.ordersPage))))
	mux.Handle("GET /sandbox/orders/{id}", s.ownHost(s.adminOnly(http.HandlerFunc(s.orderPage))))
	mux.Handle("POST /sandbox/payout-scenario", s.ownHost(sameOrigin.Handler(s.adminOnly(http.HandlerFunc(s.setPayoutScenario)))))
	mux.Handle("POST /sandbox/ledger-glitch", s.ownHost(sameOrigin.Handler(s.adminOnly(http.HandlerFunc(s.setLedgerGlitch)))))
	mux.Handle("POST /sandbox/orders/{id}/fire", s.ownHost(sameOrigin.Handler(s.adminOnly(http.HandlerFunc(s.fireHeld)))))
}

// ownHost answers h, without Config.AdminPassword, only on the sandbox's own host
// name (Config.BaseURL's), localhost or an IP address, and any other with 421.
// Without a password the pages are open (on loopback), and a web page whose name
// its owner points at 127.0.0.1 after it loaded (DNS rebinding) is same-origin
// with itself: it could read every order's checkout link and send the forms,
// which CrossOriginProtection lets through when Origin and Host agree. Such a
// page always comes under a name of its own, never an address. With a password,
// which a browser never sends to another origin, any host is served, as behind
// a proxy that sends the upstream's name as Host.
func (s *Sandbox) ownHost(h http.Handler) http.Handler {
	if s.cfg.AdminPassword != "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		own := ""
		if u, err := url.Parse(s.cfg.BaseURL); err == nil { // read now: SetBaseURL may change it after New
			own = u.Hostname()
		}
		host := r.Host
		if name, _, err := net.SplitHostPort(host); err == nil {
			host = name
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if _, err := netip.ParseAddr(host); err != nil && !strings.EqualFold(host, "localhost") && !strings.EqualFold(host, own) {
			s.renderAdmin(w, r, http.StatusMisdirectedRequest, views.Message("Not on this host",
				"The sandbox's pages answer only at its own address: "+s.cfg.BaseURL+"/sandbox/"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// adminOnly asks for Config.AdminPassword, when there is one, before h. The
// comparison takes the same time whatever the password given.
func (s *Sandbox) adminOnly(h http.Handler) http.Handler {
	if s.cfg.AdminPassword == "" {
		return h
	}
	want := sha256.Sum256([]byte(s.cfg.AdminPassword))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, password, ok := r.BasicAuth()
		got := sha256.Sum256([]byte(password))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="Trustly sandbox", charset="UTF-8"`)
			s.renderAdmin(w, r, http.StatusUnauthorized, views.Message("Password required",
				"The sandbox's pages need its admin password; any user name will do."))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// renderAdmin renders one of the sandbox's own pages: unlike the checkout, never
// in a frame, never cached, never named in a Referer.
func (s *Sandbox) renderAdmin(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		s.log.Error("render page", "path", r.URL.Path, "err", err)
	}
}

// maskToken is a notification URL with its last path segment, where a merchant
// keeps its secret token, reduced to its first four characters (none when it is
// shorter than 16), and without query or user info: "http://localhost:3000/trustly/notify/3f9a****".
func maskToken(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(not shown)"
	}
	path := strings.TrimRight(u.Path, "/")
	i := strings.LastIndex(path, "/")
	last := path[i+1:]
	if last == "" {
		return u.Scheme + "://" + u.Host + "/"
	}
	shown := ""
	if len(last) >= 16 {
		shown = last[:4]
	}
	return u.Scheme + "://" + u.Host + path[:i+1] + shown + "****"
}

// payoutScenarioLabels name PayoutScenarios on the orders page's form.
var payoutScenarioLabels = map[Scenario]string{
	ScenarioPayoutConfirmed: "confirmed",
	ScenarioPayoutBounce:    "bounce after confirmation",
	ScenarioPayoutFailed:    "failed",
	ScenarioPayoutRejected:  "rejected",
}

// setPayoutScenario is the orders page's "Next payouts" form; adminRoutes
// refuses it from another origin.
func (s *Sandbox) setPayoutScenario(w http.ResponseWriter, r *http.Request) {
	sc := Scenario(r.PostFormValue("scenario"))
	if sc == "" || s.SetPayoutScenario(sc) != nil {
		s.renderAdmin(w, r, http.StatusBadRequest, views.Message("Unknown scenario", "Choose one of the payout outcomes on the orders page."))
		return
	}
	s.log.Info("payout scenario changed", "scenario", sc)
	http.Redirect(w, r, "./", http.StatusSeeOther)
}

// setLedgerGlitch is the orders page's AccountLedger form ("on" or "off");
// adminRoutes refuses it from another origin.
func (s *Sandbox) setLedgerGlitch(w http.ResponseWriter, r *http.Request) {
	switch r.PostFormValue("glitch") {
	case "on":
		s.SetLedgerGlitch(true)
	case "off":
		s.SetLedgerGlitch(false)
	default:
		s.renderAdmin(w, r, http.StatusBadRequest, views.Message("Unknown setting", "Choose how AccountLedger answers on the orders page."))
		return
	}
	s.log.Info("AccountLedger glitch changed", "on", s.LedgerGlitch())
	http.Redirect(w, r, "./", http.StatusSeeOther)
}

// fireHeld is an order page's "Fire held notifications" form; adminRoutes
// refuses it from another origin.
func (s *Sandbox) fireHeld(w http.ResponseWriter, r *http.Request) {
	o, err := s.order(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderAdmin(w, r, http.StatusNotFound, views.Message("Unknown order", "No order "+r.PathValue("id")+"."))
		return
	}
	if _, err := s.FireHeld(r.Context(), o.ID); err != nil {
		s.log.Error("fire held notifications", "order_id", o.ID, "err", err)
		http.Error(w, "database error", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "../"+o.ID, http.StatusSeeOther)
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
	p := views.OrdersPage{PublicKey: string(trustly.PublicKeyPEM(&s.key.PublicKey)), LedgerGlitch: s.LedgerGlitch()}
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
		label := per.Firstname + " " + per.Lastname + ", " + per.Country + ", born " + per.DOB
		if per.PersonID != "" {
			label += ", personid " + per.PersonID
		}
		p.Persons = append(p.Persons, views.Option{Value: per.ID, Label: label, Note: per.Note})
	}
	s.renderAdmin(w, r, http.StatusOK, views.Orders(p))
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
		s.renderAdmin(w, r, http.StatusNotFound, views.Message("Unknown order", "No order "+r.PathValue("id")+"."))
		return
	}
	p := views.OrderPage{ID: o.ID}
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
	if per, ok := orderPerson(o); ok && per.ID == NamedPersonID {
		add("test person", per.ID+" ("+per.Firstname+" "+per.Lastname+", "+namedNote+")")
	} else {
		add("test person", o.PersonID)
	}
	add("bank", o.Bank)
	add("kyc answer", o.KYCAnswer)
	if o.RequestKYC {
		add("kyc timeout", s.kycTimeout(o).String())
	}
	if o.KYCResend {
		add("kyc redelivery after", (time.Duration(o.KYCResendAfterMs) * time.Millisecond).String())
	}
	add("SandboxPerson", o.AutoPerson)
	add("NotificationURL", maskToken(o.NotificationURL))
	add("SuccessURL", o.SuccessURL)
	add("FailURL", o.FailURL)
	add("URLTarget", o.URLTarget)
	if o.HoldNotifications {
		add("HoldNotifications", "1: notifications wait to be fired")
	}
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
		if row.Status == OutboxHeld {
			p.Held++
		}
	}
	s.renderAdmin(w, r, http.StatusOK, views.Order(p))
}
