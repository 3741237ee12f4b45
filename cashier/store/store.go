// Package store opens the cashier's database: SQLite by default (one file, no server)
// and PostgreSQL for operators who run several instances, through the same GORM code.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/internal/owneronly"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// IsPostgres reports whether dsn names a PostgreSQL database; anything else is a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") || strings.Contains(dsn, "host=")
}

// readablePostgres reports whether pgx can read dsn, without showing dsn: pgx's
// own error quotes it with the password it recognises hidden, but of a quoted
// password left unterminated ("password='two words") it hides the first word
// only. The reason pgx gives is kept.
func readablePostgres(dsn string) error {
	_, err := pgconn.ParseConfig(dsn)
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return nil // read, or a failure that is not about dsn's text: Open reports it
	}
	msg := "open database: DATABASE_URL cannot be read as a PostgreSQL connection string (not shown: it may hold a password)"
	if inner := pce.Unwrap(); inner != nil {
		return fmt.Errorf("%s: %v", msg, inner)
	}
	return errors.New(msg)
}

// Open connects to dsn (a postgres:// URL, or a SQLite file path or file: URI,
// opened with the settings SQLiteDSN forces) and migrates the schema. Duplicate keys come back as gorm.ErrDuplicatedKey on both databases.
func Open(dsn string, log *slog.Logger) (*gorm.DB, error) {
	if dsn == "" {
		return nil, errors.New("open database: no DSN")
	}
	if log == nil {
		log = slog.Default()
	}
	cfg := config(log, !IsPostgres(dsn))
	var dialector gorm.Dialector
	var pool *sql.DB     // SQLite's, closed here if GORM cannot open it
	var sqliteDSN string // SQLite's, with the settings the cashier needs
	if IsPostgres(dsn) {
		if err := readablePostgres(dsn); err != nil {
			return nil, err
		}
		dialector = postgres.Open(dsn) // pgx keeps its own cache of prepared statements
	} else {
		var err error
		if sqliteDSN, err = SQLiteDSN(dsn); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		path := SQLitePath(dsn)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		if !inMemory(dsn) {
			if err := owneronly.SQLite(path, log); err != nil {
				return nil, fmt.Errorf("open database: %w", err)
			}
		}
		if pool, err = sql.Open(sqliteDriver, sqliteDSN); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		if err := walResetFixed(pool); err != nil {
			closePool(pool)
			return nil, fmt.Errorf("open database: %w", err)
		}
		dialector = sqlite.New(sqlite.Config{Conn: sqlitePool{DB: pool, w: writerOf(pool)}})
	}
	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		if pool != nil {
			closePool(pool)
		}
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.Use(startLog{log}); err != nil {
		if pool != nil {
			closePool(pool)
		}
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if pool != nil {
		if err := lockWrites(db, pool); err != nil {
			closePool(pool)
			return nil, fmt.Errorf("open database: %w", err)
		}
		if !inMemory(dsn) {
			rememberFile(db, SQLitePath(dsn)) // for CheckWritable: the file must stay the one opened
		}
	}
	if IsPostgres(dsn) {
		// All of them stay open too: database/sql keeps 2 idle by default, so under
		// load every other statement's connection was closed after it and a new one
		// opened, each a new server process, whose statements pgx prepared again:
		// notifications spent more CPU on that than on RSA.
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
	} else {
		// One writer at a time is SQLite's model; a few connections let reads
		// outside transactions overlap (read transactions have a pool of their own,
		// Reads). All of them stay open: database/sql keeps 2 idle by default, and
		// closed the others after a burst, so the next burst opened new ones, each
		// reading the schema and compiling its statements again, with a cold cache.
		sqlDB.SetMaxOpenConns(4)
		sqlDB.SetMaxIdleConns(4)
	}
	if err := Migrate(db); err != nil {
		closePool(sqlDB)
		return nil, err
	}
	if pool != nil && !inMemory(dsn) {
		if err := openReads(db, sqliteDSN, config(log, true)); err != nil {
			closePool(sqlDB)
			return nil, err
		}
	}
	if pool != nil {
		checkpoints(pool, checkpointEvery, log)
	}
	return db, nil
}

// sqliteDriver is mattn/go-sqlite3 with the connection settings a DSN cannot carry:
// temporary files in memory. A savepoint's journal (each notification of a commit
// batch has one, and the ledger one inside it) otherwise went to a file in
// /var/tmp once past 64 KiB: created, written page by page and deleted, every batch.
const sqliteDriver = "sqlite3-cashier"

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824", nil)
		return err
	}})
}

