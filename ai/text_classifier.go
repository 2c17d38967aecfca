package ai

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"madang/internal/access"
)

const (
	// maxNGram is the longest character n-gram. Character grams need no
	// tokenizer, so Korean (no reliable word boundaries for a bag of words,
	// rich endings) works as well as English.
	maxNGram = 3
	// maxVocabulary keeps the stored model around a megabyte.
	maxVocabulary = 50_000
	// maxCountedGrams bounds the distinct grams counted at once, and so a
	// training's memory (about 150 bytes a gram): 44.5 MB of random Hangul
	// holds 23 million distinct grams, which took 3.4 GB when all were
	// counted. Past it the rarest are forgotten (gramCounts.prune).
	maxCountedGrams = 500_000
	maxLabels       = 1_000
	maxLabelRunes   = 200
	maxTextRunes    = 10_000
	// laplaceAlpha is add-one smoothing: unseen grams get a small, non-zero
	// likelihood.
	laplaceAlpha = 1.0
)

// textClassifier is multinomial naive Bayes over character 1–3 grams.
type textClassifier struct{}

type textOptions struct {
	TextColumn     string  `json:"text_column"`
	LabelColumn    string  `json:"label_column"`
	TimeoutSeconds float64 `json:"timeout_seconds"`
	// CleanLabels are the labels that mean "nothing to report", for the
	// moderation assist (Flagged); default DefaultCleanLabels.
	CleanLabels []string `json:"clean_labels"`
}

// DefaultCleanLabels are the labels a text classifier's options.clean_labels
// stands for when it is not set: the usual names of the harmless class.
var DefaultCleanLabels = []string{"ok", "clean", "normal", "ham", "none", "정상"}

// CleanLabels returns a text classifier's clean labels (never empty), as
// labels are stored: trimmed, in sameForm.
func CleanLabels(options json.RawMessage) []string {
	opts, err := parseTextOptions(options)
	if err != nil || len(opts.CleanLabels) == 0 {
		return DefaultCleanLabels
	}
	clean := make([]string, len(opts.CleanLabels))
	for i, c := range opts.CleanLabels {
		clean[i] = sameForm(strings.TrimSpace(c))
	}
	return clean
}

// Flagged returns the most probable label of one text's scores that is not
// one of the model's clean labels (options.clean_labels, compared case-
// insensitively in sameForm), and its probability: what the moderation
// assist weighs against a board's threshold. No such label: "" and 0.
func Flagged(options json.RawMessage, scores map[string]float64) (string, float64) {
	clean := CleanLabels(options)
	label, score := "", 0.0
	for l, p := range scores {
		// a model trained before labels were put in sameForm may hold decomposed ones
		if slices.ContainsFunc(clean, func(c string) bool { return strings.EqualFold(c, sameForm(l)) }) {
			continue
		}
		if p > score || (p == score && l < label) {
			label, score = l, p
		}
	}
	return label, score
}

// textModel is the stored model. Counts[i] lists, for Grams[i], pairs of
// label index and count, only for labels that saw the gram: most grams
// belong to few labels, so this is far smaller than a dense table. Docs is
// the number of training texts per label, for the priors.
type textModel struct {
	Labels []string `json:"labels"`
	Docs   []int    `json:"docs"`
	Grams  []string `json:"grams"`
	Counts [][]int  `json:"counts"`
}

type textResult struct {
	Labels []string             `json:"labels"`
	Scores []map[string]float64 `json:"scores"`
}

func (textClassifier) Name() string       { return "text_classifier" }
func (textClassifier) NeedsDataset() bool { return true }

func (textClassifier) ValidateOptions(options json.RawMessage) error {
	_, err := parseTextOptions(options)
	return err
}

func parseTextOptions(raw json.RawMessage) (textOptions, error) {
	opts := textOptions{TextColumn: "text", LabelColumn: "label"}
	if err := decodeJSON(raw, "options", &opts); err != nil {
		return opts, err
	}
	opts.TextColumn = strings.TrimSpace(opts.TextColumn)
	opts.LabelColumn = strings.TrimSpace(opts.LabelColumn)
	switch {
	case opts.TextColumn == "" || opts.LabelColumn == "":
		return opts, inputErrorf("options", "options.text_column and options.label_column must name dataset columns.")
	case sameForm(opts.TextColumn) == sameForm(opts.LabelColumn):
		return opts, inputErrorf("options", "options.text_column and options.label_column must be different columns.")
	}
	return opts, validateTimeout(opts.TimeoutSeconds)
}

