package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/gonum/mat"
)

const (
	// maxInputRows bounds one job's work for both linear_regression rows and
	// text_classifier texts.
	maxInputRows = 1000
	// maxCondition flags collinear features. Features are standardized
	// first, so honest data stays far below it; above it the coefficients
	// would be noise.
	maxCondition = 1e12
	// maxVIF flags a feature column that the other features explain to
	// R² ≥ 1 − 1/maxVIF (its variance inflation factor): a copy, a rescaled
	// or unit-converted column kept to a few decimals (probe p20: a 2×
	// column of 3 decimals had a VIF of 1e10 and passed maxCondition, and
	// its coefficients were −164 and +83 for 3 and 0). Raw polynomial
	// features up to x⁴ stay below it (1.5e4 on 1…100).
	maxVIF = 1e6
	// testEvery sends every testEvery-th row to the held-out split (20%),
	// which is deterministic, so retraining the same file gives the same model.
	testEvery = 5
	// ctxCheckEvery is how many rows pass between cancellation checks.
	ctxCheckEvery = 4096
)

// errHugeValues reports values whose sums or products overflow float64,
// which no metric or coefficient could represent.
var errHugeValues = inputErrorf("dataset", "The fit overflowed; rescale columns with huge values (divide them by a power of ten) and train again.")

// linearRegression is ordinary least squares with an intercept.
type linearRegression struct{}

type linearOptions struct {
	Target         string  `json:"target"`
	TimeoutSeconds float64 `json:"timeout_seconds"`
}

// linearModel is the stored model, in the contract's shape.
type linearModel struct {
	Features     []string  `json:"features"`
	Coefficients []float64 `json:"coefficients"`
	Intercept    float64   `json:"intercept"`
	Target       string    `json:"target"`
}

type linearResult struct {
	Predictions []float64 `json:"predictions"`
}

func (linearRegression) Name() string       { return "linear_regression" }
func (linearRegression) NeedsDataset() bool { return true }

func (linearRegression) ValidateOptions(options json.RawMessage) error {
	_, err := parseLinearOptions(options)
	return err
}

func parseLinearOptions(raw json.RawMessage) (linearOptions, error) {
	opts := linearOptions{Target: "y"}
	if err := decodeJSON(raw, "options", &opts); err != nil {
		return opts, err
	}
	opts.Target = strings.TrimSpace(opts.Target)
	if opts.Target == "" {
		return opts, inputErrorf("options", "options.target must name the dataset column to predict.")
	}
	return opts, validateTimeout(opts.TimeoutSeconds)
}

func (linearRegression) Train(ctx context.Context, dataset io.Reader, options json.RawMessage, progress func(string)) (*Trained, error) {
	opts, err := parseLinearOptions(options)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx, opts.TimeoutSeconds)
	defer cancel()

	data, err := readLinearDataset(ctx, dataset, opts.Target)
	if err != nil {
		return nil, err
	}
	report(progress, "Read %d rows with %d features; fitting on %d rows.",
		len(data.trainY)+len(data.testY), len(data.features), len(data.trainY))
	model, err := fitOLS(data)
	if err != nil {
		return nil, err
	}
	metrics := model.evaluate(data.testX, data.testY)
	if !allFinite([]float64{metrics["rmse"], metrics["r2"]}) {
		return nil, errHugeValues
	}
	metrics["rows_train"] = float64(len(data.trainY))
	metrics["rows_test"] = float64(len(data.testY))
	raw, err := json.Marshal(model)
	if err != nil {
		return nil, fmt.Errorf("encoding the linear model: %w", err)
	}
	return &Trained{Model: raw, Metrics: metrics}, nil
}

// linearData holds the split dataset, row-major, features in header order.
type linearData struct {
	target        string
	features      []string
	trainX, testX []float64
	trainY, testY []float64
}

