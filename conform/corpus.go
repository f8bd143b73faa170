package conform

// The data the compression cases send. Autobahn cuts its messages from five files (a JSON
// document, a bitmap, a German play, an HTML page, a PDF); the suite generates five bodies of the
// same kinds instead, from fixed seeds, so that every run sends the same bytes and nothing has to
// be shipped: text that compresses very well, text that compresses well, an image that compresses
// somewhat, and data that hardly compresses at all.

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/rfc6455/ws/frame"
)

// corpus is a body of test data that the messages of a compression case are cut from.
type corpus struct {
	key      string       // "json", a short name for benchmarks and tests
	name     string       // "JSON data", for descriptions
	op       frame.Opcode // the type of the messages cut from it
	generate func() []byte

	once sync.Once
	data []byte
}

// bytes returns the corpus, generating it the first time. A text corpus is valid UTF-8.
func (c *corpus) bytes() []byte {
	c.once.Do(func() { c.data = c.generate() })
	return c.data
}

// newCorpora returns the five corpora of family 12, in Autobahn's order of groups 12.1–12.5. Each
// is generated when a case first needs it.
func newCorpora() []*corpus {
	return []*corpus{
		{key: "json", name: "JSON data", op: frame.OpText, generate: jsonCorpus},
		{key: "bitmap", name: "a grey-scale bitmap", op: frame.OpBinary, generate: bitmapCorpus},
		{key: "verse", name: "German verse (UTF-8, sent as binary)", op: frame.OpBinary, generate: verseCorpus},
		{key: "html", name: "HTML", op: frame.OpText, generate: htmlCorpus},
		{key: "pdf", name: "PDF-like data, mostly incompressible", op: frame.OpBinary, generate: pdfCorpus},
	}
}

// cutter cuts consecutive messages from a corpus, wrapping around at its end, as Autobahn does:
// with context takeover, each message may refer back into the ones before.
type cutter struct {
	data []byte
	text bool
	pos  int
}

func (c *corpus) cutter() *cutter { return &cutter{data: c.bytes(), text: c.op == frame.OpText} }

// next returns the next message of exactly size bytes. A text message must be valid UTF-8, so
// a cut that would split a character ends before it, and spaces make up the size; the next
// message starts with that character.
func (c *cutter) next(size int) []byte {
	msg := make([]byte, 0, size)
	for len(msg) < size {
		n := min(size-len(msg), len(c.data)-c.pos)
		msg = append(msg, c.data[c.pos:c.pos+n]...)
		c.pos = (c.pos + n) % len(c.data)
	}
	if c.text {
		if cut := incompleteRune(msg); cut > 0 {
			copy(msg[len(msg)-cut:], "   ")
			c.pos = (c.pos - cut + len(c.data)) % len(c.data)
		}
	}
	return msg
}

// incompleteRune returns how many bytes at the end of p are the start of a character cut short.
func incompleteRune(p []byte) int {
	for i := 1; i <= utf8.UTFMax && i <= len(p); i++ {
		if utf8.RuneStart(p[len(p)-i]) {
			if utf8.FullRune(p[len(p)-i:]) {
				return 0
			}
			return i
		}
	}
	return 0
}

// corpusSize is about how large each corpus is: more than the largest message (128 KiB), so that
// consecutive messages differ.
const corpusSize = 256 << 10

// Words for the text corpora. The UTF-8 ones make text messages more than ASCII.
var (
	firstNames = []string{"Anna", "Jürgen", "Zoë", "Łukasz", "Åsa", "Mehmet", "Chloé", "Søren", "Yuki", "Ngozi", "Pedro", "Ilse", "Dmitri", "Aoife", "Kwame", "Renée"}
	lastNames  = []string{"Müller", "Öztürk", "Nakamura", "García", "Nowak", "Lindqvist", "O'Brien", "Dubois", "Okafor", "Schröder", "Rossi", "Novák", "Haddad", "Eriksson"}
	cities     = []string{"Berlin", "Kraków", "São Paulo", "Zürich", "Göteborg", "Lagos", "Kyōto", "Montréal", "Reykjavík", "Málaga", "Tallinn", "Århus"}
	streets    = []string{"Lindenstraße", "Rue de la Paix", "Main Street", "Kungsgatan", "Via Roma", "Calle Mayor", "Ulica Długa"}
	tagWords   = []string{"alpha", "beta", "gamma", "delta", "stream", "socket", "frame", "deflate", "window", "context", "message", "buffer"}
	verseWords = []string{
		"Himmel", "Erde", "Nacht", "Geist", "Blüte", "Träume", "Wälder", "Stürme", "Flüsse", "Sterne", "Sehnsucht", "Glück",
		"schön", "müde", "süß", "größer", "dunkel", "hell", "still", "weit", "tief", "golden", "ewig", "flüchtig",
		"und", "der", "die", "das", "im", "über", "durch", "ohne", "mit", "wie", "nicht", "noch", "schon", "nie",
		"singt", "ruft", "fließt", "blüht", "schweigt", "träumt", "weiß", "fühlt", "geht", "bleibt", "führt", "hört",
	}
	speakers = []string{"DER WANDERER", "DIE STIMME", "DER CHOR", "DAS KIND", "DIE ALTE", "DER SCHREIBER"}
)

