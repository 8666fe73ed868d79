package openapi

// Hand-written (see embed.go). protoc-gen-openapiv2 writes a field's openapiv2_field limits into body schemas
// but drops minimum/maximum/length limits of query parameters, and path parameters it synthesizes from the HTTP
// templates have no field to annotate. These functions fill both in from the same sources the validators
// use, so the document states every limit the server enforces (docs/development-checks.md).

import (
	"slices"
	"strings"

	options "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2/options"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/kamld/kamld/sidecar/gen/kamld/v1" // registers the descriptors read below
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// pathPatterns: the path parameters' rules, by parameter name (resource/patterns.go proves them).
var pathPatterns = map[string]string{
	"dataset":  resource.DatasetIDPattern,
	"job":      resource.DatasetIDPattern,
	"tag":      resource.TagIDPattern,
	"branche":  resource.TagIDPattern, // grpc-gateway's name for the {branch} of branches/*; branch names are tag ids
	"snapshot": resource.SnapshotRefPattern,
	"query":    resource.QueryIDPattern,
}

// addLimits applies pathPatterns and the request fields' openapiv2_field options to every operation.
func addLimits(paths map[string]any) {
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			o, _ := op.(map[string]any)
			in := requestMessage(o["operationId"])
			params, _ := o["parameters"].([]any)
			for _, prm := range params {
				p, _ := prm.(map[string]any)
				switch p["in"] {
				case "path":
					if pat, ok := pathPatterns[p["name"].(string)]; ok {
						p["pattern"] = pat
					}
				case "query":
					if in != nil {
						queryLimits(p, in)
					}
					noUnspecified(p)
					plainStrings(p)
				}
			}
		}
	}
}

// requestMessage finds the input of the RPC an operationId ("DatasetService_ListDatasets") names.
func requestMessage(opID any) protoreflect.MessageDescriptor {
	id, _ := opID.(string)
	svc, method, ok := strings.Cut(id, "_")
	if !ok {
		return nil
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName("kamld.v1." + svc))
	if err != nil {
		return nil
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil
	}
	if md := sd.Methods().ByName(protoreflect.Name(method)); md != nil {
		return md.Input()
	}
	return nil
}

// queryLimits copies the limits of the field a query parameter ("pageSize", "filter.owner") binds to.
func queryLimits(p map[string]any, msg protoreflect.MessageDescriptor) {
	name, _ := p["name"].(string)
	var fd protoreflect.FieldDescriptor
	for part := range strings.SplitSeq(name, ".") {
		if msg == nil {
			return
		}
		if fd = msg.Fields().ByJSONName(part); fd == nil {
			return
		}
		msg = fd.Message()
	}
	js, _ := proto.GetExtension(fd.Options(), options.E_Openapiv2Field).(*options.JSONSchema)
	if js == nil {
		return
	}
	if js.GetMinimum() != 0 || js.GetExclusiveMinimum() {
		p["minimum"], p["exclusiveMinimum"] = js.GetMinimum(), js.GetExclusiveMinimum()
	}
	if js.GetMaximum() != 0 || js.GetExclusiveMaximum() {
		p["maximum"], p["exclusiveMaximum"] = js.GetMaximum(), js.GetExclusiveMaximum()
	}
	if js.GetMaxLength() != 0 {
		p["maxLength"] = js.GetMaxLength()
	}
	if js.GetMinLength() != 0 {
		p["minLength"] = js.GetMinLength()
	}
	if js.GetPattern() != "" && p["pattern"] == nil {
		p["pattern"] = js.GetPattern()
	}
	if len(js.GetEnum()) > 0 {
		target := p
		if items, ok := p["items"].(map[string]any); ok {
			target = items
		}
		target["enum"] = js.GetEnum()
	}
}

// noUnspecified drops proto3's zero enum values from query filters ("states"): they name no state, and the
// server refuses them there.
func noUnspecified(p map[string]any) {
	target := p
	if items, ok := p["items"].(map[string]any); ok {
		target = items
	}
	values, _ := target["enum"].([]any)
	kept := values[:0]
	for _, v := range values {
		if s, _ := v.(string); !strings.HasSuffix(s, "_UNSPECIFIED") {
			kept = append(kept, v)
		}
	}
	if values != nil {
		target["enum"] = kept
	}
}