// readsPlugin is the name under which Open keeps a SQLite database's read pool
// among db's plugins, where every session of db finds it (Reads).
const readsPlugin = "cashier:reads"

// reads is the read pool of a SQLite database, a GORM plugin only to travel with
// the *gorm.DB (gorm.Config.Plugins is shared by all its sessions).
type reads struct{ db *gorm.DB }

func (reads) Name() string              { return readsPlugin }
func (reads) Initialize(*gorm.DB) error { return nil }

// Reads is the database read transactions begin on (the cashier's readTx): on
// SQLite the second connection pool Open keeps for them, whose transactions are
// BEGIN DEFERRED and whose connections are query-only; db itself otherwise
// (PostgreSQL, whose transactions are made read-only by their options, or a
// SQLite database not opened by Open, where a transaction is BEGIN IMMEDIATE).
//
// The read pool is wrapped by GORM with its statement cache, as the write pool
// is, so a page's statements are compiled once per connection rather than in
// every transaction: a transaction begun by hand on a *sql.Conn bypasses the
// cache. In WAL mode a deferred transaction reads one snapshot, taken at its
// first query, while writers go on.
func Reads(db *gorm.DB) *gorm.DB {
	if p, ok := db.Config.Plugins[readsPlugin].(reads); ok {
		return p.db
	}
	return db
}

// startLogPlugin is the name under which Open keeps its logger among db's
// plugins, for what Migrate has to tell the operator (logOf).
const startLogPlugin = "cashier:log"

// startLog is the logger Open was given, a GORM plugin only to travel with the
// *gorm.DB to Migrate, which every session of db reaches.
type startLog struct{ log *slog.Logger }

func (startLog) Name() string              { return startLogPlugin }
func (startLog) Initialize(*gorm.DB) error { return nil }

// logOf is the logger db was opened with (Open), or slog's default for a
// database opened otherwise.
func logOf(db *gorm.DB) *slog.Logger {
	if p, ok := db.Config.Plugins[startLogPlugin].(startLog); ok && p.log != nil {
		return p.log
	}
	return slog.Default()
}

// readDSN is dsn (a SQLite DSN) for the read pool: deferred transactions on
// query-only connections.
func readDSN(dsn string) (string, error) {
	path, query, _ := strings.Cut(dsn, "?")
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", err
	}
	params.Set("_txlock", "deferred")
	params.Set("_query_only", "true")
	return path + "?" + params.Encode(), nil
}

// inMemory reports whether dsn is a SQLite database in memory, of which a second
// pool would open another, empty, database.
func inMemory(dsn string) bool {
	return strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory")
}

// openReads opens the read pool of the SQLite database db at dsn with GORM
// configuration cfg and keeps it with db (Reads); Close closes it.
func openReads(db *gorm.DB, dsn string, cfg *gorm.Config) error {
	rdsn, err := readDSN(dsn)
	if err != nil {
		return fmt.Errorf("open read pool: %w", err)
	}
	pool, err := sql.Open(sqliteDriver, rdsn)
	if err != nil {
		return fmt.Errorf("open read pool: %w", err)
	}
	// Reads overlap in WAL mode; idle connections are kept, with their prepared
	// statements, up to the pool's size.
	pool.SetMaxOpenConns(readConns)
	pool.SetMaxIdleConns(readConns)
	r, err := gorm.Open(sqlite.New(sqlite.Config{Conn: sqlitePool{DB: pool}}), cfg)
	if err != nil {
		pool.Close()
		return fmt.Errorf("open read pool: %w", err)
	}
	if err := db.Use(reads{r}); err != nil {
		pool.Close()
		return fmt.Errorf("open read pool: %w", err)
	}
	return nil
}

// readConns is the size of SQLite's read pool: enough for the pages of a busy
// instance to read side by side on a few cores.
const readConns = 8

