package config

import "fmt"

// Store selects the database: embedded SQLite for one node, PostgreSQL for several.
type Store struct {
	Driver string `yaml:"driver" default:"sqlite" doc:"Database: sqlite (embedded, one node) or postgres (shared by several nodes)."`
	DSN    string `yaml:"dsn" doc:"Connection string. sqlite: file path (default: hushpay.db in data.dir). postgres: a libpq URL such as postgres://user@host:5432/hushpay."`
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
	return nil
}
