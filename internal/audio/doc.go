// Package audio holds the sample-level building blocks every other media package uses:
// G.711 μ-law and A-law companding (ITU-T G.711, table driven), linear PCM helpers (levels in
// dBm0, saturation), WAV file reading and writing, and resampling to the 8 kHz rate that the
// DTMF detector analyses.
//
// Level convention: as in spandsp, a sine wave whose peak reaches full scale (32767) is
// +3.14 dBm0, so a 0 dBm0 sine has a peak of about 22765. This matches the G.711 digital
// milliwatt to within 0.05 dB.
package audio
