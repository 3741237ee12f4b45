package cashier

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// The player's pages each read what they show with one method here, in one
// read-only transaction (readTx), so a page never shows a balance from one moment
// next to orders or entries from another.

// Summary is what the cashier's home shows about the player's money.
type Summary struct {
	Wallet  models.Money
	Blocked bool // Wallet is below zero: no deposits or payouts until it is settled
	// BelowZero, which explains Blocked, is the order whose booking last took the wallet below
	// zero, or deeper (belowZeroCauses): a deposit the bank returned, or a payout
	// or refund paid after its cancel had given the money back; nil when the
	// wallet is not below zero, or no such booking is known.
	BelowZero *models.Order
	Limits    Limits // for the player's currency
}

// Summary reads the player's Summary.
func (s *Service) Summary(ctx context.Context, player models.Player) (Summary, error) {
	var sum Summary
	err := readTx(ctx, s.db, func(tx *gorm.DB) (err error) {
		sum, err = s.summary(ctx, tx, player)
		return err
	})
	return sum, err
}

func (s *Service) summary(ctx context.Context, tx *gorm.DB, player models.Player) (Summary, error) {
	wallet, err := ledger.New(tx).Balance(ctx, models.PlayerWallet(player.ID), player.Currency)
	if err != nil {
		return Summary{}, fmt.Errorf("summary of player %d: %w", player.ID, err)
	}
	sum := Summary{Wallet: wallet, Blocked: wallet.Minor < 0, Limits: s.cfg.LimitsFor(player.Currency)}
	if sum.Blocked {
		if sum.BelowZero, err = belowZeroCause(ctx, tx, player.ID, player.Currency); err != nil {
			return Summary{}, err
		}
	}
	return sum, nil
}

// Home is what the cashier's home page shows: the Summary, the deposit limits now
// (limits.Service.Current: without their history), the break in force and the
// player's money underway.
type Home struct {
	Summary
	DepositLimits limits.Status
	Break         *breaks.Break // nil: none in force
	// Underway is the player's deposits still waiting for the bank (started with
	// a checkout still usable, or pending: no credit yet) and payouts on their
	// way (sent, the bank's answer not known), newest first, at most
	// underwayLimit, so that a player who left a deposit's result page sees it
	// is not lost. An abandoned checkout is not underway.
	Underway []models.Order
}

// underwayLimit is how many orders underway the cashier's home reads: a few
// lines, not a history.
const underwayLimit = 5

