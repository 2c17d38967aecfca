package tstypes

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// CheckAnswer compares a route's decoded JSON answer with its declared
// answer type and returns the differences (nil: none): keys the
// declaration lacks, keys it requires that are missing, and values of the
// wrong JSON kind, down through nested objects, arrays and records.
func (r Route) CheckAnswer(app core.App, answer any) []string {
	c := checker{app: app}
	c.answer(r.Response, answer, "response")
	return c.problems
}

// CheckRecord compares one record of a response with the collection's
// record type.
func CheckRecord(app core.App, collection string, record any) []string {
	c := checker{app: app}
	c.record(collection, record, collection)
	return c.problems
}

type checker struct {
	app      core.App
	problems []string
}

func (c *checker) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

func (c *checker) answer(decl, v any, path string) {
	switch decl := decl.(type) {
	case recordOf:
		c.record(string(decl), v, path)
	case listOf:
		page, ok := v.(map[string]any)
		if !ok {
			c.fail(path, "got %T, want a list result", v)
			return
		}
		c.keys(page, []string{"page", "perPage", "totalItems", "totalPages", "items"}, nil, path)
		items, _ := page["items"].([]any)
		for i, item := range items {
			c.record(string(decl), item, fmt.Sprintf("%s.items[%d]", path, i))
		}
	case raw:
	default:
		c.value(reflect.TypeOf(decl), "", v, path)
	}
}

// record checks v against recordFields of collection.
func (c *checker) record(collection string, v any, path string) {
	col, err := c.app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		c.fail(path, "no collection %q", collection)
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "got %T, want a %s record", v, collection)
		return
	}
	if m["collectionName"] != collection {
		c.fail(path, "collectionName is %v, want %s", m["collectionName"], collection)
	}
	required := []string{"id", "collectionId", "collectionName"}
	optional := []string{"expand"}
	for _, f := range recordFields(col) {
		if f.optional {
			optional = append(optional, f.name)
		} else {
			required = append(required, f.name)
		}
	}
	c.keys(m, required, optional, path)
}

func (c *checker) keys(m map[string]any, required, optional []string, path string) {
	for k := range m {
		if !slices.Contains(required, k) && !slices.Contains(optional, k) {
			c.fail(path, "key %q is not declared", k)
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			c.fail(path, "declared key %q is missing", k)
		}
	}
}

// value checks v against Go type t, or against the record type a `ts`
// tag names ("UsersRecord", "PostsRecord[]").
func (c *checker) value(t reflect.Type, tsTag string, v any, path string) {
	if tsTag != "" {
		name, many := strings.CutSuffix(tsTag, "[]")
		collection := c.collectionOf(name)
		if collection == "" {
			return // a non-record TypeScript type: not checked here
		}
		if !many {
			c.record(collection, v, path)
			return
		}
		items, ok := v.([]any)
		if !ok {
			c.fail(path, "got %T, want an array of %s", v, name)
		}
		for i, item := range items {
			c.record(collection, item, fmt.Sprintf("%s[%d]", path, i))
		}
		return
	}
	if v == nil {
		return // null: an empty slice, map or pointer
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.value(t.Elem(), "", v, path)
	case reflect.Struct:
		if t == dateTimeType || t == timeType {
			c.kind(v, "", path)
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			c.fail(path, "got %T, want an object", v)
			return
		}
		cv := &converter{names: map[reflect.Type]string{}}
		var required, optional []string
		for _, f := range cv.fields(t) {
			if f.optional {
				optional = append(optional, f.name)
			} else {
				required = append(required, f.name)
			}
		}
		c.keys(m, required, optional, path)
		for _, sf := range structFields(t) {
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if fv, ok := m[name]; ok {
				c.value(sf.Type, sf.Tag.Get("ts"), fv, path+"."+name)
			}
		}
	case reflect.Slice, reflect.Array:
		items, ok := v.([]any)
		if !ok {
			c.fail(path, "got %T, want an array", v)
			return
		}
		for i, item := range items {
			c.value(t.Elem(), "", item, fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			c.fail(path, "got %T, want an object", v)
			return
		}
		for k, item := range m {
			c.value(t.Elem(), "", item, path+"."+k)
		}
	case reflect.String:
		c.kind(v, "", path)
	case reflect.Bool:
		c.kind(v, false, path)
	case reflect.Int, reflect.Int64, reflect.Float64:
		c.kind(v, 0.0, path)
	}
}

func (c *checker) kind(v, want any, path string) {
	if reflect.TypeOf(v) != reflect.TypeOf(want) {
		c.fail(path, "got %T, want %T", v, want)
	}
}

// structFields are t's JSON-encoded fields, embedded structs flattened.
func structFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous && sf.Tag.Get("json") == "" && sf.Type.Kind() == reflect.Struct {
			out = append(out, structFields(sf.Type)...)
		} else if sf.IsExported() && sf.Tag.Get("json") != "-" {
			out = append(out, sf)
		}
	}
	return out
}

func (c *checker) collectionOf(recordType string) string {
	collections, err := c.app.FindAllCollections()
	if err != nil {
		return ""
	}
	for _, col := range collections {
		if recordName(col.Name) == recordType {
			return col.Name
		}
	}
	return ""
}
