package handlers

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// dbDigest is a digest of every row of every table, for telling whether a request
// wrote anything.
func dbDigest(t *testing.T, db *gorm.DB) map[string]string {
	t.Helper()
	tables, err := db.Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, table := range tables {
		rows, err := db.Table(table).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%v", vals))
		}
		rows.Close()
		sort.Strings(lines)
		out[table] = fmt.Sprintf("%d rows %x", len(lines), sha256.Sum256([]byte(strings.Join(lines, "\n"))))
	}
	return out
}

// changedTables names the tables whose digest differs between before and after.
func changedTables(before, after map[string]string) []string {
	var changed []string
	for table, d := range after {
		if before[table] != d {
			changed = append(changed, table)
		}
	}
	sort.Strings(changed)
	return changed
}
