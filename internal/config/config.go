// Package config loads Hushpay's single YAML configuration file and lets every key be
// overridden by an environment variable.
//
// Each key is a struct field with a `yaml` tag (its name in the file) and a `doc` tag (one
// sentence for the configuration reference). The environment variable of a key is
// HUSHPAY_ followed by its dotted path in upper case with dots as underscores: media.port_min
// is HUSHPAY_MEDIA_PORT_MIN. docs/configuration.md is generated from these tags
// (`hushpay config docs`) and a test keeps it in sync.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts the name of every environment variable that sets a key.
const EnvPrefix = "HUSHPAY_"

// ErrInvalid is wrapped by every error about a value that is not acceptable.
var ErrInvalid = errors.New("invalid configuration")

// Config is the whole configuration of one Hushpay node. Each section lives in its own file.
type Config struct {
	Log     Log     `yaml:"log" doc:"Logging."`
	Data    Data    `yaml:"data" doc:"Local files."`
	Store   Store   `yaml:"store" doc:"Database."`
	HTTP    HTTP    `yaml:"http" doc:"HTTP API and dashboard."`
	SIP     SIP     `yaml:"sip" doc:"SIP signalling."`
	Media   Media   `yaml:"media" doc:"RTP media relay and masking."`
	Capture Capture `yaml:"capture" doc:"Card capture rules."`
	Payment Payment `yaml:"payment" doc:"Payment gateways."`
	Web     Web     `yaml:"web" doc:"Agent dashboard and supervisor and admin console."`
}

// Default returns the embedded defaults: SQLite in ./hushpay-data, the test gateway, SIP and
// HTTP on their documented ports.
func Default() Config {
	var c Config
	setDefaults(reflect.ValueOf(&c).Elem())
	return c
}

// Load reads the YAML file at path (none when path is empty) over the defaults, then applies
// environment overrides from environ (os.Environ() form), then validates the result.
func Load(path string, environ []string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := Parse(b, &c); err != nil {
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := ApplyEnv(&c, environ); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// Parse decodes YAML into c, rejecting unknown keys so that a typo is an error, not a
// silently ignored setting.
func Parse(b []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: defaults
		}
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// Validate checks every section and returns the first problem found.
func (c *Config) Validate() error {
	type validator interface{ validate() error }
	v := reflect.ValueOf(c).Elem()
	for i := 0; i < v.NumField(); i++ {
		if s, ok := v.Field(i).Addr().Interface().(validator); ok {
			if err := s.validate(); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrInvalid, v.Type().Field(i).Tag.Get("yaml"), err)
			}
		}
	}
	return nil
}

// Key describes one configuration key for the reference documentation.
type Key struct {
	Path    string // dotted path in the YAML file, e.g. media.port_min
	Env     string // environment variable, e.g. HUSHPAY_MEDIA_PORT_MIN
	Type    string // value type as written by a user
	Default string // default value, formatted
	Doc     string // one-sentence description
}

// Keys lists every configuration key in file order.
func Keys() []Key {
	var keys []Key
	d := Default()
	walk(reflect.ValueOf(&d).Elem(), "", func(path string, f reflect.StructField, v reflect.Value) {
		keys = append(keys, Key{
			Path:    path,
			Env:     EnvName(path),
			Type:    typeName(f.Type),
			Default: formatValue(v),
			Doc:     f.Tag.Get("doc"),
		})
	})
	return keys
}

// EnvName returns the environment variable for a dotted key path.
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// ApplyEnv sets every key whose environment variable is present in environ.
func ApplyEnv(c *Config, environ []string) error {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	if len(env) == 0 {
		return nil
	}
	var firstErr error
	walk(reflect.ValueOf(c).Elem(), "", func(path string, f reflect.StructField, v reflect.Value) {
		name := EnvName(path)
		s, ok := env[name]
		if !ok || firstErr != nil {
			return
		}
		if err := setFromString(v, s); err != nil {
			firstErr = fmt.Errorf("%w: %s: %w", ErrInvalid, name, err)
		}
	})
	return firstErr
}