// config is the GORM configuration of a pool logging to log. mattn/go-sqlite3
// compiles every statement anew, so on SQLite (prepare) GORM's cache keeps them
// prepared per connection, in transactions too (sqlitePool). GORM's default
// transaction stays on (SkipDefaultTransaction false): on SQLite it is what makes
// a Create, Save, Update or Delete outside a transaction wait for the writer
// (sqlitePool.BeginTx).
func config(log *slog.Logger, prepare bool) *gorm.Config {
	return &gorm.Config{
		TranslateError: true,
		Logger: sqlLog{slow: slowQuery, level: logger.Warn, Interface: logger.NewSlogLogger(log, logger.Config{
			SlowThreshold:             slowQuery,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true, // values (emails, tokens) stay out of the log
		})},
		NowFunc:            func() time.Time { return time.Now().UTC() },
		PrepareStmt:        prepare,
		PrepareStmtMaxSize: 512,
	}
}

// slowQuery is how long a statement may take before it is logged as slow.
const slowQuery = 500 * time.Millisecond

// sqlitePool is the SQLite connection pool as GORM sees it. Its transactions
// prepare statements on the pool, not on the transaction, so GORM's statement
// cache keeps them from one transaction to the next: database/sql closes a
// statement prepared on a transaction when it ends, and compiling the dozen
// statements of a notification again every time cost a tenth of a millisecond.
// GORM runs every cached statement through the transaction's StmtContext, which
// runs it on the transaction's connection, inside the transaction.
//
// On the write pool (w set) a transaction takes this process's writer
// (WriteLock) before it takes a connection and holds it until it ends: every
// transaction there is BEGIN IMMEDIATE, a write, and so is every Create, Save,
// Update or Delete outside one, which GORM runs in a transaction of its own.
type sqlitePool struct {
	*sql.DB
	w writer // the write pool's writer; nil for the read pool
}

// GetDBConn gives GORM's DB() the pool.
func (p sqlitePool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// BeginTx begins a transaction whose PrepareContext prepares on the pool, holding
// the writer on the write pool; it gives up when ctx ends while it waits.
func (p sqlitePool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	unlock := func() {}
	if p.w != nil {
		var err error
		if unlock, err = p.w.lockContext(ctx); err != nil {
			return nil, fmt.Errorf("wait for the writer: %w", err)
		}
	}
	tx, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		unlock()
		return nil, err
	}
	return &sqliteTx{Tx: tx, db: p.DB, unlock: sync.OnceFunc(unlock)}, nil
}

type sqliteTx struct {
	*sql.Tx
	db     *sql.DB
	unlock func() // the writer, given back once the transaction has ended
}

// Commit commits the transaction and gives the writer back.
func (t *sqliteTx) Commit() error {
	defer t.unlock()
	return t.Tx.Commit()
}

// Rollback rolls the transaction back and gives the writer back.
func (t *sqliteTx) Rollback() error {
	defer t.unlock()
	return t.Tx.Rollback()
}

// PrepareContext prepares query on the pool. The statement must be run through
// StmtContext, as GORM does, to run in this transaction.
func (t *sqliteTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.db.PrepareContext(ctx, query)
}

// migrationLock is the first half of the PostgreSQL advisory lock key Migrate
// holds ("cash"); the second half is a hash of the schema being migrated, so
// instances migrating one schema wait for each other and other schemas (one per
// test) do not.
const migrationLock = 0x63617368

