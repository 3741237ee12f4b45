package store

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// holdersBatch is how many bank accounts readAccountHolders reads and writes in
// one transaction.
var holdersBatch = 200

// unreadHolders are the bank accounts an older version saved without the holder
// their account notifications named (models.BankAccount.PersonRead), in SQL with
// literals: the WHERE of idx_bank_accounts_unread_holders, which SQLite uses only
// for a query that repeats its terms. The index leads with the two columns it
// names equal, so that SQLite prefers it to idx_bank_accounts_person_id, which
// holds every account without a holder.
const unreadHolders = "person_id = '' AND person_read = false"

// readAccountHolders gives the bank accounts an older version saved, before
// bank_accounts.person_id was kept, the person their stored account
// notifications name as the holder: a break follows that person to the player's
// other accounts (cashier's twinOnBreak), and without it a second password
// account got round a break. An account takes the personid of the newest
// verified account notification of its player and accountid that names one
// (paynplay.AccountHolder, as the cashier reads one as it comes; an accountid
// models.BankAccount.Fit would not keep is skipped), from the notifications that
// could save it: a deposit's or an account selection's, a Pay N Play deposit's
// once its kyc said CONTINUE. The stored JSON is read here, in Go, the same on
// both databases. An account with none is only marked read. A notification an
// older version stored in a shape this one refuses (an accountid with a space at
// an end, a control or format character: trustly.ErrBadData) names no holder, as
// bookHeld saves no account from one, and is named in an alert.
//
// Only the accounts still to read are read, from a partial index holding only
// them (idx_bank_accounts_unread_holders, empty once done), so a start after
// the first reads nothing. Each batch is one transaction, its persons and its
// marks together: a start stopped half-way leaves the batches done and the rest
// as they were, for the next start. A holder the cashier saved meanwhile is
// kept (person_id is written only where still empty). An account an older
// instance still running during the upgrade saves is read at the next start.
func readAccountHolders(db *gorm.DB) error {
	if err := db.Exec("CREATE INDEX IF NOT EXISTS idx_bank_accounts_unread_holders ON bank_accounts (person_id, person_read, id) WHERE " + unreadHolders).Error; err != nil {
		return fmt.Errorf("create index idx_bank_accounts_unread_holders: %w", err)
	}
	var after int64
	for {
		var batch []models.BankAccount
		if err := db.Select("id", "player_id", "account_id").Where(unreadHolders+" AND id > ?", after).
			Order("id").Limit(holdersBatch).Find(&batch).Error; err != nil {
			return fmt.Errorf("bank accounts without their holder: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		after = batch[len(batch)-1].ID
		if err := db.Transaction(func(tx *gorm.DB) error { return readHolders(tx, batch, logOf(db)) }); err != nil {
			return fmt.Errorf("read the holders of older bank accounts: %w", err)
		}
	}
}

// holderKey is a bank account as its notifications name it: its player and
// Trustly's accountid.
type holderKey struct {
	playerID  int64
	accountID string
}

// readHolders writes, in tx, the holder the stored account notifications name
// for each of accounts (readAccountHolders), and marks them read; a notification
// it cannot read is named on log.
func readHolders(tx *gorm.DB, accounts []models.BankAccount, log *slog.Logger) error {
	players := make([]int64, 0, len(accounts))
	ids := make([]int64, 0, len(accounts))
	for _, a := range accounts {
		players = append(players, a.PlayerID)
		ids = append(ids, a.ID)
	}
	rows, err := tx.Table("notifications").Select("notifications.notification_id, notifications.order_id, notifications.raw, orders.player_id").
		Joins("JOIN orders ON orders.id = notifications.order_id").
		Where("notifications.method = ? AND orders.player_id IN ? AND orders.kind IN ?", trustly.MethodAccount, players,
			[]models.OrderKind{models.OrderDeposit, models.OrderSelectAccount}).
		Where("(NOT orders.pay_n_play OR orders.kyc_outcome = ?)", models.KYCContinue).
		Order("notifications.id").Rows()
	if err != nil {
		return fmt.Errorf("account notifications: %w", err)
	}
	defer rows.Close()
	holders := map[holderKey]string{}
	for rows.Next() {
		var notificationID, raw string
		var orderID, playerID int64
		if err := rows.Scan(&notificationID, &orderID, &raw, &playerID); err != nil {
			return fmt.Errorf("account notifications: %w", err)
		}
		k, person, err := holderOf(raw, playerID)
		switch {
		case errors.Is(err, trustly.ErrBadData):
			// Stored by an older version, which took a shape this one refuses:
			// no holder is read from it, and its account keeps none it names.
			log.Error("alert: stored account notification no longer fits Trustly's format; no holder read from it",
				"notification_id", notificationID, "order_id", orderID, "player_id", playerID, "err", err)
			continue
		case err != nil:
			log.Error("alert: stored account notification cannot be read; no holder read from it",
				"notification_id", notificationID, "order_id", orderID, "player_id", playerID, "err", err)
			continue
		}
		if person != "" {
			holders[k] = person // the newest that names one wins, as saveAccount keeps it
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("account notifications: %w", err)
	}
	rows.Close()
	for _, a := range accounts {
		person := holders[holderKey{a.PlayerID, a.AccountID}]
		if person == "" {
			continue
		}
		if err := tx.Exec("UPDATE bank_accounts SET person_id = ? WHERE id = ? AND person_id = ''", person, a.ID).Error; err != nil {
			return fmt.Errorf("holder of bank account %d: %w", a.ID, err)
		}
	}
	if err := tx.Exec("UPDATE bank_accounts SET person_read = ? WHERE id IN ?", true, ids).Error; err != nil {
		return fmt.Errorf("mark bank accounts read: %w", err)
	}
	return nil
}

// holderOf is the account a stored account notification of playerID's order
// names, and its holder: "" when the notification is not verified, names no
// holder or none that reads as an identity number, or has an accountid no bank
// account could keep (models.BankAccount.Fit). A notification that cannot be
// read is an error (trustly.ErrBadData for one of a shape this version refuses).
func holderOf(raw string, playerID int64) (holderKey, string, error) {
	n, err := trustly.DecodeNotification([]byte(raw))
	if err != nil {
		return holderKey{}, "", err
	}
	d, ok := n.Data.(*trustly.AccountData)
	if !ok || !d.Verified {
		return holderKey{}, "", nil
	}
	a := models.BankAccount{AccountID: d.AccountID}
	if !a.Fit() {
		return holderKey{}, "", nil
	}
	return holderKey{playerID, d.AccountID}, paynplay.AccountHolder(d.Attributes["personid"]), nil
}
