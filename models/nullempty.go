package models

import (
	"context"
	"fmt"
	"reflect"

	"gorm.io/gorm/schema"
)

func init() { schema.RegisterSerializer("nullempty", nullEmpty{}) }

// nullEmpty stores an empty string as NULL and reads NULL back as "". A column
// tagged `serializer:nullempty` with a unique index is unique when present: both
// SQLite and PostgreSQL let any number of rows hold NULL under a unique index,
// while Go code keeps a plain string (Player.Email, Player.PersonID).
type nullEmpty struct{}

// Scan reads NULL as "" and a string (or bytes) as itself.
func (nullEmpty) Scan(ctx context.Context, field *schema.Field, dst reflect.Value, dbValue any) error {
	var s string
	switch v := dbValue.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("column %s: %T is not text", field.DBName, dbValue)
	}
	field.ReflectValueOf(ctx, dst).SetString(s)
	return nil
}

// Value writes "" as NULL.
func (nullEmpty) Value(_ context.Context, _ *schema.Field, _ reflect.Value, fieldValue any) (any, error) {
	if s, _ := fieldValue.(string); s != "" {
		return s, nil
	}
	return nil, nil
}
