// Package ai is Madang's AI subsystem. This part is the model layer: each
// model family (a Kind) trains from an ais record's dataset and options and
// turns the stored model back into a Predictor that runs ai_logs jobs. It
// knows nothing of PocketBase, so the queue and routes decide where models,
// results and errors are stored.
//
// Choices that refine the brief's sketch of this API:
//   - InputError.Field is the request or record field at fault ("input",
//     "options" or "dataset"), so a route can answer PocketBase's
//     data.<field>.message shape directly; Message is a whole sentence that
//     names the exact spot, such as input.rows[3].x2.
//   - Options may carry "timeout_seconds"; Train and Predict apply it
//     themselves (openai_chat also has a default), so a caller's context
//     only needs to carry cancellation.
//   - Predict returns a value that encodes to the kind's result JSON.
package ai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Kind is one model family (linear_regression, text_classifier, openai_chat).
type Kind interface {
	Name() string
	// NeedsDataset reports whether Train reads a CSV dataset.
	NeedsDataset() bool
	// ValidateOptions checks the ais.options json before training; *InputError on bad options.
	ValidateOptions(options json.RawMessage) error
	// Train builds a model from dataset (nil when !NeedsDataset). progress may be nil.
	// Bad options or data come back as *InputError.
	Train(ctx context.Context, dataset io.Reader, options json.RawMessage, progress func(msg string)) (*Trained, error)
	// Load turns a stored model (+options) back into a Predictor.
	Load(model json.RawMessage, options json.RawMessage) (Predictor, error)
}

// Trained is what a training run stores on the ais record.
type Trained struct {
	Model   json.RawMessage
	Metrics map[string]float64
}

// Predictor runs inference jobs for one loaded model. It is safe for
// concurrent use, so the queue can share one per ais record.
type Predictor interface {
	// ValidateInput checks a job's input at submit time; returns *InputError naming the problem.
	ValidateInput(input json.RawMessage) error
	// Predict runs one job. partial, when non-nil, receives streamed text (openai_chat only).
	Predict(ctx context.Context, input json.RawMessage, partial func(text string)) (any, error)
}

// InputError is a problem the user can fix: bad options, dataset or job input.
type InputError struct {
	Field   string // "input", "options" or "dataset"
	Message string // a sentence saying what is wrong and where
}

func (e *InputError) Error() string { return e.Message }

func inputErrorf(field, format string, args ...any) *InputError {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

var kinds = map[string]Kind{
	"linear_regression": linearRegression{},
	"text_classifier":   textClassifier{},
	"openai_chat":       openAIChat{},
}

// KindByName finds the Kind for an ais.kind value.
func KindByName(name string) (Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// maxTimeoutSeconds bounds timeout_seconds to a day: longer is surely a typo.
const maxTimeoutSeconds = 24 * 60 * 60

func validateTimeout(seconds float64) error {
	if seconds < 0 || seconds > maxTimeoutSeconds {
		return inputErrorf("options", "options.timeout_seconds must be between 0 (no limit) and %d.", maxTimeoutSeconds)
	}
	return nil
}

// withTimeout applies a training's options timeout_seconds; 0 keeps ctx
// as it is. Its end is an *InputError (stopped says so), not "context
// deadline exceeded".
func withTimeout(ctx context.Context, seconds float64) (context.Context, context.CancelFunc) {
	if seconds <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, time.Duration(seconds*float64(time.Second)), inputErrorf("options",
		"The training did not finish within options.timeout_seconds (%g s); raise it, or train on a smaller dataset.", seconds))
}

// stopped is why ctx ended a training while it read its dataset: the time
// limit of withTimeout, or the server stopping.
func stopped(ctx context.Context) error {
	var limit *InputError
	if errors.As(context.Cause(ctx), &limit) {
		return limit
	}
	return fmt.Errorf("reading the dataset: %w", ctx.Err())
}

func report(progress func(string), format string, args ...any) {
	if progress != nil {
		progress(fmt.Sprintf(format, args...))
	}
}

// decodeJSON reads raw into v, rejecting unknown fields so that a typo such
// as "taget" fails loudly instead of silently falling back to a default.
// Numbers inside interface values stay json.Number, so callers can tell a
// number from a numeric-looking string. Empty or null raw leaves v as is.
func decodeJSON(raw json.RawMessage, field string, v any) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return &InputError{Field: field, Message: describeJSONError(field, trimmed, v, err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return inputErrorf(field, "%s must be a single JSON value.", field)
	}
	return nil
}

// describeJSONError names the spot of a decoding error in the path style of
// every input message, input.messages[0].content: field, then .name for an
// object's member and [i] for a list's element.
func describeJSONError(field string, raw []byte, v any, err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("%s must be %s, not a JSON %s.", jsonPath(field, typeErr.Field), jsonTypeName(typeErr.Type), typeErr.Value)
	}
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		at := field
		if name, err := strconv.Unquote(quoted); err == nil {
			if path, found := unknownFieldPath(raw, reflect.TypeOf(v), field, name); found {
				at = path
			}
		}
		return fmt.Sprintf("%s has an unknown field %s.", at, quoted)
	}
	return fmt.Sprintf("%s is not valid JSON: %s.", field, strings.TrimPrefix(err.Error(), "json: "))
}