// Migrate creates or updates every table in models.Tables, staff.Tables and limits.Tables, makes
// the audit, notes and resolutions tables refuse updates and deletes (appendOnly), and retires admin
// players an older version left (retireAdminPlayers). On PostgreSQL it holds
// an advisory lock for the whole migration, on one connection, so instances
// starting together on an empty database migrate one after the other: the first
// creates the tables and the others find them. SQLite is one instance's file and
// migrates without a lock.
func Migrate(db *gorm.DB) error {
	if err := migrate(db); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func migrate(db *gorm.DB) error {
	if db.Dialector.Name() != "postgres" {
		return migrateOn(db)
	}
	ctx := context.Background()
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	const key = "$1, hashtext(COALESCE(current_schema(), ''))"
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock("+key+")", migrationLock); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock("+key+")", migrationLock); err != nil {
			// A session that cannot unlock is not given back to the pool: closing it
			// releases the lock on the server.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	tx := db.Session(&gorm.Session{NewDB: true, Context: ctx})
	tx.Statement.ConnPool = conn
	return migrateOn(tx)
}

// migrateOn migrates on db, which holds the migration lock on PostgreSQL.
func migrateOn(db *gorm.DB) error {
	if err := upgrade(db); err != nil {
		return err
	}
	if err := db.AutoMigrate(slices.Concat(models.Tables(), staff.Tables(), limits.Tables(), []any{&RateCounter{}})...); err != nil {
		return err
	}
	if err := appendOnly(db, "audits", "audit rows"); err != nil {
		return err
	}
	// Staff's notes on players and resolutions of flags, which staff rely on as
	// written then: append-only like the audit, whose rows point at them.
	if err := appendOnly(db, "player_notes", "player notes"); err != nil {
		return err
	}
	if err := appendOnly(db, "flag_resolutions", "flag resolutions"); err != nil {
		return err
	}
	if err := keyNames(db); err != nil {
		return err
	}
	if err := refoldNameKeys(db); err != nil {
		return err
	}
	if err := markAddedSelections(db); err != nil {
		return err
	}
	if err := markSignedInLogins(db); err != nil {
		return err
	}
	if err := markRefusedPayNPlay(db); err != nil {
		return err
	}
	if err := markRefusedHeld(db); err != nil {
		return err
	}
	if err := keepDebitedAmounts(db); err != nil {
		return err
	}
	if err := readAccountHolders(db); err != nil {
		return err
	}
	if err := indexBackOffice(db); err != nil {
		return err
	}
	// Responsible gaming: players' breaks from play, append-only like the audit.
	if err := db.AutoMigrate(breaks.Tables()...); err != nil {
		return err
	}
	if err := appendOnly(db, "breaks", "breaks"); err != nil {
		return err
	}
	return retireAdminPlayers(db)
}

// appendOnly makes the database refuse to change or remove rows of table (the
// staff audit, staff's notes and resolutions, players' breaks): triggers that abort every UPDATE and DELETE (and
// TRUNCATE on PostgreSQL), with an error saying what rows are append-only. It may
// run any number of times. A trigger that exists is left as it is: other
// instances on the database go on writing while one starts, and dropping and
// creating it again at every start would leave the table unguarded in between,
// and lock it exclusively twice. On PostgreSQL the statements run in one
// transaction, so that a start that fails half-way leaves what was there.
func appendOnly(db *gorm.DB, table, rows string) error {
	switch db.Dialector.Name() {
	case "postgres":
		return db.Transaction(func(tx *gorm.DB) error {
			fn := fmt.Sprintf(`CREATE OR REPLACE FUNCTION %[1]s_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '%[2]s are append-only: %% refused', TG_OP;
END $$`, table, rows)
			if err := tx.Exec(fn).Error; err != nil {
				return fmt.Errorf("protect %s: %w", table, err)
			}
			triggers := []struct{ name, create string }{
				{table + "_append_only", fmt.Sprintf(`CREATE TRIGGER %[1]s_append_only BEFORE UPDATE OR DELETE ON %[1]s FOR EACH ROW EXECUTE FUNCTION %[1]s_append_only()`, table)},
				{table + "_no_truncate", fmt.Sprintf(`CREATE TRIGGER %[1]s_no_truncate BEFORE TRUNCATE ON %[1]s FOR EACH STATEMENT EXECUTE FUNCTION %[1]s_append_only()`, table)},
			}
			for _, tr := range triggers {
				var n int64
				if err := tx.Raw("SELECT count(*) FROM pg_trigger WHERE tgname = ? AND tgrelid = to_regclass(?)", tr.name, table).Scan(&n).Error; err != nil {
					return fmt.Errorf("protect %s: %w", table, err)
				}
				if n > 0 {
					continue
				}
				if err := tx.Exec(tr.create).Error; err != nil {
					return fmt.Errorf("protect %s: %w", table, err)
				}
			}
			return nil
		})
	case "sqlite":
		for _, s := range []string{
			fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %[1]s_no_update BEFORE UPDATE ON %[1]s
BEGIN SELECT RAISE(ABORT, '%[2]s are append-only: UPDATE refused'); END`, table, rows),
			fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %[1]s_no_delete BEFORE DELETE ON %[1]s
BEGIN SELECT RAISE(ABORT, '%[2]s are append-only: DELETE refused'); END`, table, rows),
		} {
			if err := db.Exec(s).Error; err != nil {
				return fmt.Errorf("protect %s: %w", table, err)
			}
		}
		return nil
	}
	return fmt.Errorf("protect %s: unsupported database %s", table, db.Dialector.Name())
}

