package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// sqlLog is GORM's slog logger, asked only about statements it will log: an
// error other than "record not found" or its context cancelled, one slower than
// slow, or any at Info. GORM's own Trace
// renders every statement's SQL with its arguments (Dialector.Explain: reflection
// and a regexp) before it decides to drop it, and that cost a notification more
// than its SQLite work did.
type sqlLog struct {
	logger.Interface
	slow  time.Duration
	level logger.LogLevel // at Info (db.Debug()) every statement is logged
}

func (l sqlLog) LogMode(level logger.LogLevel) logger.Interface {
	return sqlLog{Interface: l.Interface.LogMode(level), slow: l.slow, level: level}
}

func (l sqlLog) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if l.level < logger.Info && (err == nil || errors.Is(err, gorm.ErrRecordNotFound)) && time.Since(begin) <= l.slow {
		return
	}
	// A statement whose caller ended its context (the janitor's next step as the
	// cashier shuts down) failed for no fault of the database: its caller stops on
	// purpose and says what it left. Logged at ERROR, it paged someone at every
	// such shutdown.
	if l.level < logger.Info && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return
	}
	l.Interface.Trace(ctx, begin, fc, err)
}

// Info, Warn and Error log GORM's own messages ("failed to initialize database,
// got error %v") with their values put in: the slog logger GORM provides logs the
// format string as the message and the values as a data array beside it.
func (l sqlLog) Info(ctx context.Context, msg string, data ...any) {
	l.Interface.Info(ctx, fmt.Sprintf(msg, data...))
}

func (l sqlLog) Warn(ctx context.Context, msg string, data ...any) {
	l.Interface.Warn(ctx, fmt.Sprintf(msg, data...))
}

func (l sqlLog) Error(ctx context.Context, msg string, data ...any) {
	l.Interface.Error(ctx, fmt.Sprintf(msg, data...))
}

// ParamsFilter keeps the wrapped logger's filter: with ParameterizedQueries the
// logged SQL carries no values (emails, tokens).
func (l sqlLog) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	if f, ok := l.Interface.(gorm.ParamsFilter); ok {
		return f.ParamsFilter(ctx, sql, params...)
	}
	return sql, params
}
