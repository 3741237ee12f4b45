package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustly-cashier/cashier/trustly"

	"gorm.io/gorm"
)

// backOfficeIndexes serve the back office's lists at a million orders: each
// filter of the transactions page with its keyset order, so a page reads its rows
// from one index instead of sorting, and the flagged and unmatched lists from
// partial indexes that hold only their rows (flagged deposit-limit raises too). Without a date range the list is in
// id order, (x, id); with one it is in (created_at, id) order, (x, created_at,
// id), so a range and a filter are one index range read backwards. A date range
// alone reads idx_orders_created_at (models.Order's tag): on SQLite every index
// ends with the rowid, the id; PostgreSQL sorts the rare orders created in the
// same microsecond as it reads (an incremental sort). The same SQL runs on SQLite
// and PostgreSQL.
var backOfficeIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_orders_kind_id ON orders (kind, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_status_id ON orders (status, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_player_id_id ON orders (player_id, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_currency_id ON orders (amount_currency, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_flagged ON orders (id) WHERE flag <> ''`,
	`CREATE INDEX IF NOT EXISTS idx_orders_kind_created ON orders (kind, created_at, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_status_created ON orders (status, created_at, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_currency_created ON orders (amount_currency, created_at, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_flagged_created ON orders (created_at, id) WHERE flag <> ''`,
	`CREATE INDEX IF NOT EXISTS idx_notifications_unmatched ON notifications (id) WHERE order_id IS NULL`,
	`CREATE INDEX IF NOT EXISTS idx_limit_changes_flagged ON deposit_limit_changes (id) WHERE flag <> ''`,
}

// playerIndexes serve the player's own pages and requests, which must take as
// long at a million orders as on an empty database: each reads one player's rows
// from an index that starts with the player, in the order the page wants them
// (handlers.TestHotPathPlans checks the plans). idx_orders_player_created gives
// the history page a player's newest orders without sorting all of them; its
// columns never change once an order is written, so updating an order does not
// touch it. idx_orders_player_payouts gives a payout request the player's payouts
// of the last 24 hours, which its approval counts (cashier.PayoutWindow), without
// reading their deposits; partial on the kind, which the query names as a literal.
// idx_orders_player_underway gives the cashier's home the player's orders whose
// money is underway (UnderwayWhere, cashier.Home: deposits waiting for the bank,
// payouts sent), newest first, without reading the rest of their history; it
// holds only orders in those statuses, so it stays small, and an order moves in
// and out of it as its status changes.
// idx_orders_player_bank_failed gives a sign-in of a player the national register
// excludes (cashier's moneyLeft) the player's payouts and refunds the bank failed
// whose money is not back yet (BankFailedWhere): it holds only those, a few at any
// time, so the read does not grow with the player's confirmed payouts.
// The deposit limits' reads have limitsIndexes.
var playerIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_orders_player_created ON orders (player_id, created_at, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_player_payouts ON orders (player_id, created_at) WHERE kind = 'payout'`,
	`CREATE INDEX IF NOT EXISTS idx_orders_player_underway ON orders (player_id, created_at, id) WHERE ` + UnderwayWhere,
	`CREATE INDEX IF NOT EXISTS idx_orders_player_bank_failed ON orders (player_id) WHERE ` + BankFailedWhere,
}

// BankFailedWhere is, in SQL, cashier.BankFailedNotBack (the one rule, which
// cashier.TestBankFailedOneRule holds this to): a payout or refund the bank
// failed whose money is not back in the wallet yet, which the player reads "will
// come back to your balance". That is one neither returned nor released that
// is failed (payoutfailed came, Trustly's credit not yet), or sent or confirmed
// while its transfer state from GetWithdrawals says the bank failed it
// (trustly.FailedTransferStates, in any case and with spaces around, as
// trustly.PayoutStateOf reads it; Trustly's states are single words, and SQL's
// TRIM takes off spaces only). It is idx_orders_player_bank_failed's predicate: a
// query reading the index must name it as written here.
var BankFailedWhere = "kind IN ('payout', 'refund') AND returned_at IS NULL AND released_at IS NULL AND (status = 'failed' OR " +
	"(status IN ('sent', 'confirmed') AND UPPER(TRIM(transfer_state)) IN ('" + strings.Join(trustly.FailedTransferStates, "', '") + "')))"

// UnderwayWhere is idx_orders_player_underway's predicate: an order started
// with Trustly or pending (a deposit waiting for the bank), or sent (a payout
// Trustly has and the bank has not confirmed). A query reading the index must
// name it as it is written here, literals and all, or SQLite will not use it.
const UnderwayWhere = "status IN ('started', 'pending', 'sent')"

// limitsIndexes serve the deposit limits' reads (package limits), which every
// cashier page, deposit and kyc decision makes, each a range that does not grow
// with the player's history: their deposits since the start of the longest
// period, their payouts sent since then (where the policy counts net deposits),
// both partial on the kind, which the queries name as a literal; and the newest
// changes of each period's limit.
var limitsIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_orders_player_deposits ON orders (player_id, created_at) WHERE kind = 'deposit'`,
	`CREATE INDEX IF NOT EXISTS idx_orders_player_payouts_sent ON orders (player_id, sent_at) WHERE kind = 'payout'`,
	`CREATE INDEX IF NOT EXISTS idx_limit_changes_recent ON deposit_limit_changes (player_id, currency, "period", requested_at, id)`,
}

// kycIndexes serve Pay N Play's kyc decision, which the player waits for in the
// checkout. idx_players_country_name finds, for a new person with a personid, the
// players of their country and names (models.NameKey) with their date of birth or
// none, among whom those without a personid may be them (password players who
// registered without an identity number): a read of the namesakes, however many
// players there are.
var kycIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_players_country_name ON players (country, name_key, date_of_birth)`,
}

// apiCallIndexes serve the back office's list of the calls made to Trustly
// (cashier.Service.APICallsList), newest first by (at, id): each filter reads one
// index in that order, bounded by its equality (a method, a player, an order, a
// code of Trustly's) and the date range, and the page's keyset ((at, id) < (…))
// is a range of the same index. The failed calls' are partial on a non-empty error, a
// few of all calls; a query reading them names that predicate as written here.
// The older single-column indexes on order_id and player_id stay: an order's page
// reads its calls in id order from the first.
var apiCallIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_api_calls_at ON api_calls (at, id)`,
	`CREATE INDEX IF NOT EXISTS idx_api_calls_method_at ON api_calls (method, at, id)`,
	`CREATE INDEX IF NOT EXISTS idx_api_calls_player_at ON api_calls (player_id, at, id)`,
	`CREATE INDEX IF NOT EXISTS idx_api_calls_order_at ON api_calls (order_id, at, id)`,
	`CREATE INDEX IF NOT EXISTS idx_api_calls_failed_at ON api_calls (at, id) WHERE error <> ''`,
	`CREATE INDEX IF NOT EXISTS idx_api_calls_failed_code ON api_calls (error_code, at, id) WHERE error <> ''`,
}

// postgresIndexes are PostgreSQL's own. idx_transfers_reference_prefix finds an
// order's transfers by the prefix of their reference ("deposit:4711:") with LIKE
// whatever the database's collation: the unique index on reference is in that
// collation, where LIKE cannot use it and a range such as 'deposit:4711:' ≤ r <
// 'deposit:4711;' is not a prefix match (under ICU ';' sorts before ':'). SQLite
// compares text bytewise, so the range on its unique index is exact.
//
// idx_entries_account_id gives an account's newest entries (the history page's
// movements) in id order; on SQLite idx_entries_account does, since every index
// there ends with the rowid.
var postgresIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_transfers_reference_prefix ON transfers (reference text_pattern_ops)`,
	`CREATE INDEX IF NOT EXISTS idx_entries_account_id ON entries (account, id)`,
}

// redundantIndexes were made by older versions from models.Order's tags: each is
// the first column of a backOfficeIndexes index ending in id, which answers the
// same lookups (on SQLite every index ends with the rowid anyway), and each cost a
// notification that changes an order's status one more index entry to move.
//
// The notifications' indexes on method, trustly_order_id and received_at, also
// from older tags, served no query (an order's notifications are found by
// order_id, a delivery by notification_id) and cost every notification three
// index entries.
var redundantIndexes = []string{
	`DROP INDEX IF EXISTS idx_orders_status`,
	`DROP INDEX IF EXISTS idx_orders_kind`,
	`DROP INDEX IF EXISTS idx_orders_player_id`,
	`DROP INDEX IF EXISTS idx_notifications_method`,
	`DROP INDEX IF EXISTS idx_notifications_trustly_order_id`,
	`DROP INDEX IF EXISTS idx_notifications_received_at`,
}

// indexBackOffice creates backOfficeIndexes, playerIndexes, limitsIndexes,
// kycIndexes and apiCallIndexes, and postgresIndexes on PostgreSQL, and drops redundantIndexes; it
// may run any number of times.
func indexBackOffice(db *gorm.DB) error {
	stmts := slices.Concat(backOfficeIndexes, playerIndexes, limitsIndexes, kycIndexes, apiCallIndexes)
	if db.Dialector.Name() == "postgres" {
		stmts = append(stmts, postgresIndexes...)
	}
	for _, stmt := range append(stmts[:len(stmts):len(stmts)], redundantIndexes...) {
		if err := db.Exec(stmt).Error; err != nil {
			return fmt.Errorf("create index: %w", err)
		}
	}
	return nil
}
