package web

import (
	"errors"
	"strings"
	"testing"
)

var testArgon2 = Argon2Params{Time: 1, Memory: 64, Threads: 1}

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse", testArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash format: %s", h)
	}
	h2, _ := HashPassword("correct horse", testArgon2)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		name, hash, pw string
		want           error
	}{
		{"right", h, "correct horse", nil},
		{"wrong", h, "correct horsf", ErrBadPassword},
		{"empty", h, "", ErrBadPassword},
		{"not phc", "plain", "x", ErrBadHash},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuv", "x", ErrBadHash},
		{"bad params", strings.Replace(h, "m=64", "m=zz", 1), "correct horse", ErrBadHash},
		{"huge memory", strings.Replace(h, "m=64", "m=99999999", 1), "correct horse", ErrBadHash},
		{"bad salt", strings.Replace(h, "$argon2id$v=19$m=64,t=1,p=1$", "$argon2id$v=19$m=64,t=1,p=1$!!", 1), "correct horse", ErrBadHash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckPassword(tc.hash, tc.pw); !errors.Is(err, tc.want) {
				t.Fatalf("CheckPassword = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzCheckPassword(f *testing.F) {
	h, _ := HashPassword("pw", testArgon2)
	f.Add(h, "pw")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		_ = CheckPassword(hash, pw) // must not panic nor run away
	})
}
