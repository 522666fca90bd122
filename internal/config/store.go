package config

import (
	"fmt"
	"time"
)

// Store selects the database: embedded SQLite for one node, PostgreSQL for several.
type Store struct {
	Driver       string        `yaml:"driver" default:"sqlite" doc:"Database: sqlite (embedded, one node) or postgres (shared by several nodes)."`
	DSN          string        `yaml:"dsn" doc:"Connection string. sqlite: file path (default: hushpay.db in data.dir). postgres: a libpq URL such as postgres://user@host:5432/hushpay."`
	MaxConns     int           `yaml:"max_conns" default:"8" doc:"Most database connections for reads (sqlite; writes always use one) or in all (postgres)."`
	BusyTimeout  time.Duration `yaml:"busy_timeout" default:"5s" doc:"How long a SQLite connection waits for a lock held by another process before failing."`
	PollInterval time.Duration `yaml:"poll_interval" default:"1s" doc:"postgres: how often a node looks for events written by other nodes in case a LISTEN/NOTIFY wake-up was lost."`
}

func (s *Store) validate() error {
	switch s.Driver {
	case "sqlite":
	case "postgres":
		if s.DSN == "" {
			return fmt.Errorf("driver postgres needs a dsn")
		}
	default:
		return fmt.Errorf("driver %q: want sqlite or postgres", s.Driver)
	}
	if s.MaxConns < 1 || s.MaxConns > 1000 {
		return fmt.Errorf("max_conns %d: want 1 to 1000", s.MaxConns)
	}
	if s.BusyTimeout < 0 {
		return fmt.Errorf("busy_timeout %s: must not be negative", s.BusyTimeout)
	}
	if s.PollInterval < 10*time.Millisecond {
		return fmt.Errorf("poll_interval %s: want at least 10ms", s.PollInterval)
	}
	return nil
}
