// Package dtmftest builds the DTMF talk-off corpus shared by the dtmf tests and the
// bench/dtmf benchmark: at least ten minutes of speech and music made at run time from
// programs installable on Debian (espeak-ng for speech, sox's synth for music). Nothing large
// is committed; see internal/dtmf/testdata/README.md for what the corpus holds.
package dtmftest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hushpay/hushpay/internal/audio"
)

// Item is one piece of the corpus: its WAV file and its audio resampled to 8 kHz.
type Item struct {
	Name    string
	Kind    string // "speech" or "music"
	Path    string
	Samples []int16
}

// Seconds returns the duration of the items of a kind ("" for all).
func Seconds(items []Item, kind string) float64 {
	var n int
	for _, it := range items {
		if kind == "" || it.Kind == kind {
			n += len(it.Samples)
		}
	}
	return float64(n) / 8000
}

var speechTexts = []struct{ lang, text string }{
	{"en", "Good morning, and thank you for calling the customer service line. My name is Sarah and I will be looking after you today. Before we go any further, could you please confirm the first line of your address and your date of birth? Thank you. I can see that your last payment was received on the fourteenth of March, and there is an outstanding balance of one hundred and twenty seven pounds and fifty pence."},
	{"en", "Right, so what I am going to do now is put the line into secure mode. You will hear a short beep, and then I would like you to type the long number on the front of your card using the keypad on your phone. Don't worry, I won't be able to hear the tones, and I will only see stars appearing on my screen. When you have finished, press the hash key."},
	{"en", "Yeah, hi, um, I was just wondering whether you could help me with something. I got a letter last week saying my account was overdue, but I'm pretty sure I paid it online. Actually, hang on, let me just find the reference number. It's somewhere in this pile of paperwork. Oh, here it is. Sorry about the noise, the kids are watching television in the other room."},
	{"en", "The quick brown fox jumps over the lazy dog. Peter Piper picked a peck of pickled peppers. She sells sea shells by the sea shore. How much wood would a woodchuck chuck if a woodchuck could chuck wood? Red lorry, yellow lorry. Unique New York. Toy boat, toy boat, toy boat. Eleven benevolent elephants. Irish wristwatch, Swiss wristwatch."},
	{"en", "Numbers are read out constantly on calls like these: seven, three, nine, four; double five, six; oh one two three; forty two; nineteen eighty seven; one thousand, two hundred and thirty four. Can you repeat that please? Was that a fifteen or a fifty? Fifty, five zero. Lovely, thank you very much, that is all sorted for you now."},
	{"en", "Ooooh, aaah, eeee, mmmm, hmmm. Well, well, well. Really? No way! That is absolutely fantastic news, I am so pleased for you. Aaaaaah, let me think. Mmmm. Yes. Yes, that should be fine. Is there anything else I can help you with today? No? Then thank you for calling, and have a wonderful afternoon. Goodbye now, bye, bye bye."},
	{"de", "Guten Tag, Sie sprechen mit dem Kundenservice. Wie kann ich Ihnen heute helfen? Ich brauche bitte Ihre Kundennummer und Ihr Geburtsdatum. Vielen Dank. Ich sehe, dass die letzte Zahlung noch offen ist. Möchten Sie den Betrag jetzt mit Ihrer Karte begleichen? Dann geben Sie bitte die Kartennummer über die Tastatur Ihres Telefons ein."},
	{"fr", "Bonjour, vous êtes bien au service client. Je vais vous demander de patienter quelques instants pendant que je consulte votre dossier. Merci beaucoup. Je vois que votre dernier paiement n'a pas encore été reçu. Voulez-vous régler maintenant par carte bancaire? Dans ce cas, tapez les chiffres de votre carte sur le clavier de votre téléphone."},
	{"es", "Buenos días, gracias por llamar al servicio de atención al cliente. ¿En qué puedo ayudarle hoy? Necesito que me confirme su nombre completo y su dirección. Muchas gracias. Veo que tiene un pago pendiente de ciento veinte euros. Si lo desea, puede pagarlo ahora mismo introduciendo el número de su tarjeta con el teclado del teléfono."},
	{"it", "Buongiorno, grazie per aver chiamato il servizio clienti. Come posso aiutarla oggi? Mi servirebbe il suo codice cliente e la sua data di nascita. Perfetto, grazie mille. Vedo che c'è un pagamento in sospeso. Se vuole, possiamo procedere adesso con la carta di credito: digiti il numero della carta sulla tastiera del telefono."},
	{"pt", "Bom dia, obrigado por ligar para o apoio ao cliente. Em que posso ajudar? Preciso que me confirme o seu nome e a sua morada. Muito obrigado. Vejo que tem um pagamento em atraso. Se quiser, pode pagar agora com o seu cartão, introduzindo o número no teclado do telefone."},
	{"nl", "Goedemiddag, u spreekt met de klantenservice. Waarmee kan ik u helpen? Mag ik uw klantnummer en uw geboortedatum? Dank u wel. Ik zie dat er nog een betaling openstaat. Wilt u die nu met uw creditcard voldoen? Toets dan het nummer van uw kaart in op het toestel."},
}

