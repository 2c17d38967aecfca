package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var trueCoefficients = []float64{4, 5, 2, 7, 0.1, 15, 0.05, 1}

const trueIntercept = 3.0

// linearCSV draws rows of y = 3 + 4x0 + 5x1 + 2x2 + 7x3 + 0.1x4 + 15x5 +
// 0.05x6 + x7 + N(0, 0.1²) with x uniform in [0, 100): wide enough that
// the 0.05 and 0.1 coefficients stand well above the noise.
func linearCSV(rows int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("x0,x1,x2,x3,x4,x5,x6,x7,y\n")
	for range rows {
		y := trueIntercept + rng.NormFloat64()*0.1
		for _, c := range trueCoefficients {
			x := rng.Float64() * 100
			y += c * x
			fmt.Fprintf(&b, "%g,", x)
		}
		fmt.Fprintf(&b, "%g\n", y)
	}
	return b.String()
}

func trainLinear(t testing.TB, csv string, options string) (*Trained, error) {
	t.Helper()
	return linearRegression{}.Train(context.Background(), strings.NewReader(csv), json.RawMessage(options), nil)
}

func TestLinearRegressionRecoversCoefficients(t *testing.T) {
	var msgs []string
	tr, err := linearRegression{}.Train(context.Background(), strings.NewReader(linearCSV(2000, 7)),
		json.RawMessage(`{"target":"y"}`), func(m string) { msgs = append(msgs, m) })
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Error("no progress reported")
	}
	var m linearModel
	if err := json.Unmarshal(tr.Model, &m); err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Features, ",") != "x0,x1,x2,x3,x4,x5,x6,x7" || m.Target != "y" {
		t.Fatalf("model features %v target %q", m.Features, m.Target)
	}
	t.Logf("coefficients %v, intercept %v, metrics %v", m.Coefficients, m.Intercept, tr.Metrics)
	for j, want := range trueCoefficients {
		if got := m.Coefficients[j]; math.Abs(got-want)/want > 0.01 {
			t.Errorf("coefficient of x%d = %v, want %v within 1%%", j, got, want)
		}
	}
	if math.Abs(m.Intercept-trueIntercept) > 0.1 {
		t.Errorf("intercept = %v, want %v", m.Intercept, trueIntercept)
	}
	if tr.Metrics["rows_train"] != 1600 || tr.Metrics["rows_test"] != 400 {
		t.Errorf("split %v/%v, want 1600/400", tr.Metrics["rows_train"], tr.Metrics["rows_test"])
	}
	if r2, rmse := tr.Metrics["r2"], tr.Metrics["rmse"]; r2 < 0.9999 || rmse > 0.15 || rmse < 0.05 {
		t.Errorf("r2 = %v, rmse = %v; want r2 ≈ 1 and rmse ≈ the noise (0.1)", r2, rmse)
	}
}

func TestLinearRegressionIsDeterministic(t *testing.T) {
	a, err := trainLinear(t, linearCSV(300, 3), `{}`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := trainLinear(t, linearCSV(300, 3), `null`)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Model) != string(b.Model) {
		t.Errorf("same data trained twice gave different models:\n%s\n%s", a.Model, b.Model)
	}
}

