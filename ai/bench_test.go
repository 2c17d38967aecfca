package ai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// BenchmarkOpenAIChatPredict measures Madang's side of an openai_chat job —
// request, streaming parse, partial callbacks — against a local server that
// answers at once with a 20-piece stream; a real model's own time adds to it.
func BenchmarkOpenAIChatPredict(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 20 {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", fmt.Sprintf("조각 %d, ", i))
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	p, err := openAIChat{}.Load(json.RawMessage(`{}`), json.RawMessage(`{"base_url":"`+srv.URL+`/v1","model":"bench"}`))
	if err != nil {
		b.Fatal(err)
	}
	input := json.RawMessage(`{"prompt":"안녕?"}`)
	partials := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Predict(context.Background(), input, func(string) { partials++ }); err != nil {
			b.Fatal(err)
		}
	}
	if partials == 0 {
		b.Fatal("no partial text was reported")
	}
}
