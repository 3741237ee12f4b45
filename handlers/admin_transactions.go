package handlers

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // staff pick time zones by name; the binary carries the database

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// The transactions list, its totals and its CSV export. The three read one
// filter form (txForm) the same way, so the export holds exactly the rows the list
// pages through.

const (
	transactionsPath = "/admin/transactions"
	// txPageSize is how many orders a page of the list shows.
	txPageSize = 50
	// exportBatch is how many rows the export reads at a time; only one batch is in
	// memory.
	exportBatch = 500
	// zoneCookie remembers the time zone a member picked, in this browser.
	zoneCookie = "cashier_admin_tz"
)

// zoneChoices are the time zones the filter offers besides the configured one.
var zoneChoices = []string{"UTC", "Europe/Stockholm", "Europe/Helsinki", "Europe/Tallinn", "Europe/Riga",
	"Europe/Vilnius", "Europe/Oslo", "Europe/Copenhagen", "Europe/Berlin", "Europe/Amsterdam", "Europe/Madrid", "Europe/London"}

// loadZone returns the time zone named name; "Local" (the server's) is refused.
func loadZone(name string) (*time.Location, bool) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}

// staffZone is the time zone the member reads and types times in: the one just
// picked (?tz=, remembered in a cookie for /admin), the one picked before, or
// StaffSettings.Zone (CASHIER_ADMIN_TZ, default UTC).
func staffZone(c *fiber.Ctx) *time.Location {
	if loc, ok := loadZone(c.Query("tz")); ok {
		o := storeOf(c).store.Options
		c.Cookie(&fiber.Cookie{Name: zoneCookie, Value: loc.String(), Path: "/admin", Secure: o.Secure, HTTPOnly: true,
			SameSite: fiber.CookieSameSiteStrictMode, MaxAge: 365 * 24 * 60 * 60})
		return loc
	}
	if loc, ok := loadZone(c.Cookies(zoneCookie)); ok {
		return loc
	}
	return storeOf(c).staff.Zone
}

// zoneList is zoneChoices with the configured zone and the one in use.
func zoneList(c *fiber.Ctx, current *time.Location) []string {
	list := slices.Clone(zoneChoices)
	for _, z := range []string{storeOf(c).staff.Zone.String(), current.String()} {
		if !slices.Contains(list, z) {
			list = append(list, z)
		}
	}
	return list
}

// timeIn is t for staff in zone: "2026-01-20 15:42:07".
func timeIn(t time.Time, zone *time.Location) string { return t.In(zone).Format("2006-01-02 15:04:05") }

// csvTime is t in zone with its UTC offset, for the export, which names its zone
// nowhere else: "2026-10-25 02:30:00+01:00". The offset also tells apart the two
// hours a clock going back repeats.
func csvTime(t time.Time, zone *time.Location) string {
	return t.In(zone).Format("2006-01-02 15:04:05-07:00")
}

// txForm reads the filter form from the query string.
func txForm(c *fiber.Ctx, zone *time.Location) views.TxFilterForm {
	return views.TxFilterForm{Kind: c.Query("kind"), Status: c.Query("status"), Player: c.Query("player"),
		Currency: strings.ToUpper(strings.TrimSpace(c.Query("currency"))), From: c.Query("from"), To: c.Query("to"),
		Min: c.Query("min"), Max: c.Query("max"), Search: strings.TrimSpace(c.Query("q")),
		Flagged: c.Query("flagged") == "1", Zone: zone.String()}
}

