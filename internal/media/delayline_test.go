package media

import "testing"

func TestDelayLine(t *testing.T) {
	l := newDelayLine(5) // rounds up to 8
	if len(l.e) != 8 {
		t.Fatalf("capacity %d", len(l.e))
	}
	for round := range 3 { // wrap around the ring
		for i := range 6 {
			l.push(lineEntry{idx: int64(round*100 + i), lin: int16(i)})
		}
		l.mark(int64(round*100+2), int64(round*100+4))
		if !l.anyMarked() {
			t.Fatal("no mark")
		}
		for i := range 6 {
			e := l.pop()
			if e.idx != int64(round*100+i) || e.mask != (i == 2 || i == 3) {
				t.Fatalf("round %d entry %d: %+v", round, i, e)
			}
		}
		if l.len() != 0 || l.anyMarked() {
			t.Fatal("not empty")
		}
	}
	l.push(lineEntry{idx: fillerIdx, lin: 100})
	l.push(lineEntry{idx: 7, lin: -100})
	l.mark(0, 100)
	if l.at(0).mask || !l.at(1).mask {
		t.Fatal("filler samples are not gate-indexed")
	}
	if ms := l.meanSquare(); ms != 10000 {
		t.Fatalf("mean square %v", ms)
	}
	l.markAll()
	if !l.at(0).mask {
		t.Fatal("markAll")
	}
}
