package dtmf

import "testing"

func TestSequences(t *testing.T) {
	var tones []Tone
	at := int64(0)
	add := func(ds string, gap int64) {
		for i := 0; i < len(ds); i++ {
			tones = append(tones, Tone{Digit: ds[i], Start: at, End: at + 560})
			at += 1120
		}
		at += gap
	}
	add("1", 40000)                  // IVR choice, then a pause
	add("4111111111111111#", 0)      // card number with terminator
	add("1228", 0)                   // expiry
	add("123#", 40000)               // CVV
	add("5555555555554444122812", 0) // card, expiry and CVV without terminators
	add("1234567890123", 0)
	seqs := Sequences(tones, SequenceGap)
	want := []struct {
		digits string
		card   bool
	}{{"1", false}, {"4111111111111111#", true}, {"1228123#", false}, {"55555555555544441228121234567890123", true}}
	if len(seqs) != len(want) {
		t.Fatalf("%d sequences: %+v", len(seqs), seqs)
	}
	for i, w := range want {
		if seqs[i].Digits != w.digits || seqs[i].CardLike != w.card {
			t.Errorf("sequence %d: %q card %v, want %q %v", i, seqs[i].Digits, seqs[i].CardLike, w.digits, w.card)
		}
	}
	if got := MaskDigits("4111111111111111"); got != "411111******1111" {
		t.Errorf("MaskDigits = %q", got)
	}
	if got := MaskDigits("4111111111111111#"); got != "411111******1111#" {
		t.Errorf("MaskDigits with terminator = %q", got)
	}
	if got := MaskDigits("12345"); got != "12345" {
		t.Errorf("MaskDigits short = %q", got)
	}
}

func TestDecodeAll(t *testing.T) {
	s, placed, err := Sequence("4111#", SequenceOptions{ToneMS: 70, GapMS: 70, LevelDBm0: -10})
	if err != nil {
		t.Fatal(err)
	}
	got := DecodeAll(s, DefaultDetectorConfig())
	if len(got) != len(placed) {
		t.Fatalf("%+v", got)
	}
	for i, p := range placed {
		if got[i].Digit != p.Digit || got[i].End <= got[i].Start {
			t.Errorf("%d: %+v, want %+v", i, got[i], p)
		}
	}
}