var durationType = reflect.TypeOf(time.Duration(0))

// walk calls fn for every leaf key. Structs nest; any other type (including slices of
// structs and maps) is a leaf.
func walk(v reflect.Value, prefix string, fn func(path string, f reflect.StructField, v reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != durationType && f.Tag.Get("leaf") == "" {
			walk(fv, path, fn)
			continue
		}
		fn(path, f, fv)
	}
}

// setDefaults fills every field from its `default` tag.
func setDefaults(v reflect.Value) {
	walk(v, "", func(path string, f reflect.StructField, fv reflect.Value) {
		if d, ok := f.Tag.Lookup("default"); ok {
			if err := setFromString(fv, d); err != nil {
				panic(fmt.Sprintf("config: bad default for %s: %v", path, err))
			}
		}
	})
}

func setFromString(v reflect.Value, s string) error {
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetFloat(n)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String && !strings.HasPrefix(strings.TrimSpace(s), "[") {
			var parts []string
			for p := range strings.SplitSeq(s, ",") {
				if p = strings.TrimSpace(p); p != "" {
					parts = append(parts, p)
				}
			}
			v.Set(reflect.ValueOf(parts).Convert(v.Type()))
			return nil
		}
		fallthrough
	default:
		// Structured values (lists of routes, maps) are written as inline YAML or JSON.
		p := reflect.New(v.Type())
		if err := yaml.Unmarshal([]byte(s), p.Interface()); err != nil {
			return err
		}
		v.Set(p.Elem())
	}
	return nil
}

func typeName(t reflect.Type) string {
	if t == durationType {
		return "duration"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "list of strings"
		}
		return "list (YAML)"
	case reflect.Map:
		return "map (YAML)"
	default:
		return "object (YAML)"
	}
}

func formatValue(v reflect.Value) string {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.Slice:
		if v.Len() == 0 {
			return ""
		}
		if v.Type().Elem().Kind() == reflect.String {
			parts := make([]string, v.Len())
			for i := range parts {
				parts[i] = v.Index(i).String()
			}
			return strings.Join(parts, ",")
		}
		b, _ := yaml.Marshal(v.Interface())
		return strings.TrimSpace(string(b))
	case reflect.Struct, reflect.Map:
		if v.IsZero() {
			return ""
		}
		b, _ := yaml.Marshal(v.Interface())
		return strings.TrimSpace(string(b))
	}
	return fmt.Sprint(v.Interface())
}

// Markdown renders the configuration reference (docs/configuration.md).
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("Hushpay reads one YAML file (`hushpay serve --config FILE`). Every key can also be set by an\n")
	b.WriteString("environment variable, which wins over the file: `HUSHPAY_` and the key's dotted path in upper\n")
	b.WriteString("case with `_` for `.`. Lists of strings are comma-separated in the environment; lists of\n")
	b.WriteString("objects are inline YAML or JSON. Durations use Go syntax (`250ms`, `30s`, `5m`). Unknown keys\n")
	b.WriteString("in the file are an error. This page is generated by `hushpay config docs`; a test keeps it in\n")
	b.WriteString("sync with the code.\n")
	section := ""
	t := reflect.TypeOf(Config{})
	docs := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		docs[t.Field(i).Tag.Get("yaml")] = t.Field(i).Tag.Get("doc")
	}
	for _, k := range Keys() {
		top, _, _ := strings.Cut(k.Path, ".")
		if top != section {
			section = top
			fmt.Fprintf(&b, "\n## `%s` — %s\n\n", section, docs[section])
			b.WriteString("| key | environment | type | default | meaning |\n|---|---|---|---|---|\n")
		}
		def := k.Default
		if def != "" {
			def = "`" + strings.ReplaceAll(def, "\n", " ") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", k.Path, k.Env, k.Type, def, k.Doc)
	}
	return b.String()
}