// closeObjects marks every object definition with declared properties, and every request body of an RPC
// whose fields are all in the path ("…Body" without properties), as closed: the gateway's JSON decoding
// refuses unknown fields (400 MALFORMED_REQUEST). Free-form objects (google.protobuf.Struct) stay open.
func closeObjects(defs map[string]any) {
	for name, d := range defs {
		def, _ := d.(map[string]any)
		if name != "rpcStatus" && name != "protobufAny" { // errors may quote what the client sent
			plainStrings(def)
		}
		_, props := def["properties"]
		if (props || strings.HasSuffix(name, "Body")) && def["type"] == "object" {
			if _, ok := def["additionalProperties"]; !ok {
				def["additionalProperties"] = false
			}
		}
	}
}

// streamErrors documents what the gateway really sends when a server-streaming RPC fails: the status wrapped
// as {"error": …} as in its stream results, or bare when the request failed before the stream began.
func streamErrors(paths map[string]any) {
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			o, _ := op.(map[string]any)
			resps, _ := o["responses"].(map[string]any)
			ok, _ := resps["200"].(map[string]any)
			schema, _ := ok["schema"].(map[string]any)
			if title, _ := schema["title"].(string); !strings.HasPrefix(title, "Stream result of ") {
				continue
			}
			resps["default"] = map[string]any{
				"description": "An error: wrapped as {\"error\": …} once the stream started, bare before (a request that does not decode or authenticate).",
				"schema": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"error":   map[string]any{"$ref": "#/definitions/rpcStatus"},
						"code":    map[string]any{"type": "integer", "format": "int32"},
						"message": map[string]any{"type": "string"},
						"details": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/definitions/protobufAny"}},
					},
					"additionalProperties": false,
				},
			}
		}
	}
}

// optionalBodies: the gateway reads an absent body as an empty message (every field unset), so a body is
// never required; the fields' own rules still apply.
func optionalBodies(paths map[string]any) {
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			params, _ := op.(map[string]any)["parameters"].([]any)
			for _, prm := range params {
				if p, _ := prm.(map[string]any); p["in"] == "body" {
					p["required"] = false
				}
			}
		}
	}
}

// inlineBodies gives the request bodies protoc-gen-openapiv2 writes inline (a body message one of whose
// fields is in the path, such as SetAccess's access.name) the rules the definitions get: closed, plain
// strings, nullable fields.
func inlineBodies(paths map[string]any) {
	bodies := map[string]any{}
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			params, _ := op.(map[string]any)["parameters"].([]any)
			for _, prm := range params {
				p, _ := prm.(map[string]any)
				if schema, _ := p["schema"].(map[string]any); p["in"] == "body" && schema["properties"] != nil {
					bodies[method+" "+path] = schema
				}
			}
		}
	}
	closeObjects(bodies)
	nullableFields(bodies)
}

// nullableFields: proto3 JSON reads null as "unset" for every field, and the gateway writes an unset
// message field as null, so every property may be null, but for those a schema lists as required.
func nullableFields(defs map[string]any) {
	for _, d := range defs {
		def, _ := d.(map[string]any)
		props, _ := def["properties"].(map[string]any)
		required, _ := def["required"].([]any)
		for name, p := range props {
			if prop, _ := p.(map[string]any); prop != nil && !slices.Contains(required, any(name)) {
				prop["x-nullable"] = true
				if enum, ok := prop["enum"].([]any); ok && !slices.Contains(enum, any(nil)) {
					prop["enum"] = append(enum, nil) // an enum's own list must admit the null too
				}
			}
		}
	}
}

// noControl is validation.Request's rule for every string of every request: no control character other than
// tab, newline and carriage return (C0, DEL and C1), and valid UTF-8.
const noControl = `^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$`

// plainStrings gives every string without a pattern or format of its own the noControl pattern.
// 64-bit integers travel as decimal strings (proto3 JSON); 18 digits keep a pattern within the int64 range.
func plainStrings(schema map[string]any) {
	switch {
	case schema["type"] != "string" || schema["pattern"] != nil || schema["enum"] != nil:
	case schema["format"] == "int64":
		schema["pattern"] = `^-?[0-9]{1,18}$`
	case schema["format"] == "uint64":
		schema["pattern"] = `^[0-9]{1,18}$`
	case schema["format"] == nil:
		schema["pattern"] = noControl
	}
	if items, ok := schema["items"].(map[string]any); ok {
		plainStrings(items)
	}
	for _, key := range []string{"properties"} {
		props, _ := schema[key].(map[string]any)
		for _, p := range props {
			if prop, ok := p.(map[string]any); ok {
				plainStrings(prop)
			}
		}
	}
	if ap, ok := schema["additionalProperties"].(map[string]any); ok {
		plainStrings(ap)
	}
}
