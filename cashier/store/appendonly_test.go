package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
)

// TestAppendOnlyKeptAtStart: an instance starting (Migrate) on a PostgreSQL
// database other instances are writing to leaves the audit's, the breaks', the
// notes' and the resolutions' triggers as they are (the same triggers, by their oids) rather than dropping and
// creating them again, which left the tables unguarded in between; and they still
// refuse changes after it.
func TestAppendOnlyKeptAtStart(t *testing.T) {
	db := storetest.Postgres(t)
	oids := func() map[string]int64 {
		var rows []struct {
			Tgname string
			Oid    int64
		}
		// This test's schema only: other tests' schemas have triggers of these names.
		if err := db.Raw("SELECT tgname, oid::bigint AS oid FROM pg_trigger WHERE tgrelid IN (to_regclass('audits'), to_regclass('breaks'), to_regclass('player_notes'), to_regclass('flag_resolutions')) AND (tgname LIKE '%_append_only' OR tgname LIKE '%_no_truncate')").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		m := map[string]int64{}
		for _, r := range rows {
			m[r.Tgname] = r.Oid
		}
		return m
	}
	before := oids()
	for _, name := range []string{"audits_append_only", "audits_no_truncate", "breaks_append_only", "breaks_no_truncate",
		"player_notes_append_only", "player_notes_no_truncate", "flag_resolutions_append_only", "flag_resolutions_no_truncate"} {
		if before[name] == 0 {
			t.Fatalf("trigger %s missing after the first start (%v)", name, before)
		}
	}
	if err := store.Migrate(db); err != nil {
		t.Fatal(err)
	}
	after := oids()
	for name, oid := range before {
		if after[name] != oid {
			t.Errorf("trigger %s made again at the second start (oid %d, then %d)", name, oid, after[name])
		}
	}
	now := time.Now().UTC()
	if err := db.Create(&breaks.Break{PlayerID: 1, Kind: "24h", StartsAt: now, CreatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"DELETE FROM breaks", "UPDATE breaks SET kind = kind", "TRUNCATE audits", "TRUNCATE breaks"} {
		if err := db.Exec(stmt).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s after the second start: %v; want refused as append-only", stmt, err)
		}
	}
}
