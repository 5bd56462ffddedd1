using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Serialization;

namespace Monokube.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI v2 document in gnostic's protobuf form (openapi.v2.Document), as kubectl 1.27 and 1.28 download
/// it before create, apply and explain. Encoded from the JSON document monokube serves; vendor extensions carry
/// their value as YAML text (JSON is valid YAML), the form kube-openapi's readers parse.
/// </summary>
public static class OpenApiV2Protobuf
{
    public static byte[] Encode(byte[] v2Json)
    {
        var doc = JsonBodyParser.Parse(v2Json) as JsonObject ?? throw new ArgumentException("the v2 document must be a JSON object", nameof(v2Json));
        var w = new ProtoWriter();
        w.String(1, doc["swagger"]?.ToString());
        if (doc["info"] is JsonObject info)
        {
            w.Message(2, m =>
            {
                m.String(1, info["title"]?.ToString());
                m.String(2, info["version"]?.ToString());
            });
        }

        if (doc["paths"] is JsonObject paths)
        {
            w.Message(8, m =>
            {
                foreach (var (path, item) in paths)
                {
                    m.Message(2, named =>
                    {
                        named.String(1, path);
                        named.Message(2, p => WritePathItem(p, (JsonObject)item!));
                    });
                }
            });
        }

        if (doc["definitions"] is JsonObject definitions)
        {
            w.Message(9, m =>
            {
                foreach (var (name, schema) in definitions)
                {
                    m.Message(1, named =>
                    {
                        named.String(1, name);
                        named.Message(2, s => WriteSchema(s, (JsonObject)schema!));
                    });
                }
            });
        }

        return w.Written.ToArray();
    }

    private static void WritePathItem(ProtoWriter w, JsonObject item)
    {
        foreach (var (method, field) in new[] { ("get", 2), ("put", 3), ("post", 4), ("delete", 5), ("patch", 8) })
        {
            if (item[method] is JsonObject operation)
            {
                w.Message(field, o => WriteOperation(o, operation));
            }
        }

        if (item["parameters"] is JsonArray parameters)
        {
            foreach (var parameter in parameters.OfType<JsonObject>())
            {
                w.Message(9, p => WriteParameter(p, parameter));
            }
        }
    }

    private static void WriteOperation(ProtoWriter w, JsonObject op)
    {
        WriteStrings(w, 1, op["tags"]);
        w.String(3, op["description"]?.ToString());
        w.String(5, op["operationId"]?.ToString());
        WriteStrings(w, 6, op["produces"]);
        WriteStrings(w, 7, op["consumes"]);
        if (op["parameters"] is JsonArray parameters)
        {
            foreach (var parameter in parameters.OfType<JsonObject>())
            {
                w.Message(8, p => WriteParameter(p, parameter));
            }
        }

        if (op["responses"] is JsonObject responses)
        {
            w.Message(9, r =>
            {
                foreach (var (code, response) in responses)
                {
                    r.Message(1, named =>
                    {
                        named.String(1, code);
                        named.Message(2, value => value.Message(1, resp =>
                        {
                            resp.String(1, response?["description"]?.ToString());
                            if (response?["schema"] is JsonObject schema)
                            {
                                resp.Message(2, item => item.Message(1, s => WriteSchema(s, schema)));
                            }
                        }));
                    });
                }
            });
        }

        WriteStrings(w, 10, op["schemes"]);
        WriteExtensions(w, 13, op);
    }

    // ParametersItem{parameter=1 Parameter{body_parameter=1 | non_body_parameter=2{query=3 | path=4}}}
    private static void WriteParameter(ProtoWriter w, JsonObject parameter)
    {
        w.Message(1, p =>
        {
            var location = parameter["in"]?.ToString();
            if (location == "body")
            {
                p.Message(1, body =>
                {
                    body.String(1, parameter["description"]?.ToString());
                    body.String(2, parameter["name"]?.ToString());
                    body.String(3, "body");
                    body.Bool(4, parameter["required"]?.GetValueKind() == JsonValueKind.True);
                    if (parameter["schema"] is JsonObject schema)
                    {
                        body.Message(5, s => WriteSchema(s, schema));
                    }
                });
                return;
            }

            p.Message(2, nonBody => nonBody.Message(location == "path" ? 4 : 3, q =>
            {
                var path = location == "path";
                q.Bool(1, parameter["required"]?.GetValueKind() == JsonValueKind.True);
                q.String(2, location);
                q.String(3, parameter["description"]?.ToString());
                q.String(4, parameter["name"]?.ToString());
                q.String(path ? 5 : 6, parameter["type"]?.ToString());
                q.Bool(path ? 19 : 20, parameter["uniqueItems"]?.GetValueKind() == JsonValueKind.True);
            }));
        });
    }

    private static void WriteSchema(ProtoWriter w, JsonObject schema)
    {
        w.String(1, schema["$ref"]?.ToString());
        w.String(2, schema["format"]?.ToString());
        w.String(4, schema["description"]?.ToString());
        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required)
            {
                w.RepeatedString(19, name?.ToString() ?? "");
            }
        }

        switch (schema["additionalProperties"])
        {
            case JsonObject additional:
                w.Message(21, a => a.Message(1, s => WriteSchema(s, additional)));
                break;
            case JsonValue flag when flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                w.Message(21, a => a.Bool(2, flag.GetValueKind() == JsonValueKind.True, always: true));
                break;
        }

        if (schema["type"] is JsonValue type)
        {
            w.Message(22, t => t.RepeatedString(1, type.ToString()));
        }

        if (schema["items"] is JsonObject items)
        {
            w.Message(23, i => i.Message(1, s => WriteSchema(s, items)));
        }

        if (schema["properties"] is JsonObject properties)
        {
            w.Message(25, p =>
            {
                foreach (var (name, property) in properties)
                {
                    p.Message(1, named =>
                    {
                        named.String(1, name);
                        named.Message(2, s => WriteSchema(s, (JsonObject)property!));
                    });
                }
            });
        }

        WriteExtensions(w, 31, schema);
    }

    private static void WriteExtensions(ProtoWriter w, int field, JsonObject obj)
    {
        foreach (var (name, value) in obj)
        {
            if (!name.StartsWith("x-", StringComparison.Ordinal) || value is null)
            {
                continue;
            }

            w.Message(field, named =>
            {
                named.String(1, name);
                named.Message(2, any => any.String(2, value.ToJsonString() + "\n"));
            });
        }
    }

    private static void WriteStrings(ProtoWriter w, int field, JsonNode? values)
    {
        if (values is not JsonArray array)
        {
            return;
        }

        foreach (var value in array)
        {
            w.RepeatedString(field, value?.ToString() ?? "");
        }
    }
}
