package config

import "errors"

// Data says where Hushpay keeps its local files (the SQLite database, signed recordings).
type Data struct {
	Dir string `yaml:"dir" default:"hushpay-data" doc:"Directory for local files; created if missing."`
}

func (d *Data) validate() error {
	if d.Dir == "" {
		return errors.New("dir must not be empty")
	}
	return nil
}
