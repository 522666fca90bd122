package loadgen

import (
	"bytes"
	"reflect"
	"testing"
)

func TestBencodeRoundTrip(t *testing.T) {
	in := map[string]any{"command": "offer", "n": 20, "flags": []string{"a b", "c"}, "sdp": "v=0\r\n"}
	var buf bytes.Buffer
	if err := bencode(&buf, in); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "d7:command5:offer5:flagsl3:a b1:ce1:ni20e3:sdp5:v=0\r\ne" {
		t.Fatalf("encoded %q", got)
	}
	v, rest, err := bdecode(buf.Bytes())
	if err != nil || len(rest) != 0 {
		t.Fatal(err, rest)
	}
	want := map[string]any{"command": "offer", "n": 20, "flags": []any{"a b", "c"}, "sdp": "v=0\r\n"}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("decoded %#v", v)
	}
}

func FuzzBdecode(f *testing.F) {
	f.Add([]byte("d6:result2:ok3:sdp3:v=0e"))
	f.Add([]byte("li1ei-2el1:xee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		bdecode(b) // must not panic or hang
	})
}