// pick returns a random element of list.
func pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

// jsonCorpus is a pretty-printed JSON array of records, like an API's response: very repetitive
// keys and structure, varied values.
func jsonCorpus() []byte {
	rng := rand.New(rand.NewPCG(12, 1))
	type friend struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	type record struct {
		ID         int      `json:"id"`
		GUID       string   `json:"guid"`
		IsActive   bool     `json:"isActive"`
		Balance    string   `json:"balance"`
		Age        int      `json:"age"`
		Name       string   `json:"name"`
		Email      string   `json:"email"`
		Address    string   `json:"address"`
		Registered string   `json:"registered"`
		Latitude   float64  `json:"latitude"`
		Longitude  float64  `json:"longitude"`
		Tags       []string `json:"tags"`
		Friends    []friend `json:"friends"`
	}
	var records []record
	for len(records) < corpusSize/500 { // a record takes about 600 bytes, pretty-printed
		first, last := pick(rng, firstNames), pick(rng, lastNames)
		r := record{
			ID:         len(records),
			GUID:       fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff),
			IsActive:   rng.IntN(2) == 0,
			Balance:    fmt.Sprintf("$%d,%03d.%02d", rng.IntN(10), rng.IntN(1000), rng.IntN(100)),
			Age:        18 + rng.IntN(60),
			Name:       first + " " + last,
			Email:      strings.ToLower(fmt.Sprintf("%c.%s@example.com", first[0], strings.ReplaceAll(last, "'", ""))),
			Address:    fmt.Sprintf("%d %s, %s", 1+rng.IntN(200), pick(rng, streets), pick(rng, cities)),
			Registered: fmt.Sprintf("20%02d-%02d-%02dT%02d:%02d:%02d", rng.IntN(25), 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60)),
			Latitude:   float64(rng.IntN(180_000_000)-90_000_000) / 1e6,
			Longitude:  float64(rng.IntN(360_000_000)-180_000_000) / 1e6,
		}
		for range 2 + rng.IntN(5) {
			r.Tags = append(r.Tags, pick(rng, tagWords))
		}
		for i := range 1 + rng.IntN(3) {
			r.Friends = append(r.Friends, friend{ID: i, Name: pick(rng, firstNames) + " " + pick(rng, lastNames)})
		}
		records = append(records, r)
	}
	b, err := json.MarshalIndent(records, "", "  ")
	if err != nil {
		panic("conform: the JSON corpus does not marshal: " + err.Error())
	}
	return b
}

// bitmapCorpus is a Windows bitmap of 512×512 grey pixels (54 bytes of headers, a palette of 256
// greys, then the rows): smooth shapes and a little noise, which compress somewhat.
func bitmapCorpus() []byte {
	const w, h = 512, 512
	const offset = 14 + 40 + 256*4
	rng := rand.New(rand.NewPCG(12, 2))
	b := make([]byte, 0, offset+w*h)
	le32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	le16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	b = append(b, 'B', 'M')
	le32(offset + w*h)
	le32(0)
	le32(offset)
	le32(40) // BITMAPINFOHEADER
	le32(w)
	le32(h)
	le16(1)
	le16(8)
	le32(0)
	le32(w * h)
	le32(2835)
	le32(2835)
	le32(256)
	le32(0)
	for i := range 256 {
		b = append(b, byte(i), byte(i), byte(i), 0)
	}
	for y := range h {
		for x := range w {
			// Two soft discs on a diagonal gradient, in integer arithmetic so that every
			// platform produces the same bytes.
			v := (x + y) / 4
			for _, c := range [2][3]int{{170, 200, 120}, {360, 330, 90}} {
				dx, dy := x-c[0], y-c[1]
				if d := dx*dx + dy*dy; d < c[2]*c[2] {
					v += 96 - 96*d/(c[2]*c[2])
				}
			}
			v += rng.IntN(9) - 4
			b = append(b, byte(min(max(v, 0), 255)))
		}
	}
	return b
}

