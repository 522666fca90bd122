package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsValidate(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.Store.Driver != "sqlite" || c.Payment.Gateway != "test" {
		t.Fatalf("embedded defaults changed: store %q gateway %q", c.Store.Driver, c.Payment.Gateway)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     []string
		check   func(t *testing.T, c Config)
		wantErr bool
	}{
		{name: "empty file keeps defaults", yaml: "", check: func(t *testing.T, c Config) {
			if c.HTTP.Listen != "127.0.0.1:8080" {
				t.Errorf("http.listen = %q", c.HTTP.Listen)
			}
		}},
		{name: "file sets keys", yaml: "media:\n  port_min: 40000\n  port_max: 40100\n", check: func(t *testing.T, c Config) {
			if c.Media.PortMin != 40000 || c.Media.PortMax != 40100 {
				t.Errorf("media ports = %d-%d", c.Media.PortMin, c.Media.PortMax)
			}
		}},
		{name: "env wins over file", yaml: "log:\n  level: debug\n", env: []string{"HUSHPAY_LOG_LEVEL=warn", "OTHER=1"}, check: func(t *testing.T, c Config) {
			if c.Log.Level != "warn" {
				t.Errorf("log.level = %q", c.Log.Level)
			}
		}},
		{name: "env integer", env: []string{"HUSHPAY_MEDIA_PORT_MAX=31000"}, check: func(t *testing.T, c Config) {
			if c.Media.PortMax != 31000 {
				t.Errorf("media.port_max = %d", c.Media.PortMax)
			}
		}},
		{name: "unknown key", yaml: "media:\n  prot_min: 1\n", wantErr: true},
		{name: "bad type", yaml: "media:\n  port_min: lots\n", wantErr: true},
		{name: "bad env integer", env: []string{"HUSHPAY_MEDIA_PORT_MIN=x"}, wantErr: true},
		{name: "invalid value", yaml: "store:\n  driver: mysql\n", wantErr: true},
		{name: "postgres needs dsn", env: []string{"HUSHPAY_STORE_DRIVER=postgres"}, wantErr: true},
		{name: "not yaml", yaml: "\t: : :\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hushpay.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path, tt.env)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want error, got none")
				}
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v does not wrap ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want ErrNotExist, got %v", err)
	}
}

func TestSetFromString(t *testing.T) {
	var s struct {
		D time.Duration
		L []string
		F float64
		B bool
		M map[string]int
	}
	vals := []struct {
		field, in string
	}{{"D", "250ms"}, {"L", "a, b,,c"}, {"F", "-10.5"}, {"B", "true"}, {"M", `{"x": 1}`}}
	for _, v := range vals {
		if err := setFromString(fieldByName(&s, v.field), v.in); err != nil {
			t.Fatalf("%s=%q: %v", v.field, v.in, err)
		}
	}
	if s.D != 250*time.Millisecond || strings.Join(s.L, "|") != "a|b|c" || s.F != -10.5 || !s.B || s.M["x"] != 1 {
		t.Fatalf("got %+v", s)
	}
}

// Every key must be documented, and docs/configuration.md must be what the code generates.
func TestReferenceInSync(t *testing.T) {
	for _, k := range Keys() {
		if k.Doc == "" {
			t.Errorf("key %s has no doc tag", k.Path)
		}
	}
	want := Markdown()
	path := filepath.Join("..", "..", "docs", "configuration.md")
	if os.Getenv("HUSHPAY_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("docs/configuration.md is stale: run HUSHPAY_UPDATE_GOLDEN=1 go test ./internal/config")
	}
}
