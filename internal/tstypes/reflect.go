package tstypes

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// converter turns Go types into TypeScript as encoding/json writes them.
// Named types of other packages become named TypeScript interfaces,
// written once each after the routes; this package's shapes are inlined.
type converter struct {
	names map[reflect.Type]string
	order []reflect.Type
}

var (
	rawJSONType  = reflect.TypeFor[json.RawMessage]()
	jsonRawType  = reflect.TypeFor[types.JSONRaw]()
	dateTimeType = reflect.TypeFor[types.DateTime]()
	timeType     = reflect.TypeFor[time.Time]()
	recordType   = reflect.TypeFor[core.Record]()
	selfPkg      = reflect.TypeFor[Route]().PkgPath()
)

// field is one JSON key of a record or struct.
type field struct {
	name     string
	optional bool
	ts       string
	doc      string
}

func (cv *converter) ts(t reflect.Type) string {
	switch t {
	case rawJSONType, jsonRawType:
		return "unknown"
	case dateTimeType, timeType:
		return "string"
	case recordType:
		return "RecordModel"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return cv.ts(t.Elem())
	case reflect.Struct:
		if t.Name() == "" || t.PkgPath() == selfPkg {
			return cv.object(t, "")
		}
		return cv.named(t)
	case reflect.Map:
		return "Record<string, " + cv.ts(t.Elem()) + ">"
	case reflect.Slice, reflect.Array:
		return arrayOf(cv.ts(t.Elem()))
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	default:
		return "unknown"
	}
}

func arrayOf(elem string) string {
	if strings.ContainsAny(elem, " |<{") {
		return "Array<" + elem + ">"
	}
	return elem + "[]"
}

// named is the TypeScript name of a named Go struct type, queued to be
// written out.
func (cv *converter) named(t reflect.Type) string {
	if n, ok := cv.names[t]; ok {
		return n
	}
	key := goName(t)
	n, ok := names[key]
	if !ok {
		pkg := pascal(t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:])
		n = pascal(t.Name())
		if !strings.HasPrefix(strings.ToLower(n), strings.ToLower(pkg)) {
			n = pkg + n
		}
	}
	cv.names[t] = n
	cv.order = append(cv.order, t)
	return n
}

// object is the TypeScript object type of a struct, indented by indent.
func (cv *converter) object(t reflect.Type, indent string) string {
	fields := cv.fields(t)
	if len(fields) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, f := range fields {
		opt := ""
		if f.optional {
			opt = "?"
		}
		fmt.Fprintf(&b, "%s  %s%s: %s;\n", indent, f.name, opt, f.ts)
	}
	b.WriteString(indent + "}")
	return b.String()
}

// goName names a Go type as the overrides and names tables do: "ai.aiStats".
func goName(t reflect.Type) string {
	return t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:] + "." + t.Name()
}

// fields are a struct's JSON keys as encoding/json writes them (embedded
// structs flattened), typed by their `ts` tag, the overrides table or
// their Go type.
func (cv *converter) fields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			out = append(out, cv.fields(sf.Type)...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := field{name: name, optional: strings.Contains(opts, "omitempty")}
		switch over, ok := overrides[goName(t)+"."+name]; {
		case sf.Tag.Get("ts") != "":
			f.ts = sf.Tag.Get("ts")
		case ok:
			f.ts, f.optional = strings.CutPrefix(over, "?")
			f.optional = f.optional || strings.Contains(opts, "omitempty")
		default:
			f.ts = cv.ts(sf.Type)
		}
		out = append(out, f)
	}
	return out
}

// answer is the TypeScript type of a route's query, body or answer.
func (cv *converter) answer(v any, indent string) string {
	switch v := v.(type) {
	case nil:
		return "never"
	case recordOf:
		return recordName(string(v))
	case listOf:
		return "ListResult<" + recordName(string(v)) + ">"
	case raw:
		return string(v)
	}
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Struct && (t.Name() == "" || t.PkgPath() == selfPkg) {
		return cv.object(t, indent)
	}
	return cv.ts(t)
}

// writeRoutes writes MadangRoutes and the named types its routes use.
func writeRoutes(b *strings.Builder) {
	cv := &converter{names: map[reflect.Type]string{}}
	var routes strings.Builder
	routes.WriteString("/**\n * Madang's custom routes (besides PocketBase's records API), by \"METHOD /path\":\n" +
		" * the query parameters, JSON body and answer of each, and its success status.\n" +
		" * Path parameters are written {name}. Call them with pb.send(path, {method, query, body}).\n */\n")
	routes.WriteString("export interface MadangRoutes {\n")
	for _, r := range Routes {
		fmt.Fprintf(&routes, "  /** %s */\n", r.Doc)
		fmt.Fprintf(&routes, "  %s: {\n", quote(r.Method+" "+r.Path))
		fmt.Fprintf(&routes, "    status: %d;\n", r.Status)
		fmt.Fprintf(&routes, "    query: %s;\n", cv.answer(r.Query, "    "))
		fmt.Fprintf(&routes, "    body: %s;\n", cv.answer(r.Body, "    "))
		fmt.Fprintf(&routes, "    response: %s;\n", cv.answer(r.Response, "    "))
		routes.WriteString("  };\n")
	}
	routes.WriteString("}\n\n/** A route of MadangRoutes. */\nexport type MadangRoute = keyof MadangRoutes;\n")

	for _, v := range Named {
		cv.named(reflect.TypeOf(v))
	}
	// writing a type may queue the named types of its fields
	for i := 0; i < len(cv.order); i++ {
		t := cv.order[i]
		fmt.Fprintf(b, "/** Go: %s. */\nexport interface %s %s\n\n", goName(t), cv.names[t], cv.object(t, ""))
	}
	b.WriteString(routes.String())
}
