package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// errBencode is returned for a reply that is not valid bencode.
var errBencode = errors.New("loadgen: invalid bencode")

// bencode encodes strings, integers, lists and string-keyed maps (BitTorrent BEP 3), the
// encoding of rtpengine's ng control protocol.
func bencode(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case string:
		fmt.Fprintf(buf, "%d:%s", len(x), x)
	case int:
		fmt.Fprintf(buf, "i%de", x)
	case []string:
		buf.WriteByte('l')
		for _, s := range x {
			fmt.Fprintf(buf, "%d:%s", len(s), s)
		}
		buf.WriteByte('e')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte('d')
		for _, k := range keys {
			fmt.Fprintf(buf, "%d:%s", len(k), k)
			if err := bencode(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('e')
	default:
		return fmt.Errorf("loadgen: cannot bencode %T", v)
	}
	return nil
}

// bdecode decodes one bencoded value: strings, integers, lists ([]any) and maps
// (map[string]any).
func bdecode(b []byte) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errBencode
	}
	switch c := b[0]; {
	case c == 'i':
		end := bytes.IndexByte(b, 'e')
		if end < 0 {
			return nil, nil, errBencode
		}
		n, err := strconv.Atoi(string(b[1:end]))
		if err != nil {
			return nil, nil, errBencode
		}
		return n, b[end+1:], nil
	case c == 'l':
		var out []any
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			v, rest, err := bdecode(b)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, v)
			b = rest
		}
		if len(b) == 0 {
			return nil, nil, errBencode
		}
		return out, b[1:], nil
	case c == 'd':
		out := map[string]any{}
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			k, rest, err := bdecode(b)
			if err != nil {
				return nil, nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, nil, errBencode
			}
			v, rest, err := bdecode(rest)
			if err != nil {
				return nil, nil, err
			}
			out[ks] = v
			b = rest
		}
		if len(b) == 0 {
			return nil, nil, errBencode
		}
		return out, b[1:], nil
	case c >= '0' && c <= '9':
		colon := bytes.IndexByte(b, ':')
		if colon < 0 {
			return nil, nil, errBencode
		}
		n, err := strconv.Atoi(string(b[:colon]))
		if err != nil || n < 0 || colon+1+n > len(b) {
			return nil, nil, errBencode
		}
		return string(b[colon+1 : colon+1+n]), b[colon+1+n:], nil
	}
	return nil, nil, errBencode
}
