//go:build race

package security_test

// raceEnabled is true under -race. The pure-Go SQLite driver runs about 25 times slower
// under the race detector, so the leak test then drives a subset of the cards (still every
// path: approval, decline, each gateway fault, a mistyped number, start again).
const raceEnabled = true