// retireAdminPlayers turns the admin players of older versions (a players row
// with role "admin", which CASHIER_ADMIN_PASSWORD used to create) into plain
// players and ends their sessions: the back office now belongs to staff accounts
// alone (package staff), and the configured owner is created there at start. The
// row stays, with whatever its ledger holds; it can no longer reach /admin.
func retireAdminPlayers(db *gorm.DB) error {
	err := db.Exec("UPDATE players SET role = ?, session_version = session_version + 1 WHERE role = ?",
		models.RolePlayer, "admin").Error
	if err != nil {
		return fmt.Errorf("retire admin players: %w", err)
	}
	return nil
}

// upgrade brings a database of an earlier version to what AutoMigrate can finish,
// where AutoMigrate alone would fail or leave something behind. Each step is
// idempotent and a no-op on a new database.
//
// Pay N Play: players.email and players.person_id became unique when present, with
// "" stored as NULL (models.Player). Rows written before hold "" for "none", which
// the unique index on person_id would refuse; they become NULL first, and the old
// non-unique index on person_id goes.
func upgrade(db *gorm.DB) error {
	m := db.Migrator()
	if !m.HasTable(&models.Player{}) {
		return nil
	}
	for _, col := range []string{"email", "person_id"} {
		if !m.HasColumn(&models.Player{}, col) {
			continue
		}
		if err := db.Exec("UPDATE players SET " + col + " = NULL WHERE " + col + " = ''").Error; err != nil {
			return fmt.Errorf("players.%s: empty to NULL: %w", col, err)
		}
	}
	if m.HasIndex(&models.Player{}, "idx_players_person_id") {
		if err := m.DropIndex(&models.Player{}, "idx_players_person_id"); err != nil {
			return fmt.Errorf("drop idx_players_person_id: %w", err)
		}
	}
	return nil
}