// txFilter reads the form strictly: a kind and a state from the lists, ids
// positive numbers, a known currency, dates YYYY-MM-DD in the member's zone (To
// includes its whole day), amounts as decimal text in the currency chosen, which
// an amount needs.
func txFilter(in views.TxFilterForm, zone *time.Location) (cashier.TxFilter, error) {
	f := cashier.TxFilter{Kind: models.OrderKind(in.Kind), Status: models.OrderStatus(in.Status), Currency: in.Currency,
		Flagged: in.Flagged, Search: in.Search}
	if in.Kind != "" && !slices.Contains(cashier.TxKinds, f.Kind) {
		return f, models.Problemf("kind", "Choose a kind from the list.")
	}
	if in.Status != "" && !slices.Contains(cashier.TxStatuses, f.Status) {
		return f, models.Problemf("status", "Choose a state from the list.")
	}
	if in.Player != "" {
		id, err := strconv.ParseInt(in.Player, 10, 64)
		if err != nil || id <= 0 {
			return f, models.Problemf("player", "Enter the player as a number such as 42.")
		}
		f.PlayerID = id
	}
	if in.Currency != "" && !models.ValidCurrency(in.Currency) {
		return f, models.Problemf("currency", "Enter a currency code such as SEK or EUR.")
	}
	if len(in.Search) > 254 {
		return f, models.Problemf("q", "Search for one id, email or personid.")
	}
	for _, d := range []struct {
		text string
		to   *time.Time
		add  int
	}{{in.From, &f.From, 0}, {in.To, &f.To, 1}} {
		if d.text == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.text, zone)
		if err != nil {
			return f, models.Problemf("date", "Enter dates as YYYY-MM-DD.")
		}
		*d.to = t.AddDate(0, 0, d.add)
	}
	// An amount is a number of some currency's units: 100 SEK is not 100 EUR, and
	// a currency's decimals say what its minor units are. Without a currency it
	// would match every currency's orders of that number, which nobody means.
	currency := in.Currency
	if currency == "" && (in.Min != "" || in.Max != "") {
		return f, models.Problemf("currency", "Choose a currency to filter by amount: 100 SEK and 100 EUR are different amounts.")
	}
	for _, a := range []struct {
		text string
		to   **int64
	}{{in.Min, &f.MinMinor}, {in.Max, &f.MaxMinor}} {
		if a.text == "" {
			continue
		}
		m, err := models.ParseMoney(a.text, currency)
		if err != nil {
			return f, models.Problemf("amount", "Enter amounts such as 100 or 99.50.")
		}
		*a.to = &m.Minor
	}
	return f, nil
}

// formQuery is the filter as a query string, page aside.
func formQuery(in views.TxFilterForm) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"kind": in.Kind, "status": in.Status, "player": in.Player, "currency": in.Currency,
		"from": in.From, "to": in.To, "min": in.Min, "max": in.Max, "q": in.Search} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if in.Flagged {
		q.Set("flagged", "1")
	}
	return q
}

// noMoneyText is the amount staff read for an account selection and a Pay N
// Play bank login, which move no money: not "0,00 SEK", which reads as a payment
// of nothing, nor a blank.
const noMoneyText = "no money moves"

// amountText is an order's amount for staff, the same on every back-office page.
func amountText(o models.Order) string {
	if o.Kind == models.OrderSelectAccount || o.LoginOnly {
		return noMoneyText
	}
	return o.Amount.Display()
}

// csvAmount is an order's amount in the export, decimal text as at Trustly: ""
// where the pages read "no money moves" (amountText: an account selection, a Pay
// N Play bank login), rather than 0.00, which a program would add up as a payment
// of nothing.
func csvAmount(o models.Order) string {
	if amountText(o) == noMoneyText {
		return ""
	}
	return o.Amount.String()
}

// txRow is an order for the lists. A refund, which has no Trustly orderid of its
// own, shows its deposit's, by which Trustly knows it, marked as the deposit's
// (as its order page does).
func txRow(row cashier.TxRow, zone *time.Location) views.TxRow {
	o := row.Order
	r := views.TxRow{ID: strconv.FormatInt(o.ID, 10), Created: timeIn(o.CreatedAt, zone), Kind: orderKindLabel(o),
		KindCode: string(o.Kind), Status: orderStatusLabel(o), StatusCode: string(o.Status), Amount: amountText(o),
		TrustlyOrderID: o.TrustlyOrderID, MessageID: o.MessageID, Flag: o.Flag, Player: row.PlayerEmail}
	if o.TrustlyOrderID == "" && row.DepositTrustlyOrderID != "" {
		r.TrustlyOrderID, r.TrustlyOrderIDOfParent = row.DepositTrustlyOrderID, true
	}
	if m, ok := o.Credited(); ok && m != o.Amount {
		r.Credited = m.Display()
	}
	if o.PlayerID != 0 {
		r.PlayerID = strconv.FormatInt(o.PlayerID, 10)
		if r.Player == "" {
			r.Player = "#" + r.PlayerID
		}
	}
	return r
}

