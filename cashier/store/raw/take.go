package raw

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// Take reads the first row of dest's table that matches where (a condition with
// ? placeholders, and whatever follows it: ORDER BY, LIMIT, FOR UPDATE) into dest,
// a pointer to a GORM model, every column of it, and reports whether there was
// one. Columns that cannot hold NULL are scanned straight into their fields; the
// others through GORM's own field setter, as GORM's Scan would. A model with a
// serialized field (gorm:"serializer:…") is refused.
func Take(ctx context.Context, db *gorm.DB, dest any, where string, args ...any) (bool, error) {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(dest); err != nil {
		return false, err
	}
	cols, fields := columns(stmt.Schema)
	for _, f := range fields {
		if f.Serializer != nil {
			// GORM's serializers decode in its own Scan; this one would store the column as is.
			return false, fmt.Errorf("raw.Take: %s.%s has a serializer: read it through GORM", stmt.Schema.Name, f.Name)
		}
	}
	rv := reflect.ValueOf(dest).Elem()
	targets := make([]any, len(fields))
	var nullable []int
	for i, f := range fields {
		if f.NotNull || f.FieldType.Kind() == reflect.Pointer {
			targets[i] = f.ReflectValueOf(ctx, rv).Addr().Interface()
			continue
		}
		targets[i] = new(any)
		nullable = append(nullable, i)
	}
	err := QueryRow(ctx, db, "SELECT "+cols+" FROM "+stmt.Schema.Table+" WHERE "+where, args, targets...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, i := range nullable {
		if err := fields[i].Set(ctx, rv, *targets[i].(*any)); err != nil {
			return false, err
		}
	}
	return true, nil
}

// selects holds each schema's column list and the fields behind it.
var selects sync.Map // *schema.Schema → selectList

type selectList struct {
	cols   string
	fields []*schema.Field
}

func columns(s *schema.Schema) (string, []*schema.Field) {
	if l, ok := selects.Load(s); ok {
		return l.(selectList).cols, l.(selectList).fields
	}
	var names []string
	var fields []*schema.Field
	for _, f := range s.Fields {
		if f.DBName == "" || !f.Readable {
			continue
		}
		names = append(names, f.DBName)
		fields = append(fields, f)
	}
	l := selectList{strings.Join(names, ", "), fields}
	selects.Store(s, l)
	return l.cols, l.fields
}