func readLinearDataset(ctx context.Context, dataset io.Reader, target string) (*linearData, error) {
	t, err := openCSV(dataset)
	if err != nil {
		return nil, err
	}
	ti, err := t.column(target, "target")
	if err != nil {
		return nil, err
	}
	target = t.header[ti] // as the dataset spells it (sameForm)
	d := &linearData{target: target, features: slices.Delete(slices.Clone(t.header), ti, ti+1)}
	if len(d.features) == 0 {
		return nil, inputErrorf("dataset", "The dataset has only the target column %q; add at least one feature column.", target)
	}
	for i := 0; ; i++ {
		if i%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, stopped(ctx)
		}
		rec, row, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := d.addRow(t, rec, row, ti, i%testEvery == testEvery-1); err != nil {
			return nil, err
		}
	}
	return d, d.checkSize()
}

func (d *linearData) addRow(t *csvTable, rec []string, row, ti int, test bool) error {
	xs, ys := &d.trainX, &d.trainY
	if test {
		xs, ys = &d.testX, &d.testY
	}
	for col := range rec {
		v, err := t.number(rec, row, col)
		if err != nil {
			return err
		}
		if col == ti {
			*ys = append(*ys, v)
		} else {
			*xs = append(*xs, v)
		}
	}
	return nil
}

// checkSize asks for enough rows that the training split is overdetermined
// and the held-out split can say something.
func (d *linearData) checkSize() error {
	rows := len(d.trainY) + len(d.testY)
	need := max(10, 2*(len(d.features)+2))
	if rows < need {
		return inputErrorf("dataset", "The dataset has %s; linear regression on %s needs at least %d.", plural(rows, "data row"), plural(len(d.features), "feature"), need)
	}
	return nil
}

// fitOLS solves least squares by QR on standardized, centered columns: the
// centering absorbs the intercept and the scaling keeps the condition number
// meaningful, so small coefficients next to large ones are recovered
// exactly. It overwrites d.trainX.
func fitOLS(d *linearData) (*linearModel, error) {
	n, p := len(d.trainY), len(d.features)
	means, scales := standardize(d.trainX, n, p)
	if !allFinite(means) || !allFinite(scales) {
		return nil, errHugeValues
	}
	for j, s := range scales {
		if s == 0 {
			return nil, inputErrorf("dataset", "Column %q has the same value in every training row, so it cannot explain %q; remove it.", d.features[j], d.target)
		}
	}
	yMean := mean(d.trainY)
	yc := make([]float64, n)
	for i, y := range d.trainY {
		yc[i] = y - yMean
	}

	var qr mat.QR
	qr.Factorize(mat.NewDense(n, p, d.trainX))
	cond := qr.Cond()
	if cond > maxCondition {
		return nil, inputErrorf("dataset", "Some feature columns are (nearly) combinations of others, for example a duplicated or rescaled column; remove them so the coefficients are meaningful.")
	}
	// a VIF is at most the condition number squared: below that, none to find
	if cond*cond > maxVIF {
		if names := explained(&qr, d.features); len(names) > 0 {
			return nil, inputErrorf("dataset", "The feature columns %s are (nearly) combinations of one another "+
				"(R² above 0.999999 from the other features), for example a copy, a rescaled or a unit-converted column "+
				"(㎡ and 평); keep one of them so the coefficients are meaningful.", keyList(names))
		}
	}
	var beta mat.VecDense
	if err := qr.SolveVecTo(&beta, false, mat.NewVecDense(n, yc)); err != nil {
		return nil, fmt.Errorf("solving least squares: %w", err)
	}

	m := &linearModel{Features: d.features, Coefficients: make([]float64, p), Intercept: yMean, Target: d.target}
	for j := range p {
		m.Coefficients[j] = beta.AtVec(j) / scales[j]
		m.Intercept -= m.Coefficients[j] * means[j]
	}
	if !allFinite(m.Coefficients) || !allFinite([]float64{m.Intercept}) {
		return nil, errHugeValues
	}
	return m, nil
}

