namespace Monokube.ApiServer.Schema;

public enum SchemaType
{
    Object,
    Array,

    /// <summary>A JSON object with arbitrary keys and values of one schema (Go map[string]T).</summary>
    Map,
    String,
    Integer,
    Number,
    Boolean,

    /// <summary>intstr.IntOrString: a number or a string.</summary>
    IntOrString,

    /// <summary>resource.Quantity: a string such as "100m", or a number.</summary>
    Quantity,

    /// <summary>metav1.Time / MicroTime: an RFC 3339 string.</summary>
    DateTime,

    /// <summary>[]byte: a base64 string.</summary>
    Bytes,

    /// <summary>Anything (runtime.RawExtension, JSON): kept as sent.</summary>
    Any,
}
