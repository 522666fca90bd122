package media

import "testing"

func TestSeqMap(t *testing.T) {
	type op struct {
		seq  uint16
		drop bool
		want uint16 // output number (ignored for drops)
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"no drops is identity", []op{{10, false, 10}, {11, false, 11}, {13, false, 13}, {12, false, 12}}},
		{"drop closes the hole", []op{{10, false, 10}, {11, true, 0}, {12, false, 11}, {13, false, 12}}},
		{"late packet before a drop keeps its number", []op{{10, false, 10}, {12, false, 12}, {13, true, 0}, {11, false, 11}, {14, false, 13}}},
		{"late drop leaves a hole", []op{{10, false, 10}, {12, false, 12}, {11, true, 0}, {13, false, 13}}},
		{"wraps", []op{{65534, false, 65534}, {65535, true, 0}, {0, false, 65535}, {1, false, 0}}},
		{"two drops", []op{{1, false, 1}, {2, true, 0}, {3, true, 0}, {4, false, 2}, {3, false, 3 - 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m seqMap
			for i, o := range tt.ops {
				if o.drop {
					m.drop(o.seq)
					continue
				}
				if got := m.out(o.seq); got != o.want {
					t.Fatalf("op %d: out(%d) = %d, want %d", i, o.seq, got, o.want)
				}
			}
		})
	}
}

func TestOrderTracker(t *testing.T) {
	var o orderTracker
	steps := []struct {
		ssrc uint32
		seq  uint16
		want arrival
	}{
		{1, 100, restart}, {1, 101, inOrder}, {1, 101, duplicate}, {1, 103, inOrder}, {1, 102, late},
		{1, 102, duplicate}, {1, 9000, restart}, {2, 9001, restart}, {2, 9000, late}, {2, 65535 & (9001 + 70), inOrder},
		{2, 9000, late},
	}
	for i, s := range steps {
		if got := o.classify(s.ssrc, s.seq); got != s.want {
			t.Fatalf("step %d (ssrc %d seq %d): %d, want %d", i, s.ssrc, s.seq, got, s.want)
		}
	}
}