// txCursor is the keyset of the page after order o, for ?before=: its id, and
// with a date range (where the list is in creation order) "<CreatedAt in Unix
// nanoseconds>_<id>".
func txCursor(f cashier.TxFilter, o models.Order) string {
	id := strconv.FormatInt(o.ID, 10)
	if !f.Dated() {
		return id
	}
	return strconv.FormatInt(o.CreatedAt.UnixNano(), 10) + "_" + id
}

// readTxCursor reads a txCursor into f's keyset; one of the other form, or of no
// form, is a page that does not exist.
func readTxCursor(text string, f *cashier.TxFilter) error {
	at, id, dated := strings.Cut(text, "_")
	if !dated {
		id = at
	}
	var err error
	if f.BeforeID, err = strconv.ParseInt(id, 10, 64); err != nil || f.BeforeID <= 0 || dated != f.Dated() {
		return models.Problemf("", "That page does not exist.")
	}
	if dated {
		nanos, err := strconv.ParseInt(at, 10, 64)
		if err != nil {
			return models.Problemf("", "That page does not exist.")
		}
		f.BeforeAt = time.Unix(0, nanos).UTC()
	}
	return nil
}

// transactionsPage lists every order, newest first, filtered, a page at a time:
// "Older" continues below the last row shown (keyset pagination: by order id, or
// with a date range by creation time and order id).
func transactionsPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		zone := staffZone(c)
		in := txForm(c, zone)
		page := views.AdminTransactionsPage{AdminChrome: adminChrome(c), Filter: in, Zones: zoneList(c, zone)}
		for _, k := range cashier.TxKinds {
			page.Kinds = append(page.Kinds, views.Choice{Value: string(k), Label: kindLabel(k)})
		}
		for _, s := range cashier.TxStatuses {
			page.Statuses = append(page.Statuses, views.Choice{Value: string(s), Label: statusLabel(s)})
		}
		q := formQuery(in)
		page.Export, page.Totals = transactionsPath+".csv?"+q.Encode(), transactionsPath+"/totals?"+q.Encode()
		f, err := txFilter(in, zone)
		if err == nil && c.Query("before") != "" {
			err = readTxCursor(c.Query("before"), &f)
		}
		if problem := asProblem(err); problem != nil {
			page.Problem = problem.Message
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.AdminTransactions(page))
		}
		f.Limit = txPageSize + 1
		rows, err := svc.Transactions(c.UserContext(), currentStaff(c), f)
		if err != nil {
			return err
		}
		if f.BeforeID != 0 {
			page.First = transactionsPath + "?" + q.Encode()
		}
		if len(rows) > txPageSize {
			rows = rows[:txPageSize]
			next := formQuery(in)
			next.Set("before", txCursor(f, rows[len(rows)-1].Order))
			page.Next = transactionsPath + "?" + next.Encode()
		}
		for _, r := range rows {
			page.Rows = append(page.Rows, txRow(r, zone))
		}
		return render(c, views.AdminTransactions(page))
	}
}

// transactionTotals counts and sums the orders of a filter per currency and kind.
// It is its own page: at a million orders the sum of a wide filter reads many
// rows, and the list must not wait for it.
func transactionTotals(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		zone := staffZone(c)
		in := txForm(c, zone)
		page := views.AdminTotalsPage{AdminChrome: adminChrome(c), Back: transactionsPath + "?" + formQuery(in).Encode()}
		f, err := txFilter(in, zone)
		if problem := asProblem(err); problem != nil {
			page.Problem = problem.Message
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.AdminTotals(page))
		}
		totals, err := svc.TransactionTotals(c.UserContext(), currentStaff(c), f)
		if err != nil {
			return err
		}
		for _, t := range totals {
			credited, sum, kind := "—", t.Sum.Display(), kindLabel(t.Kind)
			if t.Kind == models.OrderDeposit && !t.Login {
				credited = t.Credited.Display()
			}
			if t.Kind == models.OrderSelectAccount || t.Login {
				sum = noMoneyText // as amountText says on every other page
			}
			switch {
			case t.Login:
				kind = loginLabel
			case t.Returns:
				kind = returnLabel // no player's money: not a refund
			}
			page.Rows = append(page.Rows, views.TotalRow{Currency: t.Currency, Kind: kind, KindCode: string(t.Kind),
				Count: strconv.FormatInt(t.Count, 10), Sum: sum, Credited: credited})
		}
		return render(c, views.AdminTotals(page))
	}
}

