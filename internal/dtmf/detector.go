package dtmf

import (
	"math"
	"math/cmplx"

	"github.com/hushpay/hushpay/internal/audio"
)

// How the detector works (ITU-T Q.24, ETSI ES 201 235-3):
//
// Audio is cut into sub-blocks of 34 samples (4.25 ms). For each sub-block the detector keeps
// its energy and its complex DFT at the eight DTMF frequencies (Goertzel). Every sub-block it
// judges the block of the last three sub-blocks (102 samples, 12.75 ms, the block length
// spandsp uses), so blocks overlap and a verdict comes every 4.25 ms. A block carries a digit
// when:
//   - the strongest row and column (from the block's coherent DFT, 78 Hz resolution) are both
//     above the minimum level and stand out by RelativePeakDB from the second row/column once
//     the pair's own leakage into those bins is subtracted;
//   - after removing the two tones' leakage into each other (a 4x4 least-squares solve per
//     sub-block), the tones explain at least EnergyRatio of the block's energy (speech, music
//     and noise fail this);
//   - the twist is within NormalTwistDB / ReverseTwistDB;
//   - each tone's amplitude is steady over the three sub-blocks (a block half filled with tone
//     fails, which is what makes the duration limits sharp);
//   - each tone's frequency, measured from the phase advance between sub-blocks, is within
//     FreqTolerance of nominal (accept ±1.5 %, reject ±3.5 %: measured, not inferred from an
//     amplitude drop, so the limit is the same at 697 Hz and at 1633 Hz);
//   - the two measured frequencies are not in a 2:1 or 3:2 ratio (harmonics of one note).
// ConfirmBlocks consecutive blocks with the same digit confirm it (4 blocks span 204 samples,
// 25.5 ms: tones under 20 ms can never be confirmed), or one block fewer once the tone's
// estimated onset lies MinDurationMS (22 ms) back, so confirmation comes 22-28.5 ms after the
// onset; EndBlocks blocks without it end it (bridging drop-outs of 10 ms, separating digits
// by gaps of 20 ms and more). Start and end are then estimated to the sample from how full the
// sub-blocks at the tone's edges are.

const (
	subLen    = 34 // samples per sub-block
	blockSubs = 3  // sub-blocks per block (102 samples)
	histSubs  = 32 // sub-blocks of history kept for the edge estimates
	fs        = 8000.0
)

// DetectorConfig holds the detector's thresholds. Its zero value is invalid: start from
// DefaultDetectorConfig.
type DetectorConfig struct {
	MinLevelDBm0   float64 // weakest tone accepted, per tone
	NormalTwistDB  float64 // how much weaker the high-group tone may be
	ReverseTwistDB float64 // how much stronger the high-group tone may be
	RelativePeakDB float64 // how far the second row/column must stay below the best
	EnergyRatio    float64 // share of the block energy the two tones must explain
	Steadiness     float64 // min/max amplitude of each tone over a block's sub-blocks
	FreqTolerance  float64 // accepted relative frequency deviation of each tone
	ConfirmBlocks  int     // consecutive blocks that confirm a digit
	MinDurationMS  float64 // confirm one block before ConfirmBlocks once the tone lasted this long
	EndBlocks      int     // consecutive blocks without the digit that end it
}

// DefaultDetectorConfig returns thresholds that meet ITU-T Q.24 / ETSI ES 201 235-3.
func DefaultDetectorConfig() DetectorConfig {
	return DetectorConfig{
		MinLevelDBm0:   -42,
		NormalTwistDB:  10,
		ReverseTwistDB: 6,
		RelativePeakDB: 8,
		EnergyRatio:    0.8,
		Steadiness:     0.7,
		FreqTolerance:  0.025,
		ConfirmBlocks:  4,
		MinDurationMS:  22,
		EndBlocks:      6,
	}
}

// EventKind tells a digit's start from its end.
type EventKind uint8

// Event kinds.
const (
	DigitStart EventKind = iota + 1 // a digit is confirmed; Sample = estimated true start of its tone
	DigitEnd                        // Sample = estimated end of the tone
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case DigitStart:
		return "start"
	case DigitEnd:
		return "end"
	}
	return "unknown"
}

// Event is a digit starting or ending, at an absolute sample index since NewDetector/Reset.
type Event struct {
	Kind   EventKind
	Digit  byte
	Sample int64
	// At is the number of samples processed when the detector decided (its decision time):
	// At - Sample of a DigitStart is the confirmation latency.
	At int64
}

type subBlock struct {
	x      [8]complex128 // DFT at the 4 row then 4 column frequencies, phase at sub-block start
	energy float64
}

