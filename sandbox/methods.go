package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/trustly-cashier/cashier/trustly"
)

var checkoutAttrs = []string{"Currency", "Amount", "SuggestedMinAmount", "SuggestedMaxAmount", "Firstname",
	"Lastname", "Email", "MobilePhone", "Country", "Locale", "ShopperStatement", "IP", "SuccessURL", "FailURL",
	"URLTarget", "TemplateURL", "NationalIdentificationNumber", "UnchangeableNationalIdentificationNumber",
	"AccountID", "RequestKYC", "HoldNotifications", "IntegrationModule", "URLScheme", "ReturnToAppURL", "Method",
	"DateOfBirth", "ExternalReference", "MerchantCategoryCode", "PSPMerchant", "PSPMerchantURL",
	"ShippingAddressCountry", "ShippingAddressPostalCode", "ShippingAddressPostalcode", "ShippingAddressCity",
	"ShippingAddressLine1", "ShippingAddressLine2", "ShippingAddress", "RecipientInformation",
	"RequestDirectDebitMandate", "QuickDeposit", "ChargeAccountID"}

// depositOnlyAttrs are the checkout attributes of a Deposit that SelectAccount
// refuses (623).
var depositOnlyAttrs = []string{"Amount", "Currency", "SuggestedMinAmount", "SuggestedMaxAmount", "ShopperStatement"}

var depositSpec = &methodSpec{
	keys:     []string{"NotificationURL", "EndUserID", "MessageID"},
	required: []string{"NotificationURL", "EndUserID", "MessageID"},
	attrs:    checkoutAttrs,
	attrsReq: []string{"Currency"},
	formats: func(s *Sandbox, c *call) *apiError {
		if aerr := checkCommon(c); aerr != nil {
			return aerr
		}
		cur := c.attr("Currency")
		for _, f := range []string{"Amount", "SuggestedMinAmount", "SuggestedMaxAmount"} {
			if v := c.attr(f); v != "" {
				if _, ok := parseAmount(v, cur); !ok {
					return fail(trustly.CodeInvalidAmount, f+" must be > 0 with two decimals")
				}
			}
		}
		if !currencies[cur] {
			return fail(trustly.CodeInvalidCurrencyCode, "unsupported Currency "+cur)
		}
		// Amount fixes the amount, the suggested bounds frame one the player types:
		// never both (API.md §4.1), and the bounds the right way round.
		lo, hi := c.attr("SuggestedMinAmount"), c.attr("SuggestedMaxAmount")
		if c.attr("Amount") != "" && (lo != "" || hi != "") {
			return fail(trustly.CodeInvalidOrderAttribute, "Amount is not combined with SuggestedMinAmount or SuggestedMaxAmount")
		}
		if l, _ := parseAmount(lo, cur); hi != "" && lo != "" {
			if h, _ := parseAmount(hi, cur); l > h {
				return fail(trustly.CodeInvalidOrderAttribute, "SuggestedMinAmount is above SuggestedMaxAmount")
			}
		}
		return checkCheckoutAttrs(c)
	},
	run: func(s *Sandbox, ctx context.Context, c *call) (any, *apiError) {
		return s.checkoutOrder(ctx, c, KindDeposit)
	},
}

var selectAccountSpec = &methodSpec{
	keys:     []string{"NotificationURL", "EndUserID", "MessageID"},
	required: []string{"NotificationURL", "EndUserID", "MessageID"},
	attrs:    checkoutAttrs,
	formats: func(s *Sandbox, c *call) *apiError {
		if aerr := checkCommon(c); aerr != nil {
			return aerr
		}
		// No money moves: SelectAccount takes none of a Deposit's amount,
		// currency or statement attributes (API.md §4.5).
		for _, f := range depositOnlyAttrs {
			if c.attrs[f] != nil {
				return fail(trustly.CodeInvalidParameters, "SelectAccount takes no "+f)
			}
		}
		return checkCheckoutAttrs(c)
	},
	run: func(s *Sandbox, ctx context.Context, c *call) (any, *apiError) {
		return s.checkoutOrder(ctx, c, KindSelectAccount)
	},
}

