package limits_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
	"pgregory.net/rapid"
)

// model is the test's own account of one player's limits, kept by the rules as the
// issue states them, independent of how the Service stores and folds changes.
type model struct {
	pol     limits.Policy
	dob     string
	own     map[limits.Period]int64 // the player's own limit in force (0: none)
	pending map[limits.Period]*struct {
		v  int64
		at time.Time
	}
}

// advance applies the raises due at t.
func (m *model) advance(t time.Time) {
	for per, p := range m.pending {
		if p != nil && !t.Before(p.at) {
			m.own[per], m.pending[per] = p.v, nil
		}
	}
}

// limit is the limit in force for per at t (0: none); advance(t) first.
func (m *model) limit(per limits.Period, t time.Time) int64 {
	if v := m.own[per]; v > 0 {
		return v
	}
	return m.pol.Defaults[per] // the test's players are adults
}

// event is one deposit or payout in the history, as it stands at the end.
type event struct {
	id     int64
	at     time.Time
	minor  int64
	payout bool
	limits map[limits.Period]int64 // the limits in force when a deposit started
	// settled is when a deposit was credited or cancelled (zero: still open), and
	// credited which of the two.
	settled  time.Time
	credited bool
}

// TestPropertyLimitsNeverExceeded runs random histories of limit changes, deposits,
// cancels, credits and payouts with random clock steps, on SQLite and PostgreSQL,
// under the SE, NL, default and a rolling policy. Afterwards no period's deposits
// that still count (minus payouts, where the policy counts net) exceed, at any
// deposit's start, the limit in force then; and no deposit was refused that the
// limits in force allowed.
func TestPropertyLimitsNeverExceeded(t *testing.T) {
	policies, err := limits.Parse(`{"DK": {"periods": "rolling", "raise_delay": "36h", "raise_after_period": true}}`)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		rapid.Check(t, func(rt *rapid.T) {
			country := rapid.SampledFrom([]string{"SE", "NL", "DE", "DK"}).Draw(rt, "market")
			c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rapid.IntRange(0, 400*24*3600).Draw(rt, "start")) * time.Second)}
			svc := limits.New(db, policies, c.now)
			seq++
			p := models.Player{EndUserID: fmt.Sprintf("p-prop-%d", seq), Email: fmt.Sprintf("prop%d@example.com", seq),
				FirstName: "A", LastName: "B", Country: country, Currency: models.Markets[country].Currency,
				DateOfBirth: "1980-01-01", CreatedAt: c.t}
			if err := db.Create(&p).Error; err != nil {
				rt.Fatal(err)
			}
			m := &model{pol: policies.For(country), own: map[limits.Period]int64{}, pending: map[limits.Period]*struct {
				v  int64
				at time.Time
			}{}}
			var events []*event
			orders := map[int64]*models.Order{}
			money := func(minor int64) models.Money { return models.Money{Minor: minor, Currency: p.Currency} }

			setLimits := func(wanted map[limits.Period]int64) {
				err := db.Transaction(func(tx *gorm.DB) error {
					_, err := svc.Set(t.Context(), tx, p, p.Currency, wanted)
					return err
				})
				var pr *models.Problem
				if errors.As(err, &pr) {
					return // a required limit removed: refused, nothing changes
				} else if err != nil {
					rt.Fatal(err)
				}
				m.advance(c.t)
				for per, v := range wanted {
					asked := m.own[per]
					if pd := m.pending[per]; pd != nil {
						asked = pd.v
					}
					if v == asked {
						continue
					}
					cur, eff := m.limit(per, c.t), v
					if eff == 0 {
						eff = m.pol.Defaults[per]
					}
					if eff != 0 && (cur == 0 || eff <= cur) {
						m.own[per], m.pending[per] = v, nil
					} else {
						m.pending[per] = &struct {
							v  int64
							at time.Time
						}{v, m.pol.RaiseAt(per, c.t)}
					}
				}
			}
			// Swedes cannot deposit without a limit: most histories start with one.
			if country == "SE" && rapid.Bool().Draw(rt, "first limit") {
				setLimits(map[limits.Period]int64{limits.Day: 50000})
			}

			rt.Repeat(map[string]func(*rapid.T){
				"step": func(rt *rapid.T) {
					steps := []time.Duration{time.Second, time.Hour, 24 * time.Hour, 72*time.Hour - time.Second, 72 * time.Hour}
					d := rapid.SampledFrom(steps).Draw(rt, "step")
					if rapid.Bool().Draw(rt, "random step") {
						d = time.Duration(rapid.IntRange(0, 9*24*3600).Draw(rt, "seconds")) * time.Second
					}
					c.t = c.t.Add(d)
				},
				"limit": func(rt *rapid.T) {
					per := rapid.SampledFrom(limits.Periods).Draw(rt, "period")
					v := int64(rapid.IntRange(0, 30).Draw(rt, "hundreds")) * 10000
					setLimits(map[limits.Period]int64{per: v})
				},
				"deposit": func(rt *rapid.T) {
					m.advance(c.t)
					in := map[limits.Period]int64{}
					headroom := int64(-1)
					for _, per := range limits.Periods {
						in[per] = m.limit(per, c.t)
						if left := in[per] - usedAt(m.pol, events, orders, per, c.t); in[per] > 0 && (headroom < 0 || left < headroom) {
							headroom = left
						}
					}
					amount := int64(rapid.IntRange(1, 150000).Draw(rt, "amount"))
					if headroom > 0 && rapid.Bool().Draw(rt, "at the edge") {
						// Exactly what is left, or a cent more.
						amount = headroom + int64(rapid.IntRange(0, 1).Draw(rt, "cent"))
					}
					o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
						PlayerID: p.ID, Amount: money(amount), CreatedAt: c.t.UTC()}
					o.Refresh()
					err := db.Transaction(func(tx *gorm.DB) error {
						if err := svc.Reserve(t.Context(), tx, p, o.Amount, o.CreatedAt); err != nil {
							return err
						}
						return tx.Create(&o).Error
					})
					var pr *models.Problem
					switch {
					case errors.As(err, &pr):
						if allowed(m, events, orders, in, c.t, amount) {
							rt.Fatalf("deposit of %d at %s refused (%s) though the limits %v allowed it", amount, c.t, pr.Message, in)
						}
						return
					case err != nil:
						rt.Fatal(err)
					}
					orders[o.ID] = &o
					events = append(events, &event{id: o.ID, at: o.CreatedAt, minor: amount, limits: in})
				},
				"cancel": func(rt *rapid.T) { settle(rt, db, orders, events, c.t, true) },
				"credit": func(rt *rapid.T) { settle(rt, db, orders, events, c.t, false) },
				"payout": func(rt *rapid.T) {
					amount := int64(rapid.IntRange(1, 100000).Draw(rt, "payout"))
					sent := c.t.UTC()
					o := models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout,
						PlayerID: p.ID, Amount: money(amount), SentAt: &sent, CreatedAt: sent}
					o.Refresh()
					if err := db.Create(&o).Error; err != nil {
						rt.Fatal(err)
					}
					events = append(events, &event{id: o.ID, at: sent, minor: amount, payout: true})
				},
			})

			for i, d := range events {
				if d.payout || orders[d.id].Status == models.OrderFailed {
					continue
				}
				for _, per := range limits.Periods {
					if d.limits[per] == 0 {
						continue
					}
					if used := usedAt(m.pol, events[:i+1], orders, per, d.at); used > d.limits[per] {
						rt.Fatalf("%s %s period holding %s: %d counted, limit in force then %d", country, per, d.at, used, d.limits[per])
					}
				}
			}
		})
	})
}

