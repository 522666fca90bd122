//go:build !race

package security_test

const raceEnabled = false
