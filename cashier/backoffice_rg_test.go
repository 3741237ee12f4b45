package cashier_test

import (
	"errors"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestFlaggedLimitRaises: on both databases, a flagged deposit-limit raise is on
// the flagged list with its player's email until an operator resolves it (once;
// a viewer may not; an unknown change is ErrLimitChangeNotFound), and the
// player's profile carries the limit changes with the resolution and the break in
// force.
func TestFlaggedLimitRaises(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		now := time.Now().UTC()
		raise := limits.Change{PlayerID: p.ID, Currency: "SEK", Period: limits.Month, AmountMinor: 2000000, PreviousMinor: 500000,
			RequestedAt: now, EffectiveAt: now.Add(72 * time.Hour), Flag: "a raise above 10 000 SEK a month"}
		plain := limits.Change{PlayerID: p.ID, Currency: "SEK", Period: limits.Day, AmountMinor: 100000, RequestedAt: now, EffectiveAt: now}
		if err := db.Create(&raise).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&plain).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.TakeBreak(e.ctx, p, "", breaks.TimeOut24h); err != nil {
			t.Fatal(err)
		}
		op, viewer := e.staff(staff.RoleOperator), e.staff(staff.RoleViewer)

		list, err := e.svc.FlaggedList(e.ctx, viewer)
		if err != nil || len(list.Raises) != 1 || list.Raises[0].ID != raise.ID || list.Raises[0].PlayerEmail != p.Email {
			t.Fatalf("flagged list raises %+v, %v; want the raise with %s", list.Raises, err, p.Email)
		}
		if _, err := e.svc.ResolveLimitRaise(e.ctx, viewer, raise.ID, "looked"); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("a viewer resolving: %v; want ErrNotAllowed", err)
		}
		if _, err := e.svc.ResolveLimitRaise(e.ctx, op, plain.ID, "looked"); problem(err) == "" {
			t.Errorf("resolving a change without a flag: %v; want a problem", err)
		}
		if _, err := e.svc.ResolveLimitRaise(e.ctx, op, 987654, "looked"); !errors.Is(err, cashier.ErrLimitChangeNotFound) {
			t.Errorf("an unknown change: %v; want ErrLimitChangeNotFound", err)
		}
		r, err := e.svc.ResolveLimitRaise(e.ctx, op, raise.ID, "affordability checked")
		if err != nil || r.LimitChangeID != raise.ID || r.Flag != raise.Flag {
			t.Fatalf("resolve: %+v, %v", r, err)
		}
		if _, err := e.svc.ResolveLimitRaise(e.ctx, op, raise.ID, "again"); problem(err) == "" {
			t.Errorf("resolving twice: %v; want a problem", err)
		}
		if list, err := e.svc.FlaggedList(e.ctx, viewer); err != nil || len(list.Raises) != 0 {
			t.Errorf("after the resolution: %d raises listed, %v; want none", len(list.Raises), err)
		}

		prof, err := e.svc.PlayerProfile(e.ctx, viewer, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		rg := prof.RG
		if len(rg.Limits.History) != 2 || rg.Resolutions[raise.ID].Note != "affordability checked" || len(rg.Resolutions) != 1 {
			t.Errorf("profile: %d changes, resolutions %+v; want 2 and the raise's", len(rg.Limits.History), rg.Resolutions)
		}
		if rg.Break == nil || rg.Break.Kind != breaks.TimeOut24h || len(rg.Breaks) != 1 {
			t.Errorf("profile: break %+v, %d breaks; want the 24-hour time-out", rg.Break, len(rg.Breaks))
		}
	})
}
