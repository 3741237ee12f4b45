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
// serialized field (gorm:"serializer:…") is refused. Its statement is made once
// for each model, database and where, and kept: where must be a fixed text, its
// values in args.
func Take(ctx context.Context, db *gorm.DB, dest any, where string, args ...any) (bool, error) {
	q, err := takeOf(db, dest, where)
	if err != nil {
		return false, err
	}
	fields := q.fields
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
	err = QueryRow(ctx, db, q.query, args, targets...)
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

// takeKey is one Take of a model (its type) by one condition on one database:
// its dialector, one value for every session of the database (which each have a
// config of their own), as its naming is.
type takeKey struct {
	dialector gorm.Dialector
	model     reflect.Type
	where     string
}

// takeQuery is a Take's statement and the fields it reads, in order.
type takeQuery struct {
	query  string
	fields []*schema.Field
}

// takes holds each Take's statement, made once: every notification reads its
// order with Take, whose statement of some sixty columns was concatenated, and
// its model parsed into a new gorm.Statement, at every call.
var takes struct {
	sync.RWMutex
	m map[takeKey]takeQuery
}

func takeOf(db *gorm.DB, dest any, where string) (takeQuery, error) {
	// A dialector of a type == cannot compare (none of ours) is not kept.
	keep := reflect.TypeOf(db.Dialector).Comparable()
	key := takeKey{db.Dialector, reflect.TypeOf(dest), where}
	if keep {
		takes.RLock()
		q, ok := takes.m[key]
		takes.RUnlock()
		if ok {
			return q, nil
		}
	}
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(dest); err != nil {
		return takeQuery{}, err
	}
	cols, fields := columns(stmt.Schema)
	for _, f := range fields {
		if f.Serializer != nil {
			// GORM's serializers decode in its own Scan; this one would store the column as is.
			return takeQuery{}, fmt.Errorf("raw.Take: %s.%s has a serializer: read it through GORM", stmt.Schema.Name, f.Name)
		}
	}
	q := takeQuery{"SELECT " + cols + " FROM " + stmt.Schema.Table + " WHERE " + where, fields}
	if !keep {
		return q, nil
	}
	takes.Lock()
	if takes.m == nil {
		takes.m = map[takeKey]takeQuery{}
	}
	takes.m[key] = q
	takes.Unlock()
	return q, nil
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