func (textClassifier) Train(ctx context.Context, dataset io.Reader, options json.RawMessage, progress func(string)) (*Trained, error) {
	opts, err := parseTextOptions(options)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx, opts.TimeoutSeconds)
	defer cancel()

	c, err := countDataset(ctx, dataset, opts)
	if err != nil {
		return nil, err
	}
	report(progress, "Read %d texts with %d labels; %d distinct n-grams counted in the training split.",
		c.rows, len(c.labels), len(c.grams))
	if c.prunes > 0 {
		report(progress, "The texts hold more than %d distinct n-grams: the rarest were forgotten %s, so the vocabulary is approximate.",
			maxCountedGrams, plural(c.prunes, "time"))
	}
	model := c.model()
	pred, err := newTextPredictor(model)
	if err != nil {
		return nil, fmt.Errorf("building the text model: %w", err)
	}
	metrics, err := pred.evaluate(ctx, c.test)
	if err != nil {
		return nil, err
	}
	metrics["rows_train"] = float64(c.rows - len(c.test))
	metrics["rows_test"] = float64(len(c.test))
	metrics["labels"] = float64(len(model.Labels))
	metrics["vocabulary"] = float64(len(model.Grams))
	raw, err := json.Marshal(model)
	if err != nil {
		return nil, fmt.Errorf("encoding the text model: %w", err)
	}
	return &Trained{Model: raw, Metrics: metrics}, nil
}

// gramCounts accumulates the training split's n-gram counts per label and
// keeps the held-out texts.
type gramCounts struct {
	labels     []string
	labelIndex map[string]int
	docs       []int // training texts per label
	seen       []int // all texts per label, for the stratified split
	grams      map[string]int32
	gramNames  []string
	totals     []int           // per gram id: count over all labels
	counts     []map[int32]int // per label: gram id → count
	test       []labeledText
	rows       int
	prunes     int
}

type labeledText struct {
	text  string
	label int
}

func countDataset(ctx context.Context, dataset io.Reader, opts textOptions) (*gramCounts, error) {
	t, err := openCSV(dataset)
	if err != nil {
		return nil, err
	}
	textCol, err := t.column(opts.TextColumn, "text_column")
	if err != nil {
		return nil, err
	}
	labelCol, err := t.column(opts.LabelColumn, "label_column")
	if err != nil {
		return nil, err
	}
	c := &gramCounts{labelIndex: map[string]int{}, grams: map[string]int32{}}
	for {
		if c.rows%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, stopped(ctx)
		}
		rec, row, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := c.add(t, TextCell(rec[textCol]), TextCell(rec[labelCol]), row, textCol, labelCol); err != nil {
			return nil, err
		}
	}
	return c, c.checkSize()
}

// add counts one row. The split is stratified (every fifth text of each
// label is held out) so a rare label is still tested, and deterministic so
// retraining gives the same model.
func (c *gramCounts) add(t *csvTable, text, label string, row, textCol, labelCol int) error {
	label = sameForm(strings.TrimSpace(label))
	switch {
	case !access.Shows(text):
		return t.cellError(row, textCol, "the text is empty or shows nothing (only spaces or invisible characters); fill it or remove the row.")
	case label == "":
		return t.cellError(row, labelCol, "the label is empty; fill it or remove the row.")
	case utf8.RuneCountInString(label) > maxLabelRunes:
		return t.cellError(row, labelCol, "the label is longer than %d characters.", maxLabelRunes)
	}
	li, err := c.labelID(label)
	if err != nil {
		return err
	}
	c.rows++
	c.seen[li]++
	if c.seen[li]%testEvery == 0 {
		c.test = append(c.test, labeledText{text: strings.Clone(text), label: li})
		return nil
	}
	c.docs[li]++
	for g := range ngrams(normalizeText(text)) {
		id, ok := c.grams[g]
		if !ok {
			if len(c.gramNames) == maxCountedGrams {
				c.prune()
			}
			// Clone, or the map key would pin the whole row in memory.
			id = int32(len(c.gramNames))
			c.gramNames = append(c.gramNames, strings.Clone(g))
			c.totals = append(c.totals, 0)
			c.grams[c.gramNames[id]] = id
		}
		c.totals[id]++
		c.counts[li][id]++
	}
	return nil
}

