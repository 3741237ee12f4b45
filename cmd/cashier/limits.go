package main

import (
	"fmt"
	"sort"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/internal/strictjson"
	"github.com/trustly-cashier/cashier/models"
)

// limitsText is one currency's entry in CASHIER_LIMITS, amounts as decimal text:
//
//	{"SEK": {"deposit": ["10", "10000"], "payout": ["50", "25000"],
//	         "approval_above": "5000", "approval_two_person_above": "20000",
//	         "refund_operator_max": "1000", "quick_picks": ["100", "250", "500"]}}
//
// Anything left out keeps its default (cashier.Config.LimitsFor).
type limitsText struct {
	Deposit       []string `json:"deposit"`
	Payout        []string `json:"payout"`
	ApprovalAbove string   `json:"approval_above"`
	// TwoPersonAbove: payouts above it need two staff members' approvals; "0" turns
	// it off.
	TwoPersonAbove string `json:"approval_two_person_above"`
	// RefundOperatorMax: the most an operator may refund of one deposit, all its
	// refunds together; finance members refund any amount. "0": operators make no
	// refunds.
	RefundOperatorMax string   `json:"refund_operator_max"`
	QuickPicks        []string `json:"quick_picks"`
}

// parseLimits reads CASHIER_LIMITS. Every amount must be valid for its currency and
// every range must have a positive minimum no larger than its maximum.
func parseLimits(text string) (map[string]cashier.Limits, error) {
	if text == "" {
		return nil, nil
	}
	var raw map[string]limitsText
	if err := strictjson.Decode(text, &raw); err != nil {
		return nil, fmt.Errorf("CASHIER_LIMITS is not JSON of the documented shape: %w", err)
	}
	currencies := make([]string, 0, len(raw))
	for c := range raw {
		currencies = append(currencies, c)
	}
	sort.Strings(currencies)
	out := map[string]cashier.Limits{}
	for _, cur := range currencies {
		if !models.ValidCurrency(cur) {
			return nil, fmt.Errorf("CASHIER_LIMITS: unknown currency %q", cur)
		}
		l, t := cashier.Config{}.LimitsFor(cur), raw[cur]
		money := func(what, s string) (models.Money, error) {
			m, err := models.ParseMoney(s, cur)
			if err != nil {
				return m, fmt.Errorf("CASHIER_LIMITS %s %s: %w", cur, what, err)
			}
			return m, nil
		}
		rng := func(what string, pair []string, lo, hi *models.Money) error {
			if pair == nil {
				return nil
			}
			if len(pair) != 2 {
				return fmt.Errorf("CASHIER_LIMITS %s %s: want [min, max]", cur, what)
			}
			var err error
			if *lo, err = money(what+" min", pair[0]); err != nil {
				return err
			}
			if *hi, err = money(what+" max", pair[1]); err != nil {
				return err
			}
			if !lo.Positive() || lo.Minor > hi.Minor {
				return fmt.Errorf("CASHIER_LIMITS %s %s: want 0 < min ≤ max", cur, what)
			}
			return nil
		}
		if err := rng("deposit", t.Deposit, &l.MinDeposit, &l.MaxDeposit); err != nil {
			return nil, err
		}
		if err := rng("payout", t.Payout, &l.MinPayout, &l.MaxPayout); err != nil {
			return nil, err
		}
		if t.ApprovalAbove != "" {
			var err error
			if l.ApprovalAbove, err = money("approval_above", t.ApprovalAbove); err != nil {
				return nil, err
			}
		}
		if t.TwoPersonAbove != "" {
			var err error
			if l.TwoPersonAbove, err = money("approval_two_person_above", t.TwoPersonAbove); err != nil {
				return nil, err
			}
		}
		// Checked on the values in force, defaults included.
		if l.TwoPersonAbove.Minor != 0 && l.TwoPersonAbove.Minor < l.ApprovalAbove.Minor {
			return nil, fmt.Errorf("CASHIER_LIMITS %s approval_two_person_above (%s) is below approval_above (%s); "+
				"\"approval_two_person_above\": \"0\" turns two-person approval off", cur, l.TwoPersonAbove, l.ApprovalAbove)
		}
		if t.RefundOperatorMax != "" {
			var err error
			if l.RefundOperatorMax, err = money("refund_operator_max", t.RefundOperatorMax); err != nil {
				return nil, err
			}
		}
		if t.QuickPicks == nil {
			// The default picks the deposit range leaves: a button refused at every
			// press is no quick pick.
			picks := l.QuickPicks[:0:0]
			for _, m := range l.QuickPicks {
				if m.Minor >= l.MinDeposit.Minor && m.Minor <= l.MaxDeposit.Minor {
					picks = append(picks, m)
				}
			}
			l.QuickPicks = picks
		} else {
			l.QuickPicks = nil
			for _, s := range t.QuickPicks {
				m, err := money("quick_picks", s)
				if err != nil {
					return nil, err
				}
				if m.Minor < l.MinDeposit.Minor || m.Minor > l.MaxDeposit.Minor {
					return nil, fmt.Errorf("CASHIER_LIMITS %s quick pick %s is outside the deposit range", cur, s)
				}
				l.QuickPicks = append(l.QuickPicks, m)
			}
		}
		out[cur] = l
	}
	return out, nil
}