func TestLinearRegressionPredicts(t *testing.T) {
	p, err := linearRegression{}.Load(json.RawMessage(`{"features":["a","b"],"coefficients":[2,-1],"intercept":0.5,"target":"y"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		input string
		want  []float64
	}{
		{`{"features":{"a":1,"b":1}}`, []float64{1.5}},
		{`{"rows":[{"b":2,"a":3},{"a":0,"b":0},{"a":-1.5e2,"b":1e-3}]}`, []float64{4.5, 0.5, -299.501}},
	} {
		res, err := p.Predict(context.Background(), json.RawMessage(tc.input), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.input, err)
		}
		got := res.(linearResult).Predictions
		for i := range tc.want {
			if math.Abs(got[i]-tc.want[i]) > 1e-9 {
				t.Errorf("%s: predictions %v, want %v", tc.input, got, tc.want)
			}
		}
		raw, _ := json.Marshal(res)
		if !strings.HasPrefix(string(raw), `{"predictions":[`) {
			t.Errorf("result encodes as %s", raw)
		}
	}
}

func TestLinearRegressionRejectsBadInput(t *testing.T) {
	p, err := linearRegression{}.Load(json.RawMessage(`{"features":["a","b"],"coefficients":[1e300,1],"intercept":0,"target":"y"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	tooMany := `{"rows":[` + strings.Repeat(`{"a":1,"b":2},`, maxInputRows) + `{"a":1,"b":2}]}`
	for _, tc := range []struct{ input, want string }{
		{``, "input is required"},
		{`null`, "input is required"},
		{`{}`, `needs "features"`},
		{`[1,2]`, "must be an object"},
		{`{"features":{"a":1,"b":2},"rows":[]}`, "not both"},
		{`{"rows":[]}`, "input.rows is empty"},
		{tooMany, "at most 1000"},
		{`{"features":{"a":1}}`, `input.features is missing feature "b"`},
		{`{"features":{"a":1,"b":2,"zz":3,"c":4}}`, `unknown feature "c"`},
		{`{"rows":[{"a":1,"b":2},{"a":"1","b":2}]}`, `input.rows[1].a must be a number, not the string "1"`},
		{`{"features":{"a":null,"b":2}}`, "input.features.a must be a number, not null"},
		{`{"features":{"a":true,"b":2}}`, "not true"},
		{`{"features":{"a":1e999,"b":2}}`, "out of range"},
		{`{"features":{"a":1,"b":2}`, "not valid JSON"},
		{`{"feature":{"a":1,"b":2}}`, `unknown field "feature"`},
		{`{"rows":[1]}`, "must be an object"},
	} {
		err := p.ValidateInput(json.RawMessage(tc.input))
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != "input" || !strings.Contains(ie.Message, tc.want) {
			t.Errorf("%.60s: error %v, want an input error containing %q", tc.input, err, tc.want)
		}
	}
	_, err = p.Predict(context.Background(), json.RawMessage(`{"features":{"a":1e10,"b":0}}`), nil)
	if ie := (*InputError)(nil); !errors.As(err, &ie) || !strings.Contains(ie.Message, "overflowed") {
		t.Errorf("overflowing prediction: %v", err)
	}
}

func TestLinearRegressionRejectsBadDatasets(t *testing.T) {
	good := linearCSV(40, 1)
	for _, tc := range []struct{ name, csv, options, want string }{
		{"empty file", "", `{}`, "The dataset is empty"},
		{"header only", "a,y\n", `{}`, "has 0 data rows"},
		{"too few rows", "a,y\n1,2\n2,3\n3,4\n", `{}`, "has 3 data rows; linear regression on 1 feature needs at least 10"},
		{"missing target", good, `{"target":"price"}`, `no column "price" (set by options.target); its columns are x0, x1`},
		{"only target", "y\n1\n2\n", `{}`, "only the target column"},
		{"non-numeric", "a,b,y\n1,2,3\n4,five,6\n", `{}`, `at row 3, column 2 ("b"): "five" is not a finite number`},
		{"NaN", "a,y\n1,2\nNaN,3\n", `{}`, `at row 3, column 1 ("a"): "NaN" is not a finite number`},
		{"Inf", "a,y\n1,2\n3,+Inf\n", `{}`, `column 2 ("y"): "+Inf"`},
		{"hex float", "a,y\n1,2\n0x1p2,3\n", `{}`, `at row 3, column 1 ("a"): "0x1p2" is not a finite number`},
		{"digit separator", "a,y\n1,2\n3,1_0\n", `{}`, `at row 3, column 2 ("y"): "1_0" is not a finite number`},
		{"empty cell", "a,y\n1,\n", `{}`, "at row 2, column 2 (\"y\"): the cell is empty"},
		{"duplicated header", "a,b,a,y\n1,2,3,4\n", `{}`, `names column "a" twice (columns 1 and 3)`},
		{"unnamed column", "a,,y\n1,2,3\n", `{}`, "Column 2 of the dataset's header has no name"},
		{"ragged row", "a,y\n1,2\n3,4,5\n", `{}`, "row 3 has a different number of fields"},
		{"constant column", constantColumnCSV(), `{}`, `Column "c" has the same value in every training row`},
		{"collinear columns", collinearCSV(), `{}`, "combinations of others"},
		{"a doubled column kept to 3 decimals", nearlyCollinearCSV(), `{"target":"비용"}`, "The feature columns 인원, 두배 are (nearly) combinations of one another"},
		{"huge values", "a,y\n" + strings.Repeat("1e308,1\n-1e308,2\n", 6), `{}`, "The fit overflowed"},
		{"huge held-out value", "a,y\n" + strings.Repeat("1,1\n2,2\n", 7) + "1e308,5\n", `{}`, "The fit overflowed"},
		{"unknown option", good, `{"taget":"y"}`, `options has an unknown field "taget"`},
		{"empty target", good, `{"target":" "}`, "options.target must name"},
		{"target not a string", good, `{"target":3}`, "options.target must be a string, not a JSON number"},
		{"negative timeout", good, `{"timeout_seconds":-1}`, "timeout_seconds must be between"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := trainLinear(t, tc.csv, tc.options)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(ie.Message, tc.want) {
				t.Errorf("error %v, want an input error containing %q", err, tc.want)
			}
		})
	}
}

func constantColumnCSV() string {
	var b strings.Builder
	b.WriteString("a,c,y\n")
	for i := range 30 {
		fmt.Fprintf(&b, "%d,5,%d\n", i, 2*i)
	}
	return b.String()
}

func collinearCSV() string {
	var b strings.Builder
	b.WriteString("a,b,y\n")
	for i := range 30 {
		fmt.Fprintf(&b, "%d,%d,%d\n", i, 3*i, i*i)
	}
	return b.String()
}

// nearlyCollinearCSV is probe p20's file's shape: 두배 is 2 × 인원 written
// to 3 decimals, as a spreadsheet's formula column exports it; 비용 = 5 +
// 3·인원 + 2·시간. Its condition number (2e5) is far below maxCondition.
func nearlyCollinearCSV() string {
	var b strings.Builder
	b.WriteString("인원,두배,시간,비용\n")
	for i := range 60 {
		_, golden := math.Modf(float64(i) * 0.6180339887498949)
		_, other := math.Modf(float64(i) * 0.4142135623730951)
		people, hours := 1+89*golden, 30*other
		fmt.Fprintf(&b, "%.3f,%.3f,%.3f,%.3f\n", people, 2*people, hours, 5+3*people+2*hours+math.Sin(float64(i)))
	}
	return b.String()
}

// TestLinearRegressionKeepsCorrelatedFeatures: strongly correlated but
// distinct features (x, x², x³, x⁴ over 1…100: VIFs up to 1.5e4) still
// train, so the collinearity refusal is for copies, not for polynomials.
func TestLinearRegressionKeepsCorrelatedFeatures(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,x2,x3,x4,y\n")
	for i := 1; i <= 100; i++ {
		x := float64(i)
		fmt.Fprintf(&b, "%g,%g,%g,%g,%g\n", x, x*x, x*x*x, x*x*x*x, 1+x-0.01*x*x+math.Sin(x))
	}
	if _, err := trainLinear(t, b.String(), `{}`); err != nil {
		t.Fatalf("polynomial features refused: %v", err)
	}
}

func TestLinearRegressionReadsSpreadsheetExports(t *testing.T) {
	var b strings.Builder
	b.WriteString("\uFEFFa, y\r\n")
	for i := range 20 {
		fmt.Fprintf(&b, "%d, %d\r\n", i, 2*i+1)
	}
	tr, err := trainLinear(t, b.String(), `{}`)
	if err != nil {
		t.Fatal(err)
	}
	var m linearModel
	if err := json.Unmarshal(tr.Model, &m); err != nil {
		t.Fatal(err)
	}
	if m.Features[0] != "a" || math.Abs(m.Coefficients[0]-2) > 1e-9 || math.Abs(m.Intercept-1) > 1e-9 {
		t.Errorf("model %+v, want a with coefficient 2 and intercept 1", m)
	}
	if math.Abs(tr.Metrics["r2"]-1) > 1e-12 {
		t.Errorf("r2 = %v for an exact line", tr.Metrics["r2"])
	}
}

func TestLinearRegressionHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := linearRegression{}.Train(ctx, strings.NewReader(linearCSV(50, 1)), nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestLinearRegressionRejectsBrokenStoredModels(t *testing.T) {
	for _, model := range []string{
		`not json`,
		`{"features":[],"coefficients":[],"intercept":0}`,
		`{"features":["a","b"],"coefficients":[1],"intercept":0}`,
		`{"features":["a","a"],"coefficients":[1,2],"intercept":0}`,
	} {
		if _, err := (linearRegression{}).Load(json.RawMessage(model), nil); err == nil {
			t.Errorf("Load(%s) succeeded", model)
		}
	}
}

// endlessRows is a dataset that never ends, x,y then rows of 1,2, read
// slowly (16 rows a millisecond): the time limit comes long before any
// row limit.
type endlessRows struct{ started bool }

func (r *endlessRows) Read(p []byte) (int, error) {
	if !r.started {
		r.started = true
		return copy(p, "x,y\n"), nil
	}
	time.Sleep(time.Millisecond)
	n := 0
	for n+4 <= min(len(p), 64) {
		n += copy(p[n:], "1,2\n")
	}
	return n, nil
}

// TestTrainingTimeLimitIsSaid: a training that passes its
// options.timeout_seconds fails saying so, for both kinds that read a
// dataset, not "context deadline exceeded".
func TestTrainingTimeLimitIsSaid(t *testing.T) {
	for name, k := range map[string]Kind{"linear_regression": linearRegression{},
		"text_classifier": textClassifier{}} {
		options := `{"target":"y","timeout_seconds":0.05}`
		if name == "text_classifier" {
			options = `{"text_column":"x","label_column":"y","timeout_seconds":0.05}`
		}
		_, err := k.Train(context.Background(), &endlessRows{}, json.RawMessage(options), nil)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != "options" || !strings.Contains(ie.Message, "did not finish within options.timeout_seconds (0.05 s)") {
			t.Errorf("%s past its time limit: %v", name, err)
		}
	}
}