// checkoutOrder creates a Deposit or SelectAccount order and returns its checkout URL.
func (s *Sandbox) checkoutOrder(ctx context.Context, c *call, kind OrderKind) (any, *apiError) {
	kyc, _ := c.flag("RequestKYC")
	auto, _ := c.flag("SandboxAutoComplete")
	dup, _ := c.flag("SandboxDuplicate")
	shuffle, _ := c.flag("SandboxShuffle")
	delay, _ := time.ParseDuration(c.attr("SandboxDelay"))
	kycTimeout, _ := parseKYCTimeout(c.attr("SandboxKYCTimeout"))
	resend, resendAfter, _ := parseKYCResend(c.attr("SandboxKYCResend"))
	person := c.attr("SandboxPerson")
	fixed, _ := c.flag("UnchangeableNationalIdentificationNumber")
	hold, _ := c.flag("HoldNotifications")
	sc := Scenario(c.attr("SandboxScenario"))
	if info, ok := scenarioByName(string(sc)); ok && !info.appliesTo(kind) {
		return nil, fail(trustly.CodeInvalidOrderAttribute, "SandboxScenario "+string(sc)+" does not apply to "+c.method)
	}
	if c.attr("ShopperStatement") == "" && kind == KindDeposit {
		c.log.Warn("Deposit without ShopperStatement")
	}
	// Trustly's model requires them and does not always enforce it (API.md §4.1,
	// D); what a Pay N Play Deposit for an unknown player sends is UNKNOWN (§8).
	for _, f := range []string{"Firstname", "Lastname", "Email"} {
		if c.attr(f) == "" && kind == KindDeposit && !kyc {
			c.log.Warn("Deposit without " + f)
		}
	}
	cur := c.attr("Currency")
	amount, _ := parseAmount(c.attr("Amount"), cur)
	lo, _ := parseAmount(c.attr("SuggestedMinAmount"), cur)
	hi, _ := parseAmount(c.attr("SuggestedMaxAmount"), cur)
	attrs, _ := json.Marshal(c.attrs)
	o := &Order{Kind: kind, Status: StatusCreated, MessageID: c.str("MessageID"), EndUserID: c.str("EndUserID"),
		NotificationURL: c.str("NotificationURL"), Currency: cur, AmountMinor: amount, MinMinor: lo, MaxMinor: hi,
		Locale: c.attr("Locale"), Country: c.attr("Country"), Firstname: c.attr("Firstname"), Lastname: c.attr("Lastname"),
		SuccessURL: c.attr("SuccessURL"), FailURL: c.attr("FailURL"), URLTarget: c.attr("URLTarget"),
		RequestKYC: kyc, AutoComplete: auto, Scenario: sc, ChaosDuplicate: dup, ChaosShuffle: shuffle,
		ChaosDelayMs: delay.Milliseconds(), Token: newToken(), Step: "bank",
		ShopperStatement: c.attr("ShopperStatement"), Attributes: string(attrs), CreatedAt: s.now(),
		KYCTimeoutMs: kycTimeout.Milliseconds(), KYCResend: resend, KYCResendAfterMs: resendAfter.Milliseconds(),
		AutoPerson: person, NationalID: c.attr("NationalIdentificationNumber"), NationalIDFixed: fixed,
		HoldNotifications: hold}
	if p, ok := PersonByID(person); ok && o.Country == "" {
		o.Country = p.Country
	} else if p, ok := prefilled(o.NationalID); ok && o.Country == "" {
		o.Country = p.Country
	}
	var aerr *apiError
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		if aerr = messageIDUsed(tx, o.MessageID); aerr != nil {
			return nil
		}
		if kyc && !s.cfg.PayNPlay {
			aerr = fail(trustly.CodePayAndPlayNotAllowed, "Pay N Play is not enabled for this merchant")
			return nil
		}
		// Trustly offers Pay N Play in a few countries only; a Country left out is
		// picked by the player in the checkout, among them.
		if country := c.attr("Country"); kyc && country != "" && !slices.Contains(trustly.PayNPlayCountries, country) {
			aerr = fail(trustly.CodePayAndPlayNotAllowed, "Pay N Play is not offered in "+country)
			return nil
		}
		if directDebit(c) {
			aerr = fail(trustly.CodeDirectDebitNotAllowed, "Trustly Direct Debit is not enabled for this merchant")
			return nil
		}
		id, err := freshID(tx, &Order{})
		if err != nil {
			return err
		}
		o.ID = id
		if err := tx.Create(o).Error; err != nil {
			return err
		}
		if auto {
			return s.autoFinish(tx, o)
		}
		return nil
	})
	if err != nil {
		return nil, fail(trustly.CodeUnknown, err.Error())
	}
	if aerr != nil {
		return nil, aerr
	}
	s.kick()
	c.log.Info("order created", "order_id", o.ID, "kind", kind, "message_id", o.MessageID, "auto", auto)
	return map[string]any{"orderid": o.ID, "url": s.checkoutURL(o)}, nil
}