// prune forgets the rarest grams, keeping at most half of maxCountedGrams:
// those counted more often than the gram at the middle rank. A forgotten
// gram seen again counts from zero, so on data this varied the kept grams
// are about, not exactly, the most frequent (lossy counting); data with
// fewer distinct grams is never pruned and gives the exact model. The
// order of the file decides what is forgotten, so a file still always
// gives the same model.
func (c *gramCounts) prune() {
	sorted := slices.Clone(c.totals)
	slices.Sort(sorted)
	threshold := sorted[len(sorted)-1-maxCountedGrams/2]
	newID := make([]int32, len(c.gramNames))
	grams := make(map[string]int32, maxCountedGrams)
	names := make([]string, 0, maxCountedGrams)
	totals := make([]int, 0, maxCountedGrams)
	for id, name := range c.gramNames {
		newID[id] = -1
		if c.totals[id] > threshold {
			newID[id] = int32(len(names))
			grams[name] = newID[id]
			names = append(names, name)
			totals = append(totals, c.totals[id])
		}
	}
	for li, m := range c.counts {
		kept := make(map[int32]int, len(m)/2)
		for id, n := range m {
			if nid := newID[id]; nid >= 0 {
				kept[nid] = n
			}
		}
		c.counts[li] = kept
	}
	c.grams, c.gramNames, c.totals = grams, names, totals
	c.prunes++
}

func (c *gramCounts) labelID(label string) (int, error) {
	if li, ok := c.labelIndex[label]; ok {
		return li, nil
	}
	if len(c.labels) == maxLabels {
		return 0, inputErrorf("dataset", "The dataset has more than %d distinct labels; merge some of them.", maxLabels)
	}
	li := len(c.labels)
	c.labelIndex[label] = li
	c.labels = append(c.labels, label)
	c.docs = append(c.docs, 0)
	c.seen = append(c.seen, 0)
	c.counts = append(c.counts, map[int32]int{})
	return li, nil
}

func (c *gramCounts) checkSize() error {
	switch {
	case c.rows < 10:
		return inputErrorf("dataset", "The dataset has %s; a text classifier needs at least 10.", plural(c.rows, "data row"))
	case len(c.labels) < 2:
		return inputErrorf("dataset", "The dataset has only one label (%q); a classifier needs at least two.", c.labels[0])
	case len(c.test) == 0:
		return inputErrorf("dataset", "No label has %d texts, so none is left to test the model on; add more rows per label.", testEvery)
	}
	return nil
}

// model keeps the maxVocabulary most frequent grams (ties broken by the gram
// itself, for a reproducible model) and drops the rest.
func (c *gramCounts) model() *textModel {
	totals := c.totals
	ids := make([]int32, len(c.gramNames))
	for i := range ids {
		ids[i] = int32(i)
	}
	slices.SortFunc(ids, func(a, b int32) int {
		return cmp.Or(cmp.Compare(totals[b], totals[a]), strings.Compare(c.gramNames[a], c.gramNames[b]))
	})
	ids = ids[:min(len(ids), maxVocabulary)]

	m := &textModel{Labels: c.labels, Docs: c.docs, Grams: make([]string, len(ids)), Counts: make([][]int, len(ids))}
	rank := make(map[int32]int, len(ids))
	for r, id := range ids {
		rank[id] = r
		m.Grams[r] = c.gramNames[id]
	}
	for li, counts := range c.counts {
		for id, n := range counts {
			if r, ok := rank[id]; ok {
				m.Counts[r] = append(m.Counts[r], li, n)
			}
		}
	}
	return m
}

func (textClassifier) Load(model, _ json.RawMessage) (Predictor, error) {
	var m textModel
	if err := json.Unmarshal(model, &m); err != nil {
		return nil, fmt.Errorf("reading the stored text model: %w", err)
	}
	p, err := newTextPredictor(&m)
	if err != nil {
		return nil, fmt.Errorf("the stored text model is inconsistent (%w); train it again", err)
	}
	return p, nil
}

