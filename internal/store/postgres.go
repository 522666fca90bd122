package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// eventsChannel is the PostgreSQL NOTIFY channel on which a node announces new events to
// the others.
const eventsChannel = "hushpay_events"

// eventsLockKey is the advisory lock that orders event appends across nodes (see the
// package comment). Its value is arbitrary but fixed.
const eventsLockKey = 0x48757368706179 // "Hushpay"

// auditLockKey is the advisory lock that gives the audit chain one writer at a time.
const auditLockKey = eventsLockKey + 1

func (s *Store) openPostgres(ctx context.Context, o Options) error {
	if o.DSN == "" {
		return fmt.Errorf("store: postgres needs a dsn")
	}
	db, err := sql.Open("pgx", o.DSN)
	if err != nil {
		return fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.write, s.read = db, db
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: connect postgres: %w", err)
	}
	return nil
}

// listenPostgres wakes event readers when another node commits events: it LISTENs on
// eventsChannel and, whatever happens to that connection, also wakes them every
// PollInterval so that a lost notification only delays, never loses, an event.
func (s *Store) listenPostgres(ctx context.Context, o Options) {
	tick := time.NewTicker(o.PollInterval)
	defer tick.Stop()
	notes := make(chan struct{}, 1)
	go func() {
		for ctx.Err() == nil {
			if err := s.listenOnce(ctx, o.DSN, notes); err != nil && ctx.Err() == nil {
				slog.Debug("store: postgres listen", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(o.PollInterval):
				}
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-notes:
			s.changed.notify()
		case <-tick.C:
			s.changed.notify()
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, dsn string, notes chan<- struct{}) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+eventsChannel); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case notes <- struct{}{}:
		default:
		}
	}
}