// speechVoices pairs voice variants, speeds (words per minute) and pitches (0-99).
var speechVoices = []struct {
	variant string
	speed   int
	pitch   int
}{
	{"m1", 160, 40}, {"f2", 175, 70}, {"m3", 140, 25}, {"f4", 200, 85}, {"m7", 185, 55}, {"f5", 150, 60},
}

// Build writes the corpus into dir (espeak-ng and sox must be on PATH) and returns it.
func Build(ctx context.Context, dir string) ([]Item, error) {
	var items []Item
	load := func(name, kind, path string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s, err := audio.ReadWAV(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		x, err := audio.To8k(s.Samples, s.Rate)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		items = append(items, Item{Name: name, Kind: kind, Path: path, Samples: x})
		return nil
	}
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args[:min(len(args), 6)], " "), err, out)
		}
		return nil
	}
	// Speech: every text in two voices; English texts in all six.
	for i, tx := range speechTexts {
		for j, v := range speechVoices {
			if tx.lang != "en" && j%3 != i%3 {
				continue
			}
			name := fmt.Sprintf("speech-%s-%d-%s-s%d-p%d", tx.lang, i, v.variant, v.speed, v.pitch)
			path := filepath.Join(dir, name+".wav")
			if err := run("espeak-ng", "-v", tx.lang+"+"+v.variant, "-s", fmt.Sprint(v.speed), "-p", fmt.Sprint(v.pitch), "-w", path, tx.text); err != nil {
				return nil, err
			}
			if err := load(name, "speech", path); err != nil {
				return nil, err
			}
		}
	}
	// Music: chords, melodies and sweeps on sox's synthesizer instruments.
	rng := rand.New(rand.NewPCG(4733, 24))
	for _, m := range musicScripts(rng) {
		path := filepath.Join(dir, m.name+".wav")
		args := append([]string{"-n", "-r", "16000", "-b", "16", "-c", "1", path}, m.effects...)
		args = append(args, "gain", "-n", "-6")
		if err := run("sox", args...); err != nil {
			return nil, err
		}
		if err := load(m.name, "music", path); err != nil {
			return nil, err
		}
	}
	return items, nil
}

type musicScript struct {
	name    string
	effects []string
}

func noteHz(midi int) string { return fmt.Sprintf("%.2f", 440*math.Pow(2, float64(midi-69)/12)) }

// musicScripts writes sox effect chains: each segment is "synth DUR inst F inst F ... remix -"
// and segments are joined with ":".
func musicScripts(rng *rand.Rand) []musicScript {
	instruments := []string{"sine", "triangle", "square", "sawtooth", "pluck", "trapezium"}
	chords := [][]int{{0, 4, 7}, {0, 3, 7}, {0, 4, 7, 10}, {0, 3, 7, 10}, {0, 4, 7, 11}, {0, 5, 7}, {0, 4, 8}, {0, 3, 6}, {0, 7, 12}, {0, 4, 7, 14}}
	var out []musicScript
	for _, inst := range instruments {
		var fx []string
		for i := range 40 {
			root := 48 + rng.IntN(36) // C3 to B5
			ch := chords[(i+rng.IntN(3))%len(chords)]
			if len(fx) > 0 {
				fx = append(fx, ":")
			}
			fx = append(fx, "synth", "0.6")
			for _, iv := range ch {
				fx = append(fx, inst, noteHz(root+iv))
			}
			fx = append(fx, "remix", "-")
		}
		out = append(out, musicScript{"music-chords-" + inst, fx})
	}
	scale := []int{0, 2, 4, 5, 7, 9, 11, 12, 14, 16}
	for _, inst := range instruments {
		var fx []string
		root := 57 + rng.IntN(12)
		for range 60 {
			if len(fx) > 0 {
				fx = append(fx, ":")
			}
			d := []string{"0.12", "0.25", "0.25", "0.5"}[rng.IntN(4)]
			n := root + scale[rng.IntN(len(scale))] + 12*(rng.IntN(3)-1)
			fx = append(fx, "synth", d, inst, noteHz(n), inst, noteHz(n-12), "remix", "-")
		}
		out = append(out, musicScript{"music-melody-" + inst, fx})
	}
	sweeps := [][]string{
		{"synth", "5", "sine", "300-3400"},
		{"synth", "5", "sine", "3400-300"},
		{"synth", "5", "square", "200-2000"},
		{"synth", "5", "sine", "600-1700", "sine", "1100-1800", "remix", "-"},
		{"synth", "5", "triangle", "500/1800"},
		{"synth", "6", "sine", "700-1650", "tremolo", "6", "60"},
		{"synth", "5", "sawtooth", "100-1000"},
		{"synth", "5", "pluck", "220", "chorus", "0.7", "0.9", "55", "0.4", "0.25", "2", "-t"},
		{"synth", "5", "sine", "697:1633", "sine", "1209:941", "remix", "-"},
		{"synth", "8", "pinknoise", "band", "1000", "600", "tremolo", "2", "80"},
	}
	for i, s := range sweeps {
		out = append(out, musicScript{fmt.Sprintf("music-sweep-%d", i), s})
	}
	return out
}