// directDebit reports Trustly Direct Debit attributes (API.md §4.1), which the
// sandbox's merchant may not use (712).
func directDebit(c *call) bool {
	mandate, _ := c.flag("RequestDirectDebitMandate")
	quick, _ := c.flag("QuickDeposit")
	return mandate || quick || c.attr("ChargeAccountID") != ""
}

func (s *Sandbox) checkoutURL(o *Order) string {
	q := url.Values{"session": {o.Token}}
	if o.Locale != "" {
		q.Set("locale", o.Locale)
	}
	return s.cfg.BaseURL + "/checkout/" + o.ID + "?" + q.Encode()
}

func newToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func messageIDUsed(tx *gorm.DB, messageID string) *apiError {
	var n int64
	if err := tx.Model(&Order{}).Where("message_id = ? AND kind <> ?", messageID, KindRefund).Count(&n).Error; err != nil {
		return fail(trustly.CodeUnknown, err.Error())
	}
	if n > 0 {
		return fail(trustly.CodeDuplicateMessageID, "MessageID "+messageID+" was used before")
	}
	return nil
}

var accountPayoutSpec = &methodSpec{
	keys:      []string{"NotificationURL", "EndUserID", "MessageID", "AccountID", "Amount", "Currency"},
	required:  []string{"NotificationURL", "EndUserID", "MessageID", "AccountID", "Amount", "Currency"},
	attrs:     []string{"ShopperStatement", "ExternalReference", "PSPMerchant", "PSPMerchantURL", "MerchantCategoryCode", "SenderInformation"},
	messageID: true,
	formats: func(s *Sandbox, c *call) *apiError {
		if aerr := checkCommon(c); aerr != nil {
			return aerr
		}
		if _, ok := parseAmount(c.str("Amount"), c.str("Currency")); !ok {
			return fail(trustly.CodeInvalidAmount, "Amount must be > 0 with two decimals")
		}
		if !currencies[c.str("Currency")] {
			return fail(trustly.CodeInvalidCurrencyCode, "unsupported Currency")
		}
		return checkSandboxAttrs(c)
	},
	run: func(s *Sandbox, ctx context.Context, c *call) (any, *apiError) {
		if c.attr("ShopperStatement") == "" {
			c.log.Warn("AccountPayout without ShopperStatement") // PHP's accountPayout() cannot send it (§12.2)
		}
		amount, _ := parseAmount(c.str("Amount"), c.str("Currency"))
		o := &Order{Kind: KindPayout, Status: StatusAccepted, MessageID: c.str("MessageID"), EndUserID: c.str("EndUserID"),
			NotificationURL: c.str("NotificationURL"), Currency: c.str("Currency"), AmountMinor: amount,
			AccountID: c.str("AccountID"), TransferState: TransferExecuting, ShopperStatement: c.attr("ShopperStatement"),
			Step: "done", CreatedAt: s.now()}
		return s.moneyOut(ctx, c, o, func(tx *gorm.DB) *apiError {
			if aerr := messageIDUsed(tx, o.MessageID); aerr != nil {
				return aerr
			}
			var n int64
			if err := tx.Model(&Account{}).Where("id = ?", o.AccountID).Count(&n).Error; err != nil || n == 0 {
				return fail(trustly.CodeUnknown, "unknown AccountID "+o.AccountID) // what Trustly's test environment answers (§11)
			}
			return nil
		})
	},
}