// underway reads Home.Underway on tx in one statement of its own (raw.Each, as
// the page's other reads: through GORM's Find it cost the page ≈ 38 µs, its
// callbacks and the names of the order's 62 columns), from
// idx_orders_player_underway (store.UnderwayWhere, named as the index has it):
// the player's orders in those statuses, whatever their history, less a started
// deposit whose checkout is over (created before checkoutCutoff: what
// CheckoutAbandoned reports, the janitor not yet by). It reads the columns the page's lines need
// (underwayColumns): the order's kind, state and amounts, with its credit and the
// limit its kyc capped it at (models.Order.Brings), and the bank's transfer state
// (PayoutStateText). handlers.TestHotPathPlans checks the plan. A sent payout
// the bank's transfer state already says paid or failed is dropped after reading.
func (s *Service) underway(ctx context.Context, tx *gorm.DB, player models.Player, now time.Time) ([]models.Order, error) {
	var orders []models.Order
	err := raw.Each(ctx, tx, "SELECT "+underwayColumns+" FROM orders WHERE player_id = ? AND "+store.UnderwayWhere+
		" AND kind IN ('deposit', 'payout') AND login_only = ? AND (status <> 'started' OR created_at >= ?)"+
		" ORDER BY created_at DESC, id DESC LIMIT "+strconv.Itoa(underwayLimit),
		[]any{player.ID, false, s.checkoutCutoff(now)}, func(scan func(dest ...any) error) error {
			o := models.Order{PlayerID: player.ID}
			var credited sql.NullTime
			if err := scan(&o.ID, &o.Kind, &o.Status, &o.MessageID, &o.Amount.Minor, &o.Amount.Currency,
				&o.KYCLimitMinor, &o.CreditedMinor, &credited, &o.CreatedAt, &o.TransferState); err != nil {
				return err
			}
			if credited.Valid {
				o.CreditedAt = &credited.Time
			}
			if o.Kind == models.OrderPayout && PayoutStateText(o) != PayoutTextOnItsWay {
				return nil
			}
			orders = append(orders, o)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("orders underway of player %d: %w", player.ID, err)
	}
	return orders, nil
}

// underwayColumns are the orders' columns underway scans, in its order.
const underwayColumns = "id, kind, status, message_id, amount_minor, amount_currency, kyc_limit_minor, credited_minor, " +
	"credited_at, created_at, transfer_state"

// DepositMax is the most a deposit may bring now: the largest deposit the
// player's currency allows, or what the deposit limits leave when that is less
// (never below zero). StartDeposit refuses more; the cashier's form says so.
func (h Home) DepositMax() models.Money {
	hi := h.Limits.MaxDeposit
	if st := h.DepositLimits; st.Limited && st.Remaining.Minor < hi.Minor {
		hi = models.Money{Minor: max(st.Remaining.Minor, 0), Currency: hi.Currency}
	}
	return hi
}

// Home reads the player's Home in one read transaction.
func (s *Service) Home(ctx context.Context, player models.Player) (Home, error) {
	var h Home
	now := s.now()
	err := readTx(ctx, s.db, func(tx *gorm.DB) (err error) {
		if h.Summary, err = s.summary(ctx, tx, player); err != nil {
			return err
		}
		if h.DepositLimits, err = s.limits.Current(ctx, tx, player, player.Currency, now.UTC()); err != nil {
			return fmt.Errorf("deposit limits of player %d: %w", player.ID, err)
		}
		b, ok, err := breaks.Current(ctx, tx, player.ID, now)
		if err != nil {
			return err
		}
		if ok {
			h.Break = &b
		}
		h.Underway, err = s.underway(ctx, tx, player, now)
		return err
	})
	if err != nil {
		return Home{}, err
	}
	return h, nil
}

// PayoutSummary is what the withdrawal page shows: the Summary, what may be
// withdrawn, the accounts a payout may go to and the player's payouts.
type PayoutSummary struct {
	Summary
	Withdrawable models.Money         // Wallet, never below zero
	Accounts     []models.BankAccount // not removed and PayoutReady, oldest first
	Payouts      []Payout             // newest first, at most 100
}

// PayoutSummary reads the player's PayoutSummary.
func (s *Service) PayoutSummary(ctx context.Context, player models.Player) (PayoutSummary, error) {
	var sum PayoutSummary
	err := readTx(ctx, s.db, func(tx *gorm.DB) (err error) {
		if sum.Summary, err = s.summary(ctx, tx, player); err != nil {
			return err
		}
		accounts, err := bankAccounts(ctx, tx, player)
		if err != nil {
			return err
		}
		for _, a := range accounts {
			if PayoutReady(a) {
				sum.Accounts = append(sum.Accounts, a)
			}
		}
		sum.Payouts, err = payouts(ctx, tx, player)
		return err
	})
	if err != nil {
		return PayoutSummary{}, err
	}
	sum.Withdrawable = sum.Wallet
	if sum.Withdrawable.Minor < 0 {
		sum.Withdrawable.Minor = 0
	}
	return sum, nil
}

// PayoutDetail is one payout with what its page shows around it.
type PayoutDetail struct {
	Payout
	Withdrawable models.Money // the wallet, never below zero
	Checkable    bool         // TransferCheckable: "Check with the bank" can ask Trustly
	// NextCheck is when Trustly may next be asked about the transfer; zero if it
	// never was. CheckWait is true while Checkable and NextCheck is still ahead.
	NextCheck time.Time
	CheckWait bool
}

// PayoutDetail reads one of the player's payouts, or ErrOrderNotFound.
func (s *Service) PayoutDetail(ctx context.Context, player models.Player, orderID int64) (PayoutDetail, error) {
	var d PayoutDetail
	err := readTx(ctx, s.db, func(tx *gorm.DB) (err error) {
		if d.Payout, err = payout(ctx, tx, player, orderID); err != nil {
			return err
		}
		d.Withdrawable, err = ledger.New(tx).Balance(ctx, models.PlayerWallet(player.ID), player.Currency)
		return err
	})
	if err != nil {
		return PayoutDetail{}, err
	}
	if d.Withdrawable.Minor < 0 {
		d.Withdrawable.Minor = 0
	}
	d.Checkable, d.NextCheck = TransferCheckable(d.Order), nextCheck(d.Order)
	d.CheckWait = d.Checkable && !d.NextCheck.IsZero() && s.now().Before(d.NextCheck)
	return d, nil
}

// History is the player's newest orders (Pay N Play logins aside) and movements
// of their wallet, at most 100 of each, newest first, and the wallet. Orders say
// what was asked and where it stands; movements say what money actually moved.
type History struct {
	Orders    []models.Order
	Movements []Movement
	Wallet    models.Money
}

// Movement is a movement of the player's wallet with the balance right after it.
type Movement struct {
	ledger.Movement
	After models.Money
}

// History reads the player's History.
func (s *Service) History(ctx context.Context, player models.Player) (History, error) {
	var h History
	var moves []ledger.Movement
	err := readTx(ctx, s.db, func(tx *gorm.DB) error {
		// A Pay N Play login moves no money: it is no deposit to list.
		err := tx.WithContext(ctx).Where("player_id = ? AND login_only = ?", player.ID, false).
			Order("created_at DESC, id DESC").Limit(historyLimit).Find(&h.Orders).Error
		if err != nil {
			return err
		}
		if moves, err = ledger.New(tx).Movements(ctx, models.PlayerWallet(player.ID), historyLimit); err != nil {
			return err
		}
		h.Wallet, err = ledger.New(tx).Balance(ctx, models.PlayerWallet(player.ID), player.Currency)
		return err
	})
	if err != nil {
		return History{}, fmt.Errorf("history of player %d: %w", player.ID, err)
	}
	h.Movements = balancesAfter(h.Wallet.Minor, moves)
	return h, nil
}

// balancesAfter gives each of moves, newest first, the balance right after it:
// the balance now less what the newer ones changed.
func balancesAfter(now int64, moves []ledger.Movement) []Movement {
	out := make([]Movement, len(moves))
	for i, m := range moves {
		out[i] = Movement{Movement: m, After: models.Money{Minor: now, Currency: m.Currency}}
		now -= m.Minor
	}
	return out
}

// Deposit is one of the player's deposits and the wallet now, for the pages that
// show where a deposit stands.
type Deposit struct {
	Order  models.Order
	Wallet models.Money
}

// Deposit reads the player's deposit with messageID (the id in the success and
// fail URLs). An order of another kind or another player is ErrOrderNotFound.
func (s *Service) Deposit(ctx context.Context, player models.Player, messageID string) (Deposit, error) {
	var d Deposit
	err := readTx(ctx, s.db, func(tx *gorm.DB) (err error) {
		if d.Order, err = orderByMessageID(ctx, tx, player, messageID); err != nil {
			return err
		}
		if d.Order.Kind != models.OrderDeposit {
			return fmt.Errorf("deposit %s: %w", messageID, ErrOrderNotFound)
		}
		d.Wallet, err = ledger.New(tx).Balance(ctx, models.PlayerWallet(player.ID), player.Currency)
		return err
	})
	if err != nil {
		return Deposit{}, err
	}
	return d, nil
}