// pairModel is the 4x4 inverse that removes two tones' mutual leakage (and their negative-
// frequency images) from their sub-block DFT values.
type pairModel [4][4]float64

// detectorTables are shared, read-only constants.
type detectorTables struct {
	coef  [8]float64    // Goertzel 2cos(ω)
	wn    [8]complex128 // e^{-iω}
	tail  [8]complex128 // e^{-iω(S-1)}
	rot   [8]complex128 // e^{-iωS}: advance of one sub-block
	omega [8]float64
	pairs [4][4]pairModel
	// Whole blocks: the pair model, and how much a tone at frequency j leaks into bin k
	// (X_k += P·leakA[j][k] + conj(P)·leakB[j][k]).
	blockPairs   [4][4]pairModel
	leakA, leakB [8][8]complex128
}

var tables = newDetectorTables()

func newDetectorTables() *detectorTables {
	t := &detectorTables{}
	freqs := append(RowFreqs[:], ColFreqs[:]...)
	for k, f := range freqs {
		w := 2 * math.Pi * f / fs
		t.omega[k] = w
		t.coef[k] = 2 * math.Cos(w)
		t.wn[k] = cmplx.Exp(complex(0, -w))
		t.tail[k] = cmplx.Exp(complex(0, -w*(subLen-1)))
		t.rot[k] = cmplx.Exp(complex(0, -w*subLen))
	}
	for r := range 4 {
		for c := range 4 {
			t.pairs[r][c] = newPairModel(t.omega[r], t.omega[4+c], subLen)
			t.blockPairs[r][c] = newPairModel(t.omega[r], t.omega[4+c], subLen*blockSubs)
		}
	}
	for j := range 8 {
		for k := range 8 {
			t.leakA[j][k] = dsum(t.omega[j]-t.omega[k], subLen*blockSubs)
			t.leakB[j][k] = dsum(-(t.omega[j] + t.omega[k]), subLen*blockSubs)
		}
	}
	return t
}

// dsum is Σ_{n<S} e^{iθn}.
func dsum(theta float64, s int) complex128 {
	var z complex128
	for n := range s {
		z += cmplx.Exp(complex(0, theta*float64(n)))
	}
	return z
}

// newPairModel builds the inverse of the map from the tones' phasors (Pr, Pc) to their DFT
// values: X_k = Σ_tones P·D(ω-ω_k) + conj(P)·D(-(ω+ω_k)).
func newPairModel(wr, wc float64, s int) pairModel {
	var m [4][4]float64
	// term adds A·P + B·conj(P) of phasor p (0 = row, 1 = column) into output k.
	term := func(k, p int, a, b complex128) {
		m[2*k][2*p] += real(a) + real(b)
		m[2*k][2*p+1] += -imag(a) + imag(b)
		m[2*k+1][2*p] += imag(a) + imag(b)
		m[2*k+1][2*p+1] += real(a) - real(b)
	}
	term(0, 0, dsum(0, s), dsum(-2*wr, s))
	term(0, 1, dsum(wc-wr, s), dsum(-(wc+wr), s))
	term(1, 1, dsum(0, s), dsum(-2*wc, s))
	term(1, 0, dsum(wr-wc, s), dsum(-(wr+wc), s))
	return invert4(m)
}

func invert4(m [4][4]float64) pairModel {
	var a [4][8]float64
	for i := range 4 {
		copy(a[i][:4], m[i][:])
		a[i][4+i] = 1
	}
	for col := range 4 {
		p := col
		for r := col + 1; r < 4; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		d := a[col][col]
		for j := range 8 {
			a[col][j] /= d
		}
		for r := range 4 {
			if r != col {
				f := a[r][col]
				for j := range 8 {
					a[r][j] -= f * a[col][j]
				}
			}
		}
	}
	var inv pairModel
	for i := range 4 {
		copy(inv[i][:], a[i][4:])
	}
	return inv
}

// solve returns the row and column phasors from the two measured DFT values.
func (m *pairModel) solve(xr, xc complex128) (pr, pc complex128) {
	v := [4]float64{real(xr), imag(xr), real(xc), imag(xc)}
	var o [4]float64
	for i := range 4 {
		o[i] = m[i][0]*v[0] + m[i][1]*v[1] + m[i][2]*v[2] + m[i][3]*v[3]
	}
	return complex(o[0], o[1]), complex(o[2], o[3])
}