var refundSpec = &methodSpec{
	keys:     []string{"OrderID", "Amount", "Currency"},
	required: []string{"OrderID", "Amount", "Currency"},
	attrs:    []string{"ExternalReference"},
	formats: func(s *Sandbox, c *call) *apiError {
		if _, ok := parseAmount(c.str("Amount"), c.str("Currency")); !ok {
			return fail(trustly.CodeInvalidAmount, "Amount must be > 0 with two decimals")
		}
		if !currencies[c.str("Currency")] {
			return fail(trustly.CodeInvalidCurrencyCode, "unsupported Currency")
		}
		return checkSandboxAttrs(c)
	},
	run: func(s *Sandbox, ctx context.Context, c *call) (any, *apiError) {
		amount, _ := parseAmount(c.str("Amount"), c.str("Currency"))
		o := &Order{Kind: KindRefund, Status: StatusAccepted, Currency: c.str("Currency"), AmountMinor: amount,
			ParentID: c.str("OrderID"), TransferState: TransferExecuting, Step: "done", CreatedAt: s.now()}
		return s.moneyOut(ctx, c, o, func(tx *gorm.DB) *apiError {
			var dep Order
			err := tx.Where("id = ? AND kind = ?", o.ParentID, KindDeposit).Take(&dep).Error
			if err != nil || dep.Status != StatusCompleted || dep.AmountMinor == 0 {
				return fail(trustly.CodeInvalidOrderID, "no refundable deposit "+o.ParentID)
			}
			var debits int64
			if err := tx.Model(&LedgerEntry{}).Where("reference = ?", "deposit:"+dep.ID+":debit").Count(&debits).Error; err != nil {
				return fail(trustly.CodeUnknown, err.Error())
			}
			if debits > 0 {
				// D1: the deposit did not settle and its money was taken back.
				return fail(trustly.CodeInvalidOrderID, "deposit "+dep.ID+" was debited")
			}
			if dep.Currency != o.Currency {
				return fail(trustly.CodeInvalidCurrencyCode, "the deposit was in "+dep.Currency)
			}
			if dep.RefundedMinor+o.AmountMinor > dep.AmountMinor {
				return fail(trustly.CodeInvalidAmount, "more than the deposit's unrefunded amount")
			}
			dep.RefundedMinor += o.AmountMinor
			if err := tx.Save(&dep).Error; err != nil {
				return fail(trustly.CodeUnknown, err.Error())
			}
			// Trustly queues a refund of a deposit not settled yet (API.md §4.3): its
			// notifications follow the deposit's credit.
			var credit Outbox
			err = tx.Where("order_id = ? AND effect = ? AND fired = ?", dep.ID, EffectDepositCredit, false).
				Order("due_at").Take(&credit).Error
			switch {
			case err == nil:
				o.notBefore = credit.DueAt.Add(s.cfg.StepDelay)
			case !isNotFound(err):
				return fail(trustly.CodeUnknown, err.Error())
			}
			// Refund notifications go to the deposit's NotificationURL and name the deposit.
			o.MessageID, o.EndUserID, o.NotificationURL, o.AccountID = dep.MessageID, dep.EndUserID, dep.NotificationURL, dep.AccountID
			return nil
		})
	},
}