// keyNames sets the name_key (models.NameKey) of the players an older version
// wrote without one: a kyc finds players without a personid by it
// (idx_players_country_name). Newer versions set it with the names (BeforeSave).
// It reads them from a partial index that holds only the players still to do
// (idx_players_name_key_empty), so that every start does not read every player,
// in batches of keyBatch, each one transaction; once done it reads the empty
// index and writes nothing. A player an older instance creates while a newer one
// runs is keyed at the next start.
func keyNames(db *gorm.DB) error {
	if err := db.Exec("CREATE INDEX IF NOT EXISTS idx_players_name_key_empty ON players (id) WHERE " + unkeyedNames).Error; err != nil {
		return fmt.Errorf("create index idx_players_name_key_empty: %w", err)
	}
	var after int64
	for {
		var ps []models.Player
		if err := db.Select("id", "first_name", "last_name").Where(unkeyedNames+" AND id > ?", after).
			Order("id").Limit(keyBatch).Find(&ps).Error; err != nil {
			return fmt.Errorf("players without a name key: %w", err)
		}
		if len(ps) == 0 {
			return nil
		}
		after = ps[len(ps)-1].ID
		err := db.Transaction(func(tx *gorm.DB) error {
			for _, p := range ps {
				if err := tx.Model(&models.Player{}).Where("id = ?", p.ID).
					UpdateColumn("name_key", models.NameKey(p.FirstName, p.LastName)).Error; err != nil {
					return fmt.Errorf("name key of player %d: %w", p.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("key names: %w", err)
		}
	}
}

// unkeyedNames are the players an older version wrote without a name key: the
// predicate of idx_players_name_key_empty, which a query must repeat to read it.
const unkeyedNames = "name_key = ''"

// keyBatch is how many players keyNames keys in one transaction.
const keyBatch = 500

// staleNameKeys are the players whose name_key an older fold made
// (models.NameFold), in literals for SQLite's partial index.
var staleNameKeys = fmt.Sprintf("name_key_fold < %d", models.NameFold)

// refoldBatch is how many players refoldNameKeys keys again in one transaction.
const refoldBatch = 200

// refoldNameKeys makes again, with the current fold, the name_key of the players
// an older fold keyed: before FoldName read names in NFC, a name kept decomposed
// (NFD) was keyed with its combining accents, which no bank's names fold to now,
// so a kyc did not find that player as a lookalike. It reads them from a partial
// index that holds only the players still to do (idx_players_name_key_fold), in
// batches of refoldBatch, each one transaction, and marks each done; a second
// start finds the index empty and writes nothing. The first start after the
// upgrade reads every player once (the column's default is 0). A player an older
// instance writes meanwhile is keyed again at the next start.
func refoldNameKeys(db *gorm.DB) error {
	if err := db.Exec("CREATE INDEX IF NOT EXISTS idx_players_name_key_fold ON players (id) WHERE " + staleNameKeys).Error; err != nil {
		return fmt.Errorf("create index idx_players_name_key_fold: %w", err)
	}
	var after int64
	for {
		var ps []models.Player
		if err := db.Select("id", "first_name", "last_name", "name_key").Where(staleNameKeys+" AND id > ?", after).
			Order("id").Limit(refoldBatch).Find(&ps).Error; err != nil {
			return fmt.Errorf("players keyed by an older fold: %w", err)
		}
		if len(ps) == 0 {
			return nil
		}
		after = ps[len(ps)-1].ID
		err := db.Transaction(func(tx *gorm.DB) error {
			for _, p := range ps {
				if err := tx.Model(&models.Player{}).Where("id = ?", p.ID).UpdateColumns(map[string]any{
					"name_key": models.NameKey(p.FirstName, p.LastName), "name_key_fold": models.NameFold}).Error; err != nil {
					return fmt.Errorf("name key of player %d: %w", p.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("key names again: %w", err)
		}
	}
}

// markAddedSelections marks account-added (models.OrderAccountAdded) the account
// selections whose account notification an older version applied without marking
// them: it saved the player's bank account and set nothing on the order, which
// read "Checkout started" for good, or abandoned after its checkout's life. A
// notification is stored with its order only in the transaction that applies it,
// so a stored account notification of a selection is an account added; its first
// receipt is when. Under an older instance still running during an upgrade, a
// selection it completes meanwhile is marked at the next start. One statement,
// idempotent; it finds nothing to do once done.
func markAddedSelections(db *gorm.DB) error {
	const came = "FROM notifications WHERE notifications.order_id = orders.id AND notifications.method = ?"
	err := db.Exec("UPDATE orders SET status = ?, account_added_at = (SELECT MIN(notifications.received_at) "+came+")"+
		" WHERE kind = ? AND account_added_at IS NULL AND EXISTS (SELECT 1 "+came+")",
		models.OrderAccountAdded, trustly.MethodAccount, models.OrderSelectAccount, trustly.MethodAccount).Error
	if err != nil {
		return fmt.Errorf("mark account selections whose account came: %w", err)
	}
	return nil
}

// A marking below fixes the orders an older version left as Refresh would no
// longer have them, in one UPDATE at every start. Each finds its orders by a
// partial index of its own whose WHERE is the UPDATE's (marking.where): it holds
// only the orders still to mark, so it is empty once they are, and the start reads
// nothing of the orders table however large it is (TestStartMarkingPlans). What
// the cashier commits never meets the WHERE (Refresh derives the status in the
// same transaction), so the index costs a write a test of its WHERE; a login's
// sign-in passes through it inside its transaction (ClaimPayNPlaySignIn sets
// signed_in_at, then the status), an entry made and removed. The WHERE is SQL with literals: SQLite uses a partial index only for
// a query that repeats its terms, which a bound parameter does not. The index
// leads with the kind and status the UPDATE names, so that SQLite prefers it to
// the back office's indexes on them. Creating it the first time reads the table
// once, as any index does.
type marking struct {
	index string             // the partial index, on orders (kind, status) WHERE where
	to    models.OrderStatus // what the orders become
	where string             // the orders to mark
}

// run creates m's index if need be and marks its orders.
func (m marking) run(db *gorm.DB) error {
	if err := db.Exec("CREATE INDEX IF NOT EXISTS " + m.index + " ON orders (kind, status) WHERE " + m.where).Error; err != nil {
		return fmt.Errorf("create index %s: %w", m.index, err)
	}
	return db.Exec("UPDATE orders SET status = ? WHERE "+m.where, m.to).Error
}

// quoted is vs as SQL string literals, separated by commas; they are our own
// constants, never input.
func quoted[T ~string](vs ...T) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = "'" + string(v) + "'"
	}
	return strings.Join(out, ", ")
}

// markSignedInLogins marks signed-in (models.OrderSignedIn) the Pay N Play logins
// (login_only: a Deposit without Amount, no money moves) whose kyc said CONTINUE
// and whose browser an older version signed in (signed_in_at) without marking
// them: they read "Checkout started" for good, abandoned after the janitor, or
// failed after a cancel. What Refresh derives from those columns is what is
// written; signed_in_at is when. Only the statuses a login can have otherwise are
// read (its credit and debit are never booked). Under an older instance still
// running during an upgrade, a login it signs in meanwhile is marked at the next
// start. One statement, idempotent, reading idx_orders_unmarked_logins (marking).
func markSignedInLogins(db *gorm.DB) error {
	err := marking{index: "idx_orders_unmarked_logins", to: models.OrderSignedIn,
		where: "kind = " + quoted(models.OrderDeposit) + " AND status IN (" + quoted(models.OrderCreated, models.OrderStarted,
			models.OrderPending, models.OrderFailed, models.OrderAbandoned) + ") AND login_only AND kyc_outcome = " +
			quoted(models.KYCContinue) + " AND signed_in_at IS NOT NULL"}.run(db)
	if err != nil {
		return fmt.Errorf("mark Pay N Play logins signed in: %w", err)
	}
	return nil
}

// markRefusedPayNPlay marks failed the Pay N Play logins whose kyc said FINISH,
// and the Pay N Play deposits whose kyc said FINISH with nothing to return, that
// an older version left as they were: those on which no credit or debit came
// (booked or held), when no cancel followed the FINISH, read 'Checkout started'
// for the checkout's life (or pending, after a pending notification), then
// abandoned by the janitor, which told staff nothing of the refusal; those whose
// held debit came alone or took the held credit back read pending. What Refresh
// derives from the FINISH is what is written; a refused deposit whose held
// credit is to be returned is markRefusedHeld's. Only the statuses such an order
// could be left in are read (one refused and then cancelled is failed already).
// One statement, idempotent, reading idx_orders_unmarked_refused (marking).
func markRefusedPayNPlay(db *gorm.DB) error {
	err := marking{index: "idx_orders_unmarked_refused", to: models.OrderFailed,
		where: "kind = " + quoted(models.OrderDeposit) + " AND status IN (" + quoted(models.OrderCreated, models.OrderStarted,
			models.OrderPending, models.OrderAbandoned) + ") AND pay_n_play AND kyc_outcome = " + quoted(models.KYCFinish) +
			" AND (login_only OR (credited_at IS NULL AND debited_at IS NULL AND (credit_held_at IS NULL OR debit_held_at IS NOT NULL)))"}.run(db)
	if err != nil {
		return fmt.Errorf("mark refused Pay N Play logins and deposits failed: %w", err)
	}
	return nil
}

// markRefusedHeld marks refused-held (models.OrderRefusedHeld) the Pay N Play
// deposits whose kyc said FINISH and whose credit came all the same, held, never
// booked and not taken back by a debit, that an older version left pending, or
// failed after a cancel, as though they were still becoming deposits or nothing
// had been charged: the money is held to be returned to the payer. What Refresh
// derives is what is written; only the two statuses such an order could be left
// in are read. One statement, idempotent, reading idx_orders_unmarked_held
// (marking).
func markRefusedHeld(db *gorm.DB) error {
	err := marking{index: "idx_orders_unmarked_held", to: models.OrderRefusedHeld,
		where: "kind = " + quoted(models.OrderDeposit) + " AND status IN (" + quoted(models.OrderPending, models.OrderFailed) +
			") AND pay_n_play AND NOT login_only AND kyc_outcome = " + quoted(models.KYCFinish) +
			" AND credited_at IS NULL AND debited_at IS NULL AND credit_held_at IS NOT NULL AND debit_held_at IS NULL"}.run(db)
	if err != nil {
		return fmt.Errorf("mark refused Pay N Play deposits with a credit held to return: %w", err)
	}
	return nil
}

// keepDebitedAmounts sets debited_minor (models.Order.DebitedMinor) on the
// deposits whose debit an older version booked without keeping it: the column came
// with the default 0, which the deposit limits read as nothing taken back, so they
// went on counting the credit whole for the rest of its periods. What is written is
// what the debit's transfer took out of the player's wallet, as the newer version
// keeps it (bookDebit). A deposit whose debit has no transfer keeps its 0 and its
// place in the index. One statement, idempotent, reading idx_orders_unmarked_debits
// (marking's way: a partial index holding only the deposits still to do; it leads
// with the two columns the UPDATE names equal, so that SQLite prefers it to
// idx_orders_kind_created).
func keepDebitedAmounts(db *gorm.DB) error {
	const (
		where = "kind = 'deposit' AND debited_at IS NOT NULL AND debited_minor = 0"
		debit = " FROM entries JOIN transfers ON transfers.id = entries.transfer_id" +
			" WHERE transfers.reference = 'deposit:' || orders.id || ':debit' AND entries.account = 'player:' || orders.player_id || ':wallet'"
	)
	if err := db.Exec("CREATE INDEX IF NOT EXISTS idx_orders_unmarked_debits ON orders (kind, debited_minor) WHERE " + where).Error; err != nil {
		return fmt.Errorf("create index idx_orders_unmarked_debits: %w", err)
	}
	err := db.Exec("UPDATE orders SET debited_minor = (SELECT -entries.minor" + debit + ") WHERE " + where +
		" AND EXISTS (SELECT 1" + debit + " AND entries.minor < 0)").Error
	if err != nil {
		return fmt.Errorf("keep what older versions' deposit debits took back: %w", err)
	}
	return nil
}

// Close closes the underlying connection pool, and SQLite's read pool, and
// forgets the database's writer (closePool).
func Close(db *gorm.DB) error {
	if r := Reads(db); r != db {
		if sqlDB, err := r.DB(); err == nil {
			sqlDB.Close()
		}
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return closePool(sqlDB)
}

// closePool closes pool, a database's write pool, and then forgets its writer
// (sqliteWriters), which would otherwise stay for the life of the process. Only
// after: once closed, the pool starts no statement, so a writer taken afterwards
// (a new one, for WriteLock on a closed database) guards nothing that could
// write, and until then every session of the database finds the one writer.
func closePool(pool *sql.DB) error {
	err := pool.Close()
	forgetWriter(pool)
	return err
}

// walResetFixed refuses a SQLite without the fix of the WAL-reset bug (SQLite
// 3.7.0 to 3.51.2, fixed in 3.51.3): two connections checkpointing one after the
// other while a third commits could leave the WAL index naming frames as copied
// back that were not, and committed pages were lost. The cashier runs exactly
// that: several connections, a checkpoint every 100 ms beside SQLite's own
// (checkpoints), and commits all the while. mattn/go-sqlite3 bundles its SQLite;
// a build against the system's library (-tags libsqlite3, Debian 12 has 3.40)
// would link an older one.
func walResetFixed(pool *sql.DB) error {
	var version string
	if err := pool.QueryRow("SELECT sqlite_version()").Scan(&version); err != nil {
		return fmt.Errorf("read SQLite's version: %w", err)
	}
	if !atLeast(version, minSQLite) {
		return fmt.Errorf("SQLite %s has the WAL-reset bug, which can lose committed writes; %s or newer is needed "+
			"(build with the SQLite mattn/go-sqlite3 bundles, not -tags libsqlite3 against an older system library)", version, minSQLite)
	}
	return nil
}

// minSQLite is the first SQLite release with the WAL-reset bug fixed.
const minSQLite = "3.51.3"

// atLeast reports whether the dotted version v is min or later; a version that
// is not dotted numbers is not.
func atLeast(v, min string) bool {
	parse := func(s string) ([3]int, bool) {
		var out [3]int
		parts := strings.Split(s, ".")
		if len(parts) < 2 || len(parts) > 3 {
			return out, false
		}
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 {
				return out, false
			}
			out[i] = n
		}
		return out, true
	}
	a, ok := parse(v)
	b, _ := parse(min)
	return ok && slices.Compare(a[:], b[:]) >= 0
}
