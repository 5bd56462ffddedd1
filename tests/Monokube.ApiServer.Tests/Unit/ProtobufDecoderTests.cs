using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Serialization.Protobuf;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>
/// The protobuf request decoder, on bodies built field by field as Go's generated marshallers write them
/// (kubectl 1.32+ sends these end to end; see KubectlTests).
/// </summary>
public sealed class ProtobufDecoderTests
{
    [Fact]
    public void A_configmap_decodes_with_kind_and_apiVersion_from_the_envelope()
    {
        var metadata = Message(Str(1, "settings"), Str(3, "ns1"), Map(11, Str(1, "app"), Str(2, "web")), Field(8, Message()));
        var body = Envelope("v1", "ConfigMap", Message(Field(1, metadata), Map(2, Str(1, "k"), Str(2, "v")), Map(3, Str(1, "bin"), Bytes(2, [1, 2, 3]))));

        var obj = ProtobufDecoder.Decode(body);

        Assert.Equal("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings","namespace":"ns1","labels":{"app":"web"},"creationTimestamp":null},"data":{"k":"v"},"binaryData":{"bin":"AQID"}}""", obj.ToJsonString());
    }

    [Fact]
    public void Zero_scalars_marked_omitempty_are_left_out_and_others_kept()
    {
        // Container: name (no omitempty) is kept when empty; image, workingDir and stdin (omitempty) are dropped.
        var container = Message(Str(1, ""), Str(2, ""), Str(5, ""), Varint(16, 0));
        var spec = Message(Field(2, container), Varint(11, 0));
        var body = Envelope("v1", "Pod", Message(Field(1, Message()), Field(2, spec)));

        var obj = ProtobufDecoder.Decode(body);

        Assert.Equal("""{"name":""}""", obj["spec"]!["containers"]![0]!.ToJsonString());
        Assert.Null(obj["spec"]!["hostNetwork"]);
    }

    [Fact]
    public void Negative_int32_intorstring_and_times_decode_as_go_writes_them()
    {
        var priority = Envelope("scheduling.k8s.io/v1", "PriorityClass", Message(Field(1, Message(Str(1, "low"))), Varint(2, unchecked((ulong)-7L))));
        Assert.Equal(-7, ProtobufDecoder.Decode(priority)["value"]!.GetValue<int>());

        var port = Message(Str(1, "http"), Varint(3, 80), Field(4, Message(Varint(1, 1), Varint(2, 0), Str(3, "web"))));
        var numeric = Message(Varint(3, 443), Field(4, Message(Varint(1, 0), Varint(2, 8443), Str(3, ""))));
        var service = Envelope("v1", "Service", Message(Field(2, Message(Field(1, port), Field(1, numeric)))));
        var ports = ProtobufDecoder.Decode(service)["spec"]!["ports"]!;
        Assert.Equal("web", ports[0]!["targetPort"]!.GetValue<string>());
        Assert.Equal(8443, ports[1]!["targetPort"]!.GetValue<int>());

        var created = Message(Varint(1, 1_700_000_000), Varint(2, 123_456_789));
        var lease = Envelope("coordination.k8s.io/v1", "Lease", Message(Field(1, Message(Field(8, created))), Field(2, Message(Field(3, created)))));
        var decoded = ProtobufDecoder.Decode(lease);
        Assert.Equal("2023-11-14T22:13:20Z", decoded["metadata"]!["creationTimestamp"]!.ToString());
        Assert.Equal("2023-11-14T22:13:20.123456Z", decoded["spec"]!["acquireTime"]!.ToString());
    }

    [Fact]
    public void Inlined_messages_merge_into_the_parent_and_raw_json_is_spliced()
    {
        var volume = Message(Str(1, "config"), Field(2, Message(Field(19, Message(Field(1, Message(Str(1, "settings"))))))));
        var pod = Envelope("v1", "Pod", Message(Field(2, Message(Field(1, volume)))));
        Assert.Equal("""{"name":"config","configMap":{"name":"settings"}}""", ProtobufDecoder.Decode(pod)["spec"]!["volumes"]![0]!.ToJsonString());

        var revision = Envelope("apps/v1", "ControllerRevision", Message(Field(2, Message(Bytes(1, Encoding.UTF8.GetBytes("""{"spec":{"x":1}}""")))), Varint(3, 4)));
        var obj = ProtobufDecoder.Decode(revision);
        Assert.Equal("""{"spec":{"x":1}}""", obj["data"]!.ToJsonString());
        Assert.Equal(4, obj["revision"]!.GetValue<long>());
    }

    [Fact]
    public void Packed_and_unpacked_repeated_numbers_both_decode()
    {
        var packed = Message(Field(4, [.. Varint64(1000), .. Varint64(2000)]));
        var unpacked = Message(Varint(4, 1000), Varint(4, 2000));
        foreach (var securityContext in new[] { packed, unpacked })
        {
            var body = Envelope("v1", "Pod", Message(Field(2, Message(Field(14, securityContext)))));
            var groups = ProtobufDecoder.Decode(body)["spec"]!["securityContext"]!["supplementalGroups"]!.AsArray();
            Assert.Equal([1000L, 2000L], groups.Select(g => g!.GetValue<long>()));
        }
    }

    [Fact]
    public void A_typed_delete_sends_delete_options_in_its_own_group_version()
    {
        var body = Envelope("apps/v1", "DeleteOptions", Message(Varint(1, 0), Field(2, Message(Str(1, "uid-1"))), Str(4, "Foreground"), Str(5, "All")));

        Assert.Equal("""{"kind":"DeleteOptions","apiVersion":"apps/v1","gracePeriodSeconds":0,"preconditions":{"uid":"uid-1"},"propagationPolicy":"Foreground","dryRun":["All"]}""", ProtobufDecoder.Decode(body).ToJsonString());
    }

    [Fact]
    public void Unknown_fields_are_skipped()
    {
        var body = Envelope("v1", "Namespace", Message(Field(1, Message(Str(1, "n"), Str(99, "future"), Varint(98, 5), Fixed64(97), Fixed32(96)))));

        Assert.Equal("""{"name":"n"}""", ProtobufDecoder.Decode(body)["metadata"]!.ToJsonString());
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "does not start with the Kubernetes magic", Encoding.UTF8.GetBytes("""{"kind":"Pod"}""") },
        { "truncated", [.. Envelope("v1", "Pod", Message(Field(1, Message(Str(1, "name")))))[..^3]] },
        { "names no apiVersion and kind", [.. "k8s\0"u8, .. Bytes(2, [])] },
        { "wire type 0, expected 2", Envelope("v1", "ConfigMap", Message(Varint(1, 5))) },
        { "varint longer than ten bytes", Envelope("v1", "ConfigMap", [0x98, 0x06, .. Enumerable.Repeat((byte)0xFF, 11)]) },
        { "not valid UTF-8", Envelope("v1", "ConfigMap", Message(Field(1, Message(Bytes(1, [0xC3, 0x28]))))) },
        { "uses groups", Envelope("v1", "ConfigMap", [0x9B, 0x06]) },
        { "time out of range", Envelope("v1", "ConfigMap", Message(Field(1, Message(Field(8, Message(Varint(1, 1UL << 40))))))) },
        { "are not JSON", Envelope("apps/v1", "ControllerRevision", Message(Field(2, Message(Bytes(1, [0x01]))))) },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_bodies_are_refused_with_a_reason(string reason, byte[] body)
    {
        var e = Assert.Throws<ProtobufException>(() => ProtobufDecoder.Decode(body));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.False(e.Unsupported);
    }

    [Fact]
    public void A_kind_without_a_known_layout_is_unsupported_not_malformed()
    {
        var e = Assert.Throws<ProtobufException>(() => ProtobufDecoder.Decode(Envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", [])));
        Assert.True(e.Unsupported);
        Assert.Contains("send it as application/json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_after_the_magic_never_escape_as_another_exception()
    {
        var random = new Random(42);
        for (var i = 0; i < 2000; i++)
        {
            var noise = new byte[random.Next(0, 64)];
            random.NextBytes(noise);
            byte[] body = i % 2 == 0 ? [.. "k8s\0"u8, .. noise] : Envelope("v1", "Pod", noise);
            try
            {
                _ = ProtobufDecoder.Decode(body);
            }
            catch (ProtobufException)
            {
            }
        }
    }

    // An Unknown envelope holding an object of the named kind.
    private static byte[] Envelope(string apiVersion, string kind, byte[] raw) =>
        [.. "k8s\0"u8, .. Field(1, Message(Str(1, apiVersion), Str(2, kind))), .. Bytes(2, raw), .. Str(3, ""), .. Str(4, "")];

    private static byte[] Message(params byte[][] fields) => [.. fields.SelectMany(f => f)];

    private static byte[] Map(int number, byte[] key, byte[] value) => Field(number, Message(key, value));

    private static byte[] Str(int number, string value) => Bytes(number, Encoding.UTF8.GetBytes(value));

    private static byte[] Field(int number, byte[] message) => Bytes(number, message);

    private static byte[] Bytes(int number, byte[] value) => [.. Varint64((ulong)(number << 3 | 2)), .. Varint64((ulong)value.Length), .. value];

    private static byte[] Varint(int number, ulong value) => [.. Varint64((ulong)(number << 3)), .. Varint64(value)];

    private static byte[] Fixed64(int number) => [.. Varint64((ulong)(number << 3 | 1)), 1, 2, 3, 4, 5, 6, 7, 8];

    private static byte[] Fixed32(int number) => [.. Varint64((ulong)(number << 3 | 5)), 1, 2, 3, 4];

    private static byte[] Varint64(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
        return [.. bytes];
    }
}
