package sandbox

// Scenario names an outcome the sandbox plays for an order (API.md §13). It is
// chosen in the checkout's "order options" or sent as Attributes.SandboxScenario.
type Scenario string

const (
	ScenarioDepositOK                Scenario = "deposit-ok"                    // pending, credit, account
	ScenarioDepositDelayed           Scenario = "deposit-delayed"               // pending now; credit, account after LateDelay
	ScenarioDepositCancel            Scenario = "deposit-cancel"                // the player abandons: cancel
	ScenarioDepositCreditThenDebit   Scenario = "deposit-credit-then-debit"     // Trustly's D1: pending, credit, account, debit
	ScenarioDepositCreditBeforePend  Scenario = "deposit-credit-before-pending" // credit, pending, account
	ScenarioDepositDuplicateCredit   Scenario = "deposit-duplicate-credit"      // pending, credit, the same credit again, account
	ScenarioDepositAccountUnverified Scenario = "deposit-account-unverified"    // pending, credit, account with verified "0"
	ScenarioSelectOK                 Scenario = "select-ok"                     // account, verified "1"
	ScenarioSelectUnverified         Scenario = "select-unverified"             // account, verified "0"
	ScenarioSelectCancel             Scenario = "select-cancel"                 // cancel
	ScenarioKYCAbortUnderage         Scenario = "kyc-abort-underage"            // kyc with abort "1", abortmessage "underage"; then cancel
	ScenarioKYCAbortUnverified       Scenario = "kyc-abort-unverified"          // kyc with abort "1", abortmessage "unverified"; then cancel
	// ScenarioKYCFinishIgnored: the payer's bank pays although the merchant
	// answered the kyc FINISH (ours, a stand-in: API.md §5.5 leaves what Trustly
	// does after a late or lost answer UNKNOWN): the checkout goes on as after
	// CONTINUE, pending, credit, account, and the deposit is Trustly's to refund.
	ScenarioKYCFinishIgnored    Scenario = "kyc-finish-ignored"
	ScenarioPayoutConfirmed     Scenario = "payout-confirmed"                 // payoutconfirmation; transferstate CONFIRMED
	ScenarioPayoutBounce        Scenario = "payout-bounce-after-confirmation" // payoutconfirmation, then credit; RETURNED
	ScenarioPayoutFailed        Scenario = "payout-failed"                    // payoutfailed, credit; FAILED
	ScenarioPayoutRejected      Scenario = "payout-rejected"                  // result "0", no order effects, no notifications
	ScenarioMerchantUnreachable Scenario = "merchant-unreachable"             // default flow; each notification's first attempts fail
	ScenarioSlowAPI             Scenario = "slow-api"                         // default flow; the API response is held SlowAPIDelay
)

// ScenarioInfo describes a scenario for the checkout and the docs.
type ScenarioInfo struct {
	Name        Scenario
	Kinds       []OrderKind // the order kinds it applies to
	Description string
}

var (
	moneyIn  = []OrderKind{KindDeposit}
	moneyOut = []OrderKind{KindPayout, KindRefund}
	checkout = []OrderKind{KindDeposit, KindSelectAccount}
	all      = []OrderKind{KindDeposit, KindSelectAccount, KindPayout, KindRefund}
)

// Scenarios lists every scenario; the first one applying to a kind is its default.
var Scenarios = []ScenarioInfo{
	{ScenarioDepositOK, moneyIn, "Deposit succeeds: pending, credit, account."},
	{ScenarioDepositDelayed, moneyIn, "pending now, credit and account after the late delay (default 2 minutes)."},
	{ScenarioDepositCancel, moneyIn, "The player abandons the checkout: cancel."},
	{ScenarioDepositCreditThenDebit, moneyIn, "D1: complete order but fail and debit immediately after crediting: pending, credit, account, debit."},
	{ScenarioDepositCreditBeforePend, moneyIn, "credit arrives before pending: credit, pending, account."},
	{ScenarioDepositDuplicateCredit, moneyIn, "The credit is delivered twice with the same notificationid: pending, credit, credit, account."},
	{ScenarioDepositAccountUnverified, moneyIn, "Deposit succeeds, but the bank has not verified the account it came from: pending, credit, account with verified 0."},
	{ScenarioSelectOK, []OrderKind{KindSelectAccount}, "Account selected and verified: account with verified 1."},
	{ScenarioSelectUnverified, []OrderKind{KindSelectAccount}, "Account selected but not verified: account with verified 0."},
	{ScenarioSelectCancel, []OrderKind{KindSelectAccount}, "The player abandons the account selection: cancel."},
	{ScenarioKYCAbortUnderage, checkout, "Pay N Play: Trustly stops an underage player: kyc with abort, then cancel."},
	{ScenarioKYCAbortUnverified, checkout, "Pay N Play: Trustly cannot verify the player: kyc with abort, then cancel."},
	{ScenarioKYCFinishIgnored, moneyIn, "Pay N Play: the bank pays although the kyc was answered FINISH: pending, credit, account, as after CONTINUE."},
	{ScenarioPayoutConfirmed, moneyOut, "Payout sent: payoutconfirmation; transferstate CONFIRMED."},
	{ScenarioPayoutBounce, moneyOut, "Payout confirmed, then bounced: payoutconfirmation, credit; transferstate RETURNED."},
	{ScenarioPayoutFailed, moneyOut, "Payout failed: payoutfailed, credit; transferstate FAILED."},
	{ScenarioPayoutRejected, []OrderKind{KindPayout}, "AccountPayout answered with result 0: nothing happens."},
	{ScenarioMerchantUnreachable, all, "Default outcome, but the first attempts of each notification fail as if the merchant were down."},
	{ScenarioSlowAPI, all, "Default outcome, but the API response is held past the client's timeout (the order exists)."},
}

func scenarioByName(name string) (ScenarioInfo, bool) {
	for _, sc := range Scenarios {
		if string(sc.Name) == name {
			return sc, true
		}
	}
	return ScenarioInfo{}, false
}

// appliesTo reports whether sc can run on an order of kind k.
func (sc ScenarioInfo) appliesTo(k OrderKind) bool {
	for _, x := range sc.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// ScenariosFor lists the scenarios that apply to an order kind, default first.
func ScenariosFor(k OrderKind) []ScenarioInfo {
	var out []ScenarioInfo
	for _, sc := range Scenarios {
		if sc.appliesTo(k) {
			out = append(out, sc)
		}
	}
	return out
}

// defaultScenario is what an order of kind k does when nothing was chosen.
func defaultScenario(k OrderKind) Scenario {
	return ScenariosFor(k)[0].Name
}

// outcome reduces a scenario to the money flow it plays: merchant-unreachable and
// slow-api play the kind's default flow.
func outcome(sc Scenario, k OrderKind) Scenario {
	switch sc {
	case "", ScenarioMerchantUnreachable, ScenarioSlowAPI:
		return defaultScenario(k)
	}
	return sc
}