// verseCorpus is German-looking verse, with speakers and stage directions, in UTF-8: text that
// compresses well. Family 12 sends it as binary, as Autobahn sends its play.
func verseCorpus() []byte {
	rng := rand.New(rand.NewPCG(12, 3))
	var b strings.Builder
	for b.Len() < corpusSize {
		fmt.Fprintf(&b, "\n%s.\n", pick(rng, speakers))
		if rng.IntN(4) == 0 {
			fmt.Fprintf(&b, "(%s %s %s.)\n", pick(rng, verseWords), pick(rng, verseWords), pick(rng, verseWords))
		}
		for range 2 + rng.IntN(6) {
			n := 4 + rng.IntN(5)
			for i := range n {
				word := pick(rng, verseWords)
				if i == 0 {
					r, size := utf8.DecodeRuneInString(word)
					word = strings.ToUpper(string(r)) + word[size:]
				} else {
					b.WriteByte(' ')
				}
				b.WriteString(word)
			}
			b.WriteString([]string{",", ";", ".", "!", "", "?"}[rng.IntN(6)] + "\n")
		}
	}
	return []byte(b.String())
}

// htmlCorpus is an HTML page of nested lists, links and a table: markup that compresses very
// well around text that varies.
func htmlCorpus() []byte {
	rng := rand.New(rand.NewPCG(12, 4))
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n<title>Verzeichnis — Übersicht</title>\n" +
		"<style>\nbody { font-family: sans-serif; margin: 0 auto; max-width: 60em; }\n.row { display: flex; }\n.col { flex: 1; padding: 0.5em; }\n</style>\n</head>\n<body>\n")
	for section := 0; b.Len() < corpusSize; section++ {
		fmt.Fprintf(&b, "<section id=\"s%d\">\n<h2>%s &amp; %s</h2>\n<div class=\"row\">\n", section, pick(rng, verseWords), pick(rng, cities))
		for range 3 + rng.IntN(4) {
			fmt.Fprintf(&b, "  <div class=\"col\"><a href=\"/people/%d\" title=\"%s %s\">%s</a> <span class=\"tag\">%s</span></div>\n",
				rng.IntN(100000), pick(rng, firstNames), pick(rng, lastNames), pick(rng, lastNames), pick(rng, tagWords))
		}
		b.WriteString("</div>\n<table>\n<tr><th>Name</th><th>Ort</th><th>Betrag</th></tr>\n")
		for range 4 + rng.IntN(8) {
			fmt.Fprintf(&b, "<tr><td>%s %s</td><td>%s</td><td class=\"num\">%d,%02d&nbsp;€</td></tr>\n",
				pick(rng, firstNames), pick(rng, lastNames), pick(rng, cities), rng.IntN(10000), rng.IntN(100))
		}
		b.WriteString("</table>\n</section>\n")
	}
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String())
}

// pdfCorpus looks like a PDF file: object dictionaries in text around streams of random bytes
// (as a PDF's compressed streams are), so it hardly compresses at all: compressed messages come
// out larger than they went in, and the compressors fall back on stored blocks.
func pdfCorpus() []byte {
	rng := rand.New(rand.NewPCG(12, 5))
	b := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	for obj := 1; len(b) < 3*corpusSize/2; obj++ {
		if rng.IntN(3) == 0 {
			b = fmt.Appendf(b, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n", obj, obj+1)
			continue
		}
		n := 512 + rng.IntN(16<<10)
		b = fmt.Appendf(b, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", obj, n)
		for range n / 8 {
			b = binary.LittleEndian.AppendUint64(b, rng.Uint64())
		}
		b = append(b, "\nendstream\nendobj\n"...)
	}
	return append(b, "trailer\n<< /Root 1 0 R >>\n%%EOF\n"...)
}