// csvHeader names the export's columns.
// kind_name and status_name, last, name the kind and status as the pages do
// (orderKindLabel, statusLabel): the codes alone make a return of held money a
// refund and a bank login a deposit.
var csvHeader = []string{"order_id", "created", "kind", "status", "amount", "currency", "player_id", "player_email",
	"message_id", "trustly_order_id", "flag", "credited", "deposit_trustly_order_id", "kind_name", "status_name"}

// transactionsCSV streams every order of a filter as CSV, newest first. Rows are
// read exportBatch at a time and written as they come (SetBodyStreamWriter), so
// neither the rows nor the file are ever held in memory whole. Times are in the
// member's zone with their UTC offset (csvTime), amounts decimal text as at
// Trustly: "amount" as asked (empty for an account selection and a Pay N Play
// bank login, csvAmount), "credited" what a deposit's credit booked (empty for
// others). "trustly_order_id" is the order's own, empty for a refund, whose
// deposit's is in the last column, "deposit_trustly_order_id". The export is in
// the audit before its first row is read (cashier.BeginExport); when that row
// cannot be written, the member gets an error page (errExportNotRecorded) and no
// file. A read failing half-way ends the file with a line saying it is incomplete.
func transactionsCSV(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		zone := staffZone(c)
		f, err := txFilter(txForm(c, zone), zone)
		if err != nil {
			return err
		}
		m, reqID := currentStaff(c), requestID(c)
		ctx := context.WithoutCancel(c.UserContext())
		export, err := svc.BeginExport(ctx, m, f)
		if errors.Is(err, cashier.ErrNotRecorded) {
			return errExportNotRecorded // logged by the cashier
		}
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="transactions-`+time.Now().In(zone).Format("20060102-150405")+`.csv"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			out := csv.NewWriter(w)
			_ = out.Write(csvHeader)
			err := export.Run(ctx, exportBatch, func(rows []cashier.TxRow) error {
				for _, r := range rows {
					o := r.Order
					credited := ""
					if m, ok := o.Credited(); ok {
						credited = m.String()
					}
					if err := out.Write([]string{strconv.FormatInt(o.ID, 10), csvTime(o.CreatedAt, zone), string(o.Kind),
						string(o.Status), csvAmount(o), o.Amount.Currency, strconv.FormatInt(o.PlayerID, 10),
						csvCell(r.PlayerEmail), o.MessageID, csvCell(o.TrustlyOrderID), csvCell(o.Flag), credited,
						csvCell(r.DepositTrustlyOrderID), orderKindLabel(o), orderStatusLabel(o)}); err != nil {
						return err
					}
				}
				out.Flush()
				if err := out.Error(); err != nil {
					return err
				}
				return w.Flush() // fails once the client has gone
			})
			if err != nil {
				slog.LogAttrs(ctx, slog.LevelError, "transactions export incomplete", slog.String("request_id", reqID),
					slog.Int64("staff_id", m.ID), slog.String("err", err.Error()))
				_ = out.Write([]string{"# export incomplete: an error stopped it; see the log"})
			}
			out.Flush()
			_ = w.Flush()
		})
		return nil
	}
}

// csvCell keeps a spreadsheet from reading text from outside as a formula: a
// cell starting with a tab or carriage return, or with = + - @ after any spaces,
// tabs and line breaks (spreadsheets that trim cells on import run those too),
// gets a leading apostrophe. It is for text alone: amounts and ids, which may
// start with "-", are written as they are, to stay numbers.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	if strings.ContainsRune("\t\r", rune(s[0])) {
		return "'" + s
	}
	if t := strings.TrimLeft(s, " \t\r\n"); t != "" && strings.ContainsRune("=+-@", rune(t[0])) {
		return "'" + s
	}
	return s
}