// textPredictor scores with log P(label) + Σ log P(gram | label) over the
// text's in-vocabulary grams. A gram the label never saw contributes the
// same unseen[label] as any other, so each gram only stores, for the labels
// that saw it, how much more it adds than that: log(1 + count/α).
type textPredictor struct {
	labels   []string
	logPrior []float64
	unseen   []float64
	grams    map[string][]posting
}

type posting struct {
	label int
	delta float64
}

func newTextPredictor(m *textModel) (*textPredictor, error) {
	if len(m.Labels) < 2 || len(m.Docs) != len(m.Labels) || len(m.Grams) == 0 || len(m.Counts) != len(m.Grams) {
		return nil, fmt.Errorf("%d labels, %d doc counts, %d grams, %d count lists", len(m.Labels), len(m.Docs), len(m.Grams), len(m.Counts))
	}
	p := &textPredictor{labels: m.Labels, logPrior: make([]float64, len(m.Labels)),
		unseen: make([]float64, len(m.Labels)), grams: make(map[string][]posting, len(m.Grams))}
	totals := make([]float64, len(m.Labels))
	for i, g := range m.Grams {
		postings, err := gramPostings(m.Counts[i], totals)
		if err != nil {
			return nil, fmt.Errorf("gram %q: %w", g, err)
		}
		if _, dup := p.grams[g]; dup {
			return nil, fmt.Errorf("gram %q listed twice", g)
		}
		p.grams[g] = postings
	}
	var docs float64
	for _, d := range m.Docs {
		docs += float64(d)
	}
	for li, d := range m.Docs {
		if d <= 0 {
			return nil, fmt.Errorf("label %q has no training texts", m.Labels[li])
		}
		p.logPrior[li] = math.Log(float64(d) / docs)
		p.unseen[li] = math.Log(laplaceAlpha / (totals[li] + laplaceAlpha*float64(len(m.Grams))))
	}
	return p, nil
}

// gramPostings decodes one gram's label/count pairs, adding to totals.
func gramPostings(pairs []int, totals []float64) ([]posting, error) {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return nil, fmt.Errorf("%d numbers instead of label/count pairs", len(pairs))
	}
	postings := make([]posting, 0, len(pairs)/2)
	for k := 0; k < len(pairs); k += 2 {
		li, n := pairs[k], pairs[k+1]
		if li < 0 || li >= len(totals) || n <= 0 {
			return nil, fmt.Errorf("bad pair (%d, %d)", li, n)
		}
		totals[li] += float64(n)
		postings = append(postings, posting{label: li, delta: math.Log1p(float64(n) / laplaceAlpha)})
	}
	return postings, nil
}

// classify returns label probabilities for one text, in p.labels order.
func (p *textPredictor) classify(text string, probs []float64) []float64 {
	probs = append(probs[:0], p.logPrior...)
	known := 0.0
	for g := range ngrams(normalizeText(text)) {
		postings, ok := p.grams[g]
		if !ok {
			continue
		}
		known++
		for _, e := range postings {
			probs[e.label] += e.delta
		}
	}
	for li := range probs {
		probs[li] += known * p.unseen[li]
	}
	softmax(probs)
	return probs
}

// softmax turns log scores into probabilities in place; subtracting the
// maximum (log-sum-exp) keeps exp from underflowing on long texts.
func softmax(logs []float64) {
	top := slices.Max(logs)
	var sum float64
	for i, l := range logs {
		logs[i] = math.Exp(l - top)
		sum += logs[i]
	}
	for i := range logs {
		logs[i] /= sum
	}
}

func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// evaluate reports accuracy and macro F1 (the mean F1 over labels that
// occur in the held-out split or its predictions).
func (p *textPredictor) evaluate(ctx context.Context, test []labeledText) (map[string]float64, error) {
	tp, fp, fn := make([]int, len(p.labels)), make([]int, len(p.labels)), make([]int, len(p.labels))
	var probs []float64
	for i, doc := range test {
		if i%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("evaluating the model: %w", ctx.Err())
		}
		probs = p.classify(doc.text, probs)
		if got := argmax(probs); got == doc.label {
			tp[got]++
		} else {
			fp[got]++
			fn[doc.label]++
		}
	}
	correct, f1Sum, present := 0, 0.0, 0
	for li := range p.labels {
		correct += tp[li]
		if tp[li]+fp[li]+fn[li] == 0 {
			continue
		}
		present++
		f1Sum += 2 * float64(tp[li]) / float64(2*tp[li]+fp[li]+fn[li])
	}
	return map[string]float64{
		"accuracy": float64(correct) / float64(len(test)),
		"macro_f1": f1Sum / float64(present),
	}, nil
}