// usedAt is what counts against per's limit at t from the events: deposits not
// failed (now) created in the period, credited in it, or still open at t (of those
// started since limits.Margin before the earliest period), and, where the policy
// counts net, less payouts.
func usedAt(pol limits.Policy, events []*event, orders map[int64]*models.Order, per limits.Period, t time.Time) int64 {
	start, end := pol.Window(per, t)
	within := func(at time.Time) bool { return !at.Before(start) && at.Before(end) && !at.After(t) }
	earliest := t
	for _, p := range limits.Periods {
		if s, _ := pol.Window(p, t); s.Before(earliest) {
			earliest = s
		}
	}
	used := int64(0)
	for _, e := range events {
		switch {
		case e.at.After(t), e.at.Before(earliest.Add(-limits.Margin)):
		case e.payout:
			if pol.Net && within(e.at) {
				used -= e.minor
			}
		case orders[e.id].Status == models.OrderFailed:
		case within(e.at), e.credited && within(e.settled), e.settled.IsZero() || e.settled.After(t):
			used += e.minor
		}
	}
	return used
}

// allowed reports whether the limits in force let a deposit of amount start at t.
func allowed(m *model, events []*event, orders map[int64]*models.Order, in map[limits.Period]int64, t time.Time, amount int64) bool {
	anyOwn := false
	for _, v := range m.own {
		anyOwn = anyOwn || v > 0
	}
	if m.pol.RequireOne && !anyOwn {
		return false
	}
	for _, per := range limits.Periods {
		if in[per] > 0 && usedAt(m.pol, events, orders, per, t)+amount > in[per] {
			return false
		}
	}
	return true
}

// settle cancels (or credits) a random deposit still pending.
func settle(rt *rapid.T, db *gorm.DB, orders map[int64]*models.Order, events []*event, now time.Time, cancel bool) {
	var open []int64
	for id, o := range orders {
		if o.Status == models.OrderCreated {
			open = append(open, id)
		}
	}
	if len(open) == 0 {
		rt.Skip("no pending deposit")
	}
	slices.Sort(open)
	o := orders[rapid.SampledFrom(open).Draw(rt, "order")]
	at := now.UTC()
	if cancel {
		o.CancelledAt = &at
	} else {
		o.CreditedAt = &at
	}
	o.Refresh()
	if err := db.Save(o).Error; err != nil {
		rt.Fatal(err)
	}
	for _, e := range events {
		if e.id == o.ID && !e.payout {
			e.settled, e.credited = at, !cancel
		}
	}
}
