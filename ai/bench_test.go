package ai

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func BenchmarkLinearPredict(b *testing.B) {
	tr, err := trainLinear(b, linearCSV(200, 1), `{}`)
	if err != nil {
		b.Fatal(err)
	}
	p, err := linearRegression{}.Load(tr.Model, nil)
	if err != nil {
		b.Fatal(err)
	}
	input := json.RawMessage(`{"features":{"x0":1,"x1":2,"x2":3,"x3":4,"x4":5,"x5":6,"x6":7,"x7":8}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Predict(context.Background(), input, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTextPredict(b *testing.B) {
	p := loadText(b, mustTrainText(b))
	input := json.RawMessage(`{"text":"` + strings.Repeat("손흥민 선수가 결승전에서 골을 넣었다. Fry the onion. ", 4) + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Predict(context.Background(), input, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLinearTrain(b *testing.B) {
	csv := linearCSV(2000, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := trainLinear(b, csv, `{}`); err != nil {
			b.Fatal(err)
		}
	}
}