// explained names the features whose variance inflation factor passes
// maxVIF, from the QR factors of the standardized, centered features: with
// X = QR, a column's VIF is ‖column j of R‖² · ‖row j of R⁻¹‖².
func explained(qr *mat.QR, features []string) []string {
	p := len(features)
	var r mat.Dense
	qr.RTo(&r)
	upper := mat.NewTriDense(p, mat.Upper, nil)
	for i := range p {
		for j := i; j < p; j++ {
			upper.SetTri(i, j, r.At(i, j))
		}
	}
	var inv mat.TriDense
	if err := inv.InverseTri(upper); err != nil {
		var ill mat.Condition
		if !errors.As(err, &ill) {
			return nil // singular: maxCondition refused it already
		}
	}
	var names []string
	for j := range p {
		var col, row float64
		for i := 0; i <= j; i++ {
			col += r.At(i, j) * r.At(i, j)
		}
		for k := j; k < p; k++ {
			row += inv.At(j, k) * inv.At(j, k)
		}
		if col*row > maxVIF {
			names = append(names, features[j])
		}
	}
	return names
}

// standardize turns each column of the row-major n×p matrix x into z-scores
// in place and returns the original means and standard deviations.
func standardize(x []float64, n, p int) (means, scales []float64) {
	means, scales = make([]float64, p), make([]float64, p)
	for i := range n {
		for j, v := range x[i*p : (i+1)*p] {
			means[j] += v
		}
	}
	for j := range means {
		means[j] /= float64(n)
	}
	for i := range n {
		for j, v := range x[i*p : (i+1)*p] {
			scales[j] += (v - means[j]) * (v - means[j])
		}
	}
	for j := range scales {
		scales[j] = math.Sqrt(scales[j] / float64(n))
	}
	for i := range n {
		row := x[i*p : (i+1)*p]
		for j := range row {
			if scales[j] != 0 {
				row[j] = (row[j] - means[j]) / scales[j]
			}
		}
	}
	return means, scales
}

// evaluate scores the model on held-out rows. r2 is 1 - SSres/SStot; when
// the held-out target is constant (SStot = 0) it is 1 for a perfect fit and
// 0 otherwise, since JSON cannot hold the NaN the formula gives.
func (m *linearModel) evaluate(x, y []float64) map[string]float64 {
	yMean := mean(y)
	var ssRes, ssTot float64
	for i, want := range y {
		got := m.predict(x[i*len(m.Features) : (i+1)*len(m.Features)])
		ssRes += (got - want) * (got - want)
		ssTot += (want - yMean) * (want - yMean)
	}
	r2 := 0.0
	switch {
	case ssTot > 0:
		r2 = 1 - ssRes/ssTot
	case ssRes == 0:
		r2 = 1
	}
	return map[string]float64{"rmse": math.Sqrt(ssRes / float64(len(y))), "r2": r2}
}

func (m *linearModel) predict(x []float64) float64 {
	y := m.Intercept
	for j, c := range m.Coefficients {
		y += c * x[j]
	}
	return y
}

func (linearRegression) Load(model, _ json.RawMessage) (Predictor, error) {
	var m linearModel
	if err := json.Unmarshal(model, &m); err != nil {
		return nil, fmt.Errorf("reading the stored linear model: %w", err)
	}
	if len(m.Features) == 0 || len(m.Coefficients) != len(m.Features) ||
		!allFinite(m.Coefficients) || !allFinite([]float64{m.Intercept}) {
		return nil, fmt.Errorf("the stored linear model is inconsistent (%d features, %d coefficients); train it again", len(m.Features), len(m.Coefficients))
	}
	// models trained before headers were put in sameForm may hold
	// decomposed names; inputs are compared in sameForm (appendRow)
	index := make(map[string]int, len(m.Features))
	for j, f := range m.Features {
		f = sameForm(f)
		m.Features[j] = f
		if _, dup := index[f]; dup {
			return nil, fmt.Errorf("the stored linear model lists feature %q twice; train it again", f)
		}
		index[f] = j
	}
	return &linearPredictor{model: m, index: index}, nil
}

type linearPredictor struct {
	model linearModel
	index map[string]int
}

// linearInput is one of the two input shapes; decoded values stay raw
// (json.Number for numbers) so strings and nulls get precise messages.
type linearInput struct {
	Features map[string]any   `json:"features"`
	Rows     []map[string]any `json:"rows"`
}

func (p *linearPredictor) ValidateInput(input json.RawMessage) error {
	_, err := p.parseInput(input)
	return err
}