// Detector is the strict, standards-conforming DTMF receiver (ITU-T Q.24 / ETSI ES 201
// 235-3). Feed it 8 kHz audio in chunks of any size; it reports each digit's confirmed start
// and its end, with sample-accurate time estimates. A Detector is not safe for concurrent use.
type Detector struct {
	cfg DetectorConfig

	// derived thresholds
	minP2         float64 // minimum |P|² (phasor = amplitude/2)
	minBlockPow   float64 // minimum coherent block |B|²
	relPeak       float64 // power ratio
	normalTwist2  float64 // power ratios
	reverseTwist2 float64
	steady2       float64
	freqTol       float64

	buf  [subLen]float64
	nbuf int
	hist [histSubs]subBlock
	nsub int64 // sub-blocks completed

	// digit state
	cand      byte  // candidate digit (not yet confirmed)
	candCount int   // consecutive blocks of cand
	candFirst int64 // first sub-block of cand's first block
	cur       byte  // confirmed digit, 0 when none
	curLast   int64 // last sub-block of the last block carrying cur
	misses    int   // consecutive blocks without cur
	ampR      float64
	ampC      float64
	curRow    int
	curCol    int
}

// NewDetector returns a detector with the given thresholds.
func NewDetector(cfg DetectorConfig) *Detector {
	d := &Detector{cfg: cfg}
	minP := audio.SineAmplitude(cfg.MinLevelDBm0) / 2
	d.minP2 = minP * minP
	b := minP * subLen * blockSubs * 0.8 // allow for a 1.5-3.5 % frequency offset
	d.minBlockPow = b * b
	d.relPeak = math.Pow(10, cfg.RelativePeakDB/10)
	d.normalTwist2 = math.Pow(10, cfg.NormalTwistDB/10)
	d.reverseTwist2 = math.Pow(10, cfg.ReverseTwistDB/10)
	d.steady2 = cfg.Steadiness * cfg.Steadiness
	d.freqTol = cfg.FreqTolerance
	if d.cfg.ConfirmBlocks < 1 {
		d.cfg.ConfirmBlocks = 1
	}
	if d.cfg.EndBlocks < 1 {
		d.cfg.EndBlocks = 1
	}
	return d
}

// Reset forgets all state; sample indices start again at 0.
func (d *Detector) Reset() {
	cfg := d.cfg
	*d = *NewDetector(cfg)
}

// Process analyses samples (any chunk size) and calls emit for each event, in order.
func (d *Detector) Process(samples []int16, emit func(Event)) {
	for len(samples) > 0 {
		n := copy16(d.buf[d.nbuf:], samples)
		d.nbuf += n
		samples = samples[n:]
		if d.nbuf == subLen {
			d.nbuf = 0
			d.analyse()
			d.judge(emit)
		}
	}
}

func copy16(dst []float64, src []int16) int {
	n := min(len(dst), len(src))
	for i := range n {
		dst[i] = float64(src[i])
	}
	return n
}

// Flush ends a digit still on at the end of the stream.
func (d *Detector) Flush(emit func(Event)) {
	if d.cur != 0 {
		d.endDigit(emit)
	}
	d.cand, d.candCount = 0, 0
}

// analyse computes the energy and the 8 DFT values of the sub-block in buf.
func (d *Detector) analyse() {
	sb := &d.hist[d.nsub%histSubs]
	var e float64
	for _, x := range d.buf {
		e += x * x
	}
	sb.energy = e
	t := tables
	for k := 0; k < 8; k += 4 {
		c0, c1, c2, c3 := t.coef[k], t.coef[k+1], t.coef[k+2], t.coef[k+3]
		var a1, a2, b1, b2, d1, d2, e1, e2 float64
		for _, x := range d.buf {
			a1, a2 = x+c0*a1-a2, a1
			b1, b2 = x+c1*b1-b2, b1
			d1, d2 = x+c2*d1-d2, d1
			e1, e2 = x+c3*e1-e2, e1
		}
		sb.x[k] = goertzelOut(a1, a2, t.wn[k], t.tail[k])
		sb.x[k+1] = goertzelOut(b1, b2, t.wn[k+1], t.tail[k+1])
		sb.x[k+2] = goertzelOut(d1, d2, t.wn[k+2], t.tail[k+2])
		sb.x[k+3] = goertzelOut(e1, e2, t.wn[k+3], t.tail[k+3])
	}
	d.nsub++
}

// goertzelOut turns the last two Goertzel states into the DFT value referenced to the
// block's first sample: X = e^{-iω(N-1)}·(s[N-1] - e^{-iω}·s[N-2]).
func goertzelOut(s1, s2 float64, wn, tail complex128) complex128 {
	return (complex(s1, 0) - wn*complex(s2, 0)) * tail
}

