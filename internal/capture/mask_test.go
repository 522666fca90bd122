package capture

import "testing"

func TestMaskPAN(t *testing.T) {
	tests := []struct {
		n      int
		f6, l4 string
		style  MaskStyle
		want   string
	}{
		{16, "424242", "4242", MaskLast4, "************4242"},
		{16, "424242", "4242", MaskFirst6Last4, "424242******4242"},
		{15, "378282", "0005", MaskFirst6Last4, "378282*****0005"},
		{12, "675964", "2643", MaskFirst6Last4, "675964**2643"},
		{19, "", "1234", MaskFirst6Last4, "***************1234"},
		{5, "", "", MaskLast4, "*****"},
		{11, "424242", "4242", MaskLast4, "***********"},
		{0, "", "", MaskLast4, ""},
	}
	for _, tt := range tests {
		var f6, l4 []byte
		if tt.f6 != "" {
			f6 = []byte(tt.f6)
		}
		if tt.l4 != "" {
			l4 = []byte(tt.l4)
		}
		if got := string(MaskPAN(nil, tt.n, f6, l4, tt.style)); got != tt.want {
			t.Errorf("MaskPAN(%d, %s, %s, %s) = %s, want %s", tt.n, tt.f6, tt.l4, tt.style, got, tt.want)
		}
	}
}