// moneyOut creates a payout or refund after check passes: the merchant balance must
// cover it, it is booked at once, and its notifications are scheduled.
func (s *Sandbox) moneyOut(ctx context.Context, c *call, o *Order, check func(tx *gorm.DB) *apiError) (any, *apiError) {
	o.Scenario = Scenario(c.attr("SandboxScenario"))
	if info, ok := scenarioByName(string(o.Scenario)); ok && !info.appliesTo(o.Kind) {
		return nil, fail(trustly.CodeInvalidOrderAttribute, "SandboxScenario "+string(o.Scenario)+" does not apply to "+c.method)
	}
	if o.Scenario == "" && o.Kind == KindPayout {
		o.Scenario = s.PayoutScenario()
	}
	o.ChaosDuplicate, _ = c.flag("SandboxDuplicate")
	o.ChaosShuffle, _ = c.flag("SandboxShuffle")
	d, _ := time.ParseDuration(c.attr("SandboxDelay"))
	o.ChaosDelayMs = d.Milliseconds()
	attrs, _ := json.Marshal(c.attrs)
	o.Attributes = string(attrs)
	var aerr *apiError
	result := "1"
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		if aerr = check(tx); aerr != nil {
			return errRollback
		}
		id, err := freshID(tx, &Order{})
		if err != nil {
			return err
		}
		o.ID = id
		if o.Scenario == ScenarioPayoutRejected {
			// Trustly keeps a refused payout's MessageID (a resend gets 637, API.md
			// §6.1): the order is stored, FAILED for GetWithdrawals, and moves no
			// money, so AccountLedger has no row for its MessageID.
			o.Status, o.TransferState, result = StatusRejected, TransferFailed, "0"
			return tx.Create(o).Error
		}
		bal, err := balance(tx, o.Currency)
		if err != nil {
			return err
		}
		if bal < o.AmountMinor {
			aerr = fail(trustly.CodeInsufficientFunds, "merchant balance "+formatAmount(bal)+" "+o.Currency)
			return errRollback
		}
		if err := tx.Create(o).Error; err != nil {
			return err
		}
		err = book(tx, LedgerEntry{Reference: string(o.Kind) + ":" + o.ID, OrderID: o.publicID(), MessageID: o.MessageID,
			EndUserID: o.EndUserID, AccountName: "SUSPENSE_ACCOUNT_CLIENT_FUNDS_SANDBOX", TransactionType: c.method,
			Currency: o.Currency, AmountMinor: -o.AmountMinor, Datestamp: s.now()})
		if err != nil {
			return err
		}
		return s.enqueue(tx, o, s.payoutNotes(o))
	})
	if aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, fail(trustly.CodeUnknown, err.Error())
	}
	s.kick()
	c.log.Info("money out accepted", "order_id", o.ID, "kind", o.Kind, "message_id", o.MessageID, "result", result)
	return map[string]any{"orderid": o.publicID(), "result": result}, nil
}

type rollback struct{}

func (rollback) Error() string { return "rollback" }

var errRollback error = rollback{}

var registerAccountSpec = &methodSpec{
	keys:     []string{"EndUserID", "ClearingHouse", "BankNumber", "AccountNumber", "Firstname", "Lastname"},
	required: []string{"EndUserID", "ClearingHouse", "AccountNumber", "Firstname"},
	present:  []string{"BankNumber", "Lastname"},
	attrs: []string{"DateOfBirth", "MobilePhone", "NationalIdentificationNumber", "Email", "AddressCountry",
		"AddressPostalCode", "AddressPostalcode", "AddressCity", "AddressLine1", "AddressLine2", "Address"},
	formats: func(s *Sandbox, c *call) *apiError {
		if !identifier(c.str("EndUserID")) {
			return fail(trustly.CodeMalformedEndUserID, "EndUserID is malformed")
		}
		if !knownClearingHouse(c.str("ClearingHouse")) {
			return fail(trustly.CodeInvalidParameters, "unknown ClearingHouse "+c.str("ClearingHouse"))
		}
		return nil
	},
	run: func(s *Sandbox, ctx context.Context, c *call) (any, *apiError) {
		b := BankAccount{ClearingHouse: c.str("ClearingHouse"), BankNumber: normalizeAccount(c.str("BankNumber")),
			AccountNumber: normalizeAccount(c.str("AccountNumber"))}
		if !validAccount(b.ClearingHouse, b.BankNumber, b.AccountNumber) {
			return nil, fail(trustly.CodeInvalidBankAccountNumber, "invalid account for "+b.ClearingHouse)
		}
		var acc *Account
		err := s.writeTx(ctx, func(tx *gorm.DB) (err error) {
			acc, err = s.ensureAccount(tx, b, c.str("Firstname"), c.str("Lastname"), c.str("EndUserID"))
			return err
		})
		if err != nil {
			return nil, fail(trustly.CodeUnknown, err.Error())
		}
		return map[string]any{"accountid": acc.ID, "clearinghouse": acc.ClearingHouse, "bank": acc.Bank,
			"descriptor": acc.Descriptor}, nil
	},
}