func (d *Detector) sub(i int64) *subBlock { return &d.hist[i%histSubs] }

// block judges the block made of the last blockSubs sub-blocks and returns its digit, or 0.
func (d *Detector) block() (digit byte, row, col int, ar, ac float64) {
	if d.nsub < blockSubs {
		return 0, 0, 0, 0, 0
	}
	first := d.nsub - blockSubs
	t := tables
	var pow [8]float64
	var bx [8]complex128
	var energy float64
	for k := range 8 {
		var z complex128
		rot := complex(1, 0)
		for m := range int64(blockSubs) {
			z += d.sub(first + m).x[k] * rot
			rot *= t.rot[k]
		}
		bx[k] = z
		pow[k] = real(z)*real(z) + imag(z)*imag(z)
	}
	for m := range int64(blockSubs) {
		energy += d.sub(first + m).energy
	}
	row, row2 := best(pow[0:4])
	col, col2 := best(pow[4:8])
	pr, pc := pow[row], pow[4+col]
	if pr < d.minBlockPow || pc < d.minBlockPow {
		return 0, 0, 0, 0, 0
	}
	// Relative peak: the runner-up of each group, once the pair's own leakage into it is
	// taken out (a strong row tone leaks into the column bins and would otherwise make a weak
	// column tone look crowded), must stay RelativePeakDB below the best.
	bpr, bpc := t.blockPairs[row][col].solve(bx[row], bx[4+col])
	if d.residual(&bx, row2, row, col, bpr, bpc)*d.relPeak > pr ||
		d.residual(&bx, 4+col2, row, col, bpr, bpc)*d.relPeak > pc {
		return 0, 0, 0, 0, 0
	}
	// Remove the pair's mutual leakage, sub-block by sub-block.
	model := &t.pairs[row][col]
	var (
		phR, phC   [blockSubs]complex128
		minR, maxR = math.Inf(1), 0.0
		minC, maxC = math.Inf(1), 0.0
		sumR, sumC float64
		toneEnergy float64
		advR, advC complex128
	)
	for m := range blockSubs {
		sb := d.sub(first + int64(m))
		phR[m], phC[m] = model.solve(sb.x[row], sb.x[4+col])
		r2 := real(phR[m])*real(phR[m]) + imag(phR[m])*imag(phR[m])
		c2 := real(phC[m])*real(phC[m]) + imag(phC[m])*imag(phC[m])
		minR, maxR = math.Min(minR, r2), math.Max(maxR, r2)
		minC, maxC = math.Min(minC, c2), math.Max(maxC, c2)
		sumR += r2
		sumC += c2
		toneEnergy += 2 * (r2 + c2) * subLen
		if m > 0 {
			advR += phR[m] * cmplx.Conj(phR[m-1])
			advC += phC[m] * cmplx.Conj(phC[m-1])
		}
	}
	mr, mc := sumR/blockSubs, sumC/blockSubs
	if mr < d.minP2 || mc < d.minP2 {
		return 0, 0, 0, 0, 0
	}
	if toneEnergy < d.cfg.EnergyRatio*energy {
		return 0, 0, 0, 0, 0
	}
	// Twist: column power over row power.
	if mc*d.normalTwist2 < mr || mc > mr*d.reverseTwist2 {
		return 0, 0, 0, 0, 0
	}
	if minR < d.steady2*maxR || minC < d.steady2*maxC {
		return 0, 0, 0, 0, 0
	}
	dfR, okR := d.deviation(advR, row)
	dfC, okC := d.deviation(advC, 4+col)
	if !okR || !okC || harmonic((ColFreqs[col]+dfC)/(RowFreqs[row]+dfR)) {
		return 0, 0, 0, 0, 0
	}
	return keypad[row][col], row, col, math.Sqrt(mr), math.Sqrt(mc)
}

// residual returns the block power of bin k once the leakage of the pair's two tones (block
// phasors pr, pc) is subtracted.
func (d *Detector) residual(bx *[8]complex128, k, row, col int, pr, pc complex128) float64 {
	t := tables
	z := bx[k] - pr*t.leakA[row][k] - cmplx.Conj(pr)*t.leakB[row][k] -
		pc*t.leakA[4+col][k] - cmplx.Conj(pc)*t.leakB[4+col][k]
	return real(z)*real(z) + imag(z)*imag(z)
}

// deviation measures the tone's frequency offset from its phase advance over one
// sub-block and checks it against the tolerance. Each phasor is referenced to its
// sub-block's start, so a tone at ω advances by e^{iωS} from one sub-block to the next;
// against the nominal ω0 the excess is e^{i(ω-ω0)S}.
func (d *Detector) deviation(adv complex128, k int) (hz float64, ok bool) {
	dev := cmplx.Phase(adv * tables.rot[k])
	df := dev * fs / (2 * math.Pi * subLen)
	return df, math.Abs(df) <= d.freqTol*toneFreq(k)
}