// jsonPath turns encoding/json's dotted path (messages.0.content) into
// field's style (input.messages[0].content). A number is a list index:
// the inputs decoded here have no maps whose values could fail to decode.
func jsonPath(field, dotted string) string {
	if dotted == "" {
		return field
	}
	var b strings.Builder
	b.WriteString(field)
	for _, part := range strings.Split(dotted, ".") {
		if _, err := strconv.Atoi(part); err == nil {
			b.WriteString("[" + part + "]")
		} else {
			b.WriteString("." + part)
		}
	}
	return b.String()
}

// unknownFieldPath finds, in document order as the decoder met it, the
// object that holds the unknown field name, since encoding/json names only
// the field (a key inside input.messages[3] read as one of input's own).
func unknownFieldPath(raw []byte, t reflect.Type, path, name string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		keys, values := members(raw)
		for i, key := range keys {
			ft, known := jsonField(t, key)
			if !known && key == name {
				return path, true
			}
			if known {
				if p, ok := unknownFieldPath(values[i], ft, path+"."+key, name); ok {
					return p, true
				}
			}
		}
	case reflect.Map:
		keys, values := members(raw)
		for i, key := range keys {
			if p, ok := unknownFieldPath(values[i], t.Elem(), path+"."+key, name); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			for i, item := range items {
				if p, ok := unknownFieldPath(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), name); ok {
					return p, true
				}
			}
		}
	}
	return "", false
}

// members lists a JSON object's keys and values in document order; nothing
// when raw is no object.
func members(raw []byte) (keys []string, values []json.RawMessage) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil
	}
	for dec.More() {
		tok, err := dec.Token()
		key, isKey := tok.(string)
		var value json.RawMessage
		if err != nil || !isKey || dec.Decode(&value) != nil {
			return keys, values
		}
		keys, values = append(keys, key), append(values, value)
	}
	return keys, values
}

// jsonField is the type of t's field that encoding/json decodes key into
// (its json name, or Go name, matched regardless of case as the decoder does).
func jsonField(t reflect.Type, key string) (reflect.Type, bool) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.EqualFold(name, key) {
			return f.Type, true
		}
	}
	return nil, false
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	default:
		return "an object"
	}
}

// requireJSON rejects a missing input before kind-specific parsing, which
// would otherwise treat it as an empty object.
func requireJSON(raw json.RawMessage, field string) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return inputErrorf(field, "%s is required.", field)
	}
	return nil
}

// plural writes "1 row" or "3 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// keyList names up to a few keys for an error message, so a wide model
// does not produce a wall of text.
func keyList(keys []string) string {
	const shown = 10
	if len(keys) <= shown {
		return strings.Join(keys, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(keys[:shown], ", "), len(keys)-shown)
}
