package media

// lineEntry is one sample waiting in the delay line.
type lineEntry struct {
	idx  int64 // gate/detector sample index; fillerIdx for inserted samples
	lin  int16 // linear value
	enc  byte  // original encoded byte, valid when kind matches the output codec
	kind kind  // codec of enc; kindUnknown forces re-encoding from lin
	mask bool  // the tone gate marked it: replace with the masking signal
}

// fillerIdx is the index of samples that never went through the gate (the delay inserted
// on entry into secure mode, made of audio already sent before it).
const fillerIdx = -1

// delayLine is the FIFO of samples held back in secure mode so the tone gate can decide
// about each sample before it is sent. It allocates once.
type delayLine struct {
	e    []lineEntry // power-of-two length
	mask int
	head int
	n    int
}

func newDelayLine(capacity int) delayLine {
	size := 1
	for size < capacity {
		size <<= 1
	}
	return delayLine{e: make([]lineEntry, size), mask: size - 1}
}

func (l *delayLine) reset() { l.head, l.n = 0, 0 }

func (l *delayLine) len() int { return l.n }

// push appends a sample; the caller keeps len within capacity.
func (l *delayLine) push(e lineEntry) {
	l.e[(l.head+l.n)&l.mask] = e
	l.n++
}

func (l *delayLine) at(i int) *lineEntry { return &l.e[(l.head+i)&l.mask] }

func (l *delayLine) pop() lineEntry {
	e := l.e[l.head]
	l.head = (l.head + 1) & l.mask
	l.n--
	return e
}

// mark flags the entries whose index lies in [start, end). Entries are in index order, so
// the scan stops at the first one past end.
func (l *delayLine) mark(start, end int64) {
	for i := 0; i < l.n; i++ {
		e := l.at(i)
		if e.idx == fillerIdx || e.idx < start {
			continue
		}
		if e.idx >= end {
			return
		}
		e.mask = true
	}
}

// markAll flags every entry (fail closed around a loss or a stream change).
func (l *delayLine) markAll() {
	for i := 0; i < l.n; i++ {
		l.at(i).mask = true
	}
}

// anyMarked reports whether some entry is flagged.
func (l *delayLine) anyMarked() bool {
	for i := 0; i < l.n; i++ {
		if l.at(i).mask {
			return true
		}
	}
	return false
}

// meanSquare is the mean power of the held samples (linear units squared).
func (l *delayLine) meanSquare() float64 {
	if l.n == 0 {
		return 0
	}
	var s float64
	for i := 0; i < l.n; i++ {
		v := float64(l.at(i).lin)
		s += v * v
	}
	return s / float64(l.n)
}