func (p *linearPredictor) Predict(ctx context.Context, input json.RawMessage, _ func(string)) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x, err := p.parseInput(input)
	if err != nil {
		return nil, err
	}
	width := len(p.model.Features)
	out := make([]float64, len(x)/width)
	for i := range out {
		out[i] = p.model.predict(x[i*width : (i+1)*width])
		if math.IsInf(out[i], 0) || math.IsNaN(out[i]) {
			return nil, inputErrorf("input", "The prediction for row %d overflowed; the input values are too large.", i)
		}
	}
	return linearResult{Predictions: out}, nil
}

// parseInput returns the rows row-major in the model's feature order.
func (p *linearPredictor) parseInput(raw json.RawMessage) ([]float64, error) {
	if err := requireJSON(raw, "input"); err != nil {
		return nil, err
	}
	var in linearInput
	if err := decodeJSON(raw, "input", &in); err != nil {
		return nil, err
	}
	switch {
	case in.Features != nil && in.Rows != nil:
		return nil, inputErrorf("input", "input must have either \"features\" or \"rows\", not both.")
	case in.Features != nil:
		return p.appendRow(nil, in.Features, "input.features")
	case in.Rows == nil:
		return nil, inputErrorf("input", "input needs \"features\" (one row) or \"rows\" (a list of rows), for example {\"features\":{%q:1}}.", p.model.Features[0])
	case len(in.Rows) == 0:
		return nil, inputErrorf("input", "input.rows is empty; send at least one row.")
	case len(in.Rows) > maxInputRows:
		return nil, inputErrorf("input", "input.rows has %d rows; send at most %d per job.", len(in.Rows), maxInputRows)
	}
	x := make([]float64, 0, len(in.Rows)*len(p.model.Features))
	for i, row := range in.Rows {
		var err error
		if x, err = p.appendRow(x, row, fmt.Sprintf("input.rows[%d]", i)); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func (p *linearPredictor) appendRow(x []float64, row map[string]any, path string) ([]float64, error) {
	row, err := sameFormKeys(row, path)
	if err != nil {
		return nil, err
	}
	for _, name := range p.model.Features {
		v, ok := row[name]
		if !ok {
			return nil, inputErrorf("input", "%s is missing feature %q; the model needs %s.", path, name, keyList(p.model.Features))
		}
		f, err := inputNumber(v, path+"."+name)
		if err != nil {
			return nil, err
		}
		x = append(x, f)
	}
	if len(row) > len(p.model.Features) {
		return nil, inputErrorf("input", "%s has unknown feature %q; the model's features are %s.", path, p.unknownKey(row), keyList(p.model.Features))
	}
	return x, nil
}

// sameFormKeys returns row with its feature names in sameForm, as the
// model's are; a row naming one feature in two forms is refused.
func sameFormKeys(row map[string]any, path string) (map[string]any, error) {
	normal := true
	for k := range row {
		normal = normal && norm.NFC.IsNormalString(k)
	}
	if normal {
		return row, nil
	}
	out := make(map[string]any, len(row))
	for k, v := range row {
		nk := sameForm(k)
		if _, dup := out[nk]; dup {
			return nil, inputErrorf("input", "%s names feature %q twice (once with decomposed letters); send it once.", path, nk)
		}
		out[nk] = v
	}
	return out, nil
}

// unknownKey names the alphabetically first key the model lacks, so the
// message does not depend on map order.
func (p *linearPredictor) unknownKey(row map[string]any) string {
	var unknown []string
	for k := range row {
		if _, ok := p.index[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	return slices.Min(unknown)
}

func inputNumber(v any, path string) (float64, error) {
	n, ok := v.(json.Number)
	// a form's empty number field: never read as 0, so the job is not run on a guess
	if s, isString := v.(string); isString && strings.TrimSpace(s) == "" {
		return 0, inputErrorf("input", "%s is empty; send a number (an empty value is not 0).", path)
	}
	if !ok {
		return 0, inputErrorf("input", "%s must be a number, not %s.", path, describeValue(v))
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, inputErrorf("input", "%s is out of range; send a finite number.", path)
	}
	return f, nil
}

func describeValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", clip(v, 40))
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return "a list"
	default:
		return "an object"
	}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func allFinite(xs []float64) bool {
	for _, x := range xs {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return false
		}
	}
	return true
}