// harmonic reports whether the measured column/row frequency ratio is, within 0.6 %, 2 or
// 3/2: the second harmonic of a note over its fundamental, or its third over its second.
// Genuine DTMF pairs within ±1.5 % stay at least 1.2 % away from both ratios, while a sawtooth
// or a voice whose harmonics happen to fall in both groups lands on them exactly.
func harmonic(ratio float64) bool {
	return math.Abs(ratio/2-1) < 0.006 || math.Abs(ratio/1.5-1) < 0.006
}

// toneFreq returns frequency k of the 8 (4 rows then 4 columns).
func toneFreq(k int) float64 {
	if k < 4 {
		return RowFreqs[k]
	}
	return ColFreqs[k-4]
}

func best(p []float64) (first, second int) {
	first, second = 0, 1
	if p[1] > p[0] {
		first, second = 1, 0
	}
	for i := 2; i < len(p); i++ {
		switch {
		case p[i] > p[first]:
			first, second = i, first
		case p[i] > p[second]:
			second = i
		}
	}
	return first, second
}

// judge runs the digit state machine on the newest block.
func (d *Detector) judge(emit func(Event)) {
	digit, row, col, ar, ac := d.block()
	last := d.nsub - 1 // last sub-block of this block
	if d.cur != 0 {
		if digit == d.cur {
			d.misses = 0
			d.curLast = last
			d.ampR, d.ampC = ar, ac
			return
		}
		d.misses++
		if digit == 0 && d.misses < d.cfg.EndBlocks {
			return
		}
		d.endDigit(emit)
	}
	if digit == 0 {
		d.cand, d.candCount = 0, 0
		return
	}
	if digit != d.cand {
		d.cand, d.candCount, d.candFirst = digit, 0, last-blockSubs+1
	}
	d.candCount++
	if d.candCount < d.cfg.ConfirmBlocks-1 {
		return
	}
	d.curRow, d.curCol, d.ampR, d.ampC = row, col, ar, ac // for the edge estimate
	onset := d.onset()
	// One block early when the tone has provably lasted MinDurationMS already.
	if d.candCount < d.cfg.ConfirmBlocks && float64(d.nsub*subLen-onset) < d.cfg.MinDurationMS*8 {
		return
	}
	d.cur, d.curLast, d.misses = digit, last, 0
	d.cand, d.candCount = 0, 0
	emit(Event{Kind: DigitStart, Digit: digit, Sample: onset, At: d.nsub * subLen})
}

// fill returns how full of the current tone sub-block i is, 0-1 (its phasor amplitudes over
// the steady amplitudes).
func (d *Detector) fill(i int64) float64 {
	if i < 0 || i >= d.nsub || d.nsub-i > histSubs {
		return 0
	}
	sb := d.sub(i)
	pr, pc := tables.pairs[d.curRow][d.curCol].solve(sb.x[d.curRow], sb.x[4+d.curCol])
	f := (cmplx.Abs(pr)/d.ampR + cmplx.Abs(pc)/d.ampC) / 2
	return math.Min(f, 1)
}

const fullSub = 0.9 // a sub-block this full of tone counts as all tone

// onset estimates the first sample of the confirmed tone.
func (d *Detector) onset() int64 {
	i := d.candFirst + 1 // the first block's second sub-block is all tone
	for k := 0; k < 3 && d.fill(i-1) >= fullSub; k++ {
		i--
	}
	// Sub-block i-1 is partly filled (or empty): the tone starts (1-fill)·S into it.
	f := d.fill(i - 1)
	if f < 0.1 {
		return i * subLen
	}
	return (i-1)*subLen + int64(math.Round((1-f)*subLen))
}

// endDigit emits the end of the current digit with its estimated last sample.
func (d *Detector) endDigit(emit func(Event)) {
	i := d.curLast - 1 // the last block's middle sub-block is all tone
	for i+1 < d.nsub && d.fill(i+1) >= fullSub {
		i++
	}
	end := (i + 1) * subLen
	if f := d.fill(i + 1); f >= 0.1 && i+1 < d.nsub {
		end += int64(math.Round(f * subLen))
	}
	emit(Event{Kind: DigitEnd, Digit: d.cur, Sample: end, At: d.nsub*subLen + int64(d.nbuf)})
	d.cur, d.misses = 0, 0
}