func (p *textPredictor) ValidateInput(input json.RawMessage) error {
	_, err := parseTextInput(input)
	return err
}

func (p *textPredictor) Predict(ctx context.Context, input json.RawMessage, _ func(string)) (any, error) {
	texts, err := parseTextInput(input)
	if err != nil {
		return nil, err
	}
	res := textResult{Labels: make([]string, len(texts)), Scores: make([]map[string]float64, len(texts))}
	var probs []float64
	for i, text := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		probs = p.classify(text, probs)
		res.Labels[i] = p.labels[argmax(probs)]
		res.Scores[i] = make(map[string]float64, len(p.labels))
		for li, label := range p.labels {
			res.Scores[i][label] = probs[li]
		}
	}
	return res, nil
}

type textInput struct {
	Text  *string  `json:"text"`
	Texts []string `json:"texts"`
}

func parseTextInput(raw json.RawMessage) ([]string, error) {
	if err := requireJSON(raw, "input"); err != nil {
		return nil, err
	}
	var in textInput
	if err := decodeJSON(raw, "input", &in); err != nil {
		return nil, err
	}
	switch {
	case in.Text != nil && in.Texts != nil:
		return nil, inputErrorf("input", "input must have either \"text\" or \"texts\", not both.")
	case in.Text != nil:
		return []string{*in.Text}, checkText(*in.Text, "input.text")
	case in.Texts == nil:
		return nil, inputErrorf("input", "input needs \"text\" (one text) or \"texts\" (a list), for example {\"text\":\"…\"}.")
	case len(in.Texts) == 0:
		return nil, inputErrorf("input", "input.texts is empty; send at least one text.")
	case len(in.Texts) > maxInputRows:
		return nil, inputErrorf("input", "input.texts has %d texts; send at most %d per job.", len(in.Texts), maxInputRows)
	}
	for i, text := range in.Texts {
		if err := checkText(text, fmt.Sprintf("input.texts[%d]", i)); err != nil {
			return nil, err
		}
	}
	return in.Texts, nil
}

func checkText(text, path string) error {
	if !access.Shows(text) {
		// a zero-width space alone was classified (every label 1/n) until 2026-12-04
		return inputErrorf("input", "%s is empty or shows nothing (only spaces or invisible characters); send some text to classify.", path)
	}
	// counted as it is read and stored, composed: 각 sent decomposed (ㄱ ㅏ
	// ㄱ) counted three until 2026-12-07
	if n := utf8.RuneCountInString(norm.NFC.String(text)); n > maxTextRunes {
		return inputErrorf("input", "%s has %d characters; at most %d are allowed.", path, n, maxTextRunes)
	}
	// as in every text Madang stores (access.ControlCharacter): the job's
	// input is kept in its log; until 2026-12-07 a NUL was
	if r, found := access.ControlCharacter(text); found {
		return inputErrorf("input", "Remove the control character %U from %s.", r, path)
	}
	return nil
}

// normalizeText makes equal-looking texts equal: NFC (Korean typed on some
// systems arrives as decomposed jamo), lower case, and single spaces. It
// pads with a space on both sides so grams also mark word starts and ends.
func normalizeText(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(' ')
	inSpace := true
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !inSpace {
				b.WriteByte(' ')
				inSpace = true
			}
			continue
		}
		b.WriteRune(unicode.ToLower(r))
		inSpace = false
	}
	if !inSpace {
		b.WriteByte(' ')
	}
	return b.String()
}

// ngrams yields every 1..maxNGram rune gram of s as a substring of s, so
// scoring a text allocates nothing per gram. The lone space is skipped: it
// occurs between any two words and says nothing.
func ngrams(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		var starts [maxNGram]int // byte offsets of the latest runes, newest first
		count := 0
		for i := 0; i < len(s); {
			_, size := utf8.DecodeRuneInString(s[i:])
			copy(starts[1:], starts[:maxNGram-1])
			starts[0] = i
			count++
			end := i + size
			for n := 1; n <= min(count, maxNGram); n++ {
				g := s[starts[n-1]:end]
				if g != " " && !yield(g) {
					return
				}
			}
			i = end
		}
	}
}