var getWithdrawalsSpec = &methodSpec{
	keys:     []string{"OrderID"},
	required: []string{"OrderID"},
	polled:   true,
	run: func(s *Sandbox, ctx context.Context, c *call) (any, *apiError) {
		id := c.str("OrderID")
		var orders []Order
		err := s.db.WithContext(ctx).Where("(id = ? AND kind = ?) OR (parent_id = ? AND kind = ?)", id, KindPayout, id, KindRefund).
			Order("created_at, id").Find(&orders).Error
		if err != nil {
			return nil, fail(trustly.CodeUnknown, err.Error())
		}
		if len(orders) == 0 {
			return nil, fail(trustly.CodeInvalidOrderID, "no payout or refund with OrderID "+id)
		}
		out := []any{}
		for _, o := range orders {
			out = append(out, map[string]any{"orderid": o.publicID(), "reference": o.ID, "accountid": o.AccountID,
				"amount": formatAmount(o.AmountMinor), "currency": o.Currency,
				"datestamp": trustly.FormatTimestamp(o.CreatedAt), "modificationdate": trustly.FormatTimestamp(o.UpdatedAt),
				"transferstate": o.TransferState, "eta": ""})
		}
		return out, nil
	},
}

var accountLedgerSpec = &methodSpec{
	keys:     []string{"FromDate", "ToDate", "Currency"},
	required: []string{"FromDate", "ToDate"},
	formats: func(s *Sandbox, c *call) *apiError {
		from, ok1 := validDate(c.str("FromDate"))
		to, ok2 := validDate(c.str("ToDate"))
		if !ok1 || !ok2 || to.Before(from) {
			return fail(trustly.CodeInvalidParameters, "FromDate and ToDate must be YYYY-MM-DD, FromDate first")
		}
		if cur := c.str("Currency"); cur != "" && !currencies[cur] {
			return fail(trustly.CodeInvalidCurrencyCode, "unsupported Currency")
		}
		return nil
	},
	// ToDate is exclusive; a missing or null Currency means every currency.
	run: func(s *Sandbox, ctx context.Context, c *call) (any, *apiError) {
		from, _ := validDate(c.str("FromDate"))
		to, _ := validDate(c.str("ToDate"))
		q := s.db.WithContext(ctx).Where("datestamp >= ? AND datestamp < ?", from, to)
		if cur := c.str("Currency"); cur != "" {
			q = q.Where("currency = ?", cur)
		}
		var entries []LedgerEntry
		if err := q.Order("datestamp, id").Find(&entries).Error; err != nil {
			return nil, fail(trustly.CodeUnknown, err.Error())
		}
		if s.LedgerGlitch() {
			entries = glitch(entries)
		}
		out := []any{}
		for _, e := range entries {
			out = append(out, map[string]any{"userid": "1000000001", "datestamp": trustly.FormatTimestamp(e.Datestamp),
				"orderid": e.OrderID, "accountname": e.AccountName, "messageid": e.MessageID,
				"transactiontype": e.TransactionType, "currency": e.Currency, "amount": ledgerAmount(e.AmountMinor),
				"gluepayid": e.OrderID})
		}
		return out, nil
	},
}

// ledgerAmount writes an AccountLedger amount as Trustly does, with twenty decimals:
// "-5.00000000000000000000" (API.md §4.7).
func ledgerAmount(minor int64) string { return formatAmount(minor) + "000000000000000000" }

// glitch is Config.LedgerGlitch: of the entries naming an order, the first is left
// out and the last listed twice, when there are at least two.
func glitch(entries []LedgerEntry) []LedgerEntry {
	first, last := -1, -1
	for i, e := range entries {
		if e.MessageID != "" || e.OrderID != "" {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 || first == last {
		return entries
	}
	out := make([]LedgerEntry, 0, len(entries))
	for i, e := range entries {
		if i == first {
			continue
		}
		out = append(out, e)
		if i == last {
			out = append(out, e)
		}
	}
	return out
}

var balanceSpec = &methodSpec{
	polled: true,
	run: func(s *Sandbox, ctx context.Context, c *call) (any, *apiError) {
		var rows []struct {
			Currency string
			S        int64
		}
		err := s.db.WithContext(ctx).Model(&LedgerEntry{}).Select("currency, SUM(amount_minor) AS s").
			Group("currency").Scan(&rows).Error
		if err != nil {
			return nil, fail(trustly.CodeUnknown, err.Error())
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].Currency < rows[j].Currency })
		out := []any{}
		for _, r := range rows {
			out = append(out, map[string]any{"currency": r.Currency, "balance": formatAmount(r.S)})
		}
		return out, nil
	},
}
