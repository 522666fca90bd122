package dtmf

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/dtmf/dtmftest"
	"github.com/hushpay/hushpay/internal/testpeer"
)

// The talk-off corpus (package dtmftest) is generated once per test binary into a temporary
// directory. testdata/README.md describes it.

type corpusItem = dtmftest.Item

var (
	corpusOnce  sync.Once
	corpusItems []corpusItem
	corpusErr   error
)

// talkOffCorpus returns the corpus, or skips/fails t when espeak-ng or sox is missing.
func talkOffCorpus(t testing.TB) []corpusItem {
	t.Helper()
	testpeer.LookPath(t, "espeak-ng", "espeak-ng")
	testpeer.LookPath(t, "sox", "sox")
	corpusOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hushpay-talkoff-")
		if err != nil {
			corpusErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		corpusItems, corpusErr = dtmftest.Build(ctx, dir)
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusItems
}

func TestTalkOffCorpusSize(t *testing.T) {
	items := talkOffCorpus(t)
	sp, mu := dtmftest.Seconds(items, "speech"), dtmftest.Seconds(items, "music")
	t.Logf("talk-off corpus: %d items, %.0f s speech, %.0f s music", len(items), sp, mu)
	if sp+mu < 600 || sp < 240 || mu < 180 {
		t.Fatalf("corpus too small: %.0f s speech + %.0f s music, want >= 600 s in all", sp, mu)
	}
}
