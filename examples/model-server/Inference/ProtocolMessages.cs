using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelServer.Inference;

/// <summary>Tensor description in model metadata.</summary>
internal sealed record TensorMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("shape")] long[] Shape);

internal sealed record ModelMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("versions")] string[] Versions,
    [property: JsonPropertyName("platform")] string Platform,
    [property: JsonPropertyName("inputs")] TensorMetadata[] Inputs,
    [property: JsonPropertyName("outputs")] TensorMetadata[] Outputs);

internal sealed record ServerMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("extensions")] string[] Extensions);

internal sealed record ModelReadyStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("ready")] bool Ready);

/// <summary>One output tensor of an inference response; data is flat, row-major (long[] for INT64, float[] for FP32).</summary>
internal sealed record OutputTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] long[] Shape,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("data")] object Data);

internal sealed record InferenceResponse(
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("model_version")] string ModelVersion,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("outputs")] OutputTensor[] Outputs);

internal sealed record ErrorResponse([property: JsonPropertyName("error")] string Error);

/// <summary>Compile-time serializers: no reflection on the request path, faster first answer.</summary>
[JsonSerializable(typeof(ModelMetadata))]
[JsonSerializable(typeof(ServerMetadata))]
[JsonSerializable(typeof(ModelReadyStatus))]
[JsonSerializable(typeof(InferenceResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(long[]))]
[JsonSerializable(typeof(float[]))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext
{
    /// <summary>Error messages quote names with ' and &lt;=; keep them readable instead of \u-escaped.</summary>
    public static ProtocolJsonContext Readable { get; } =
        new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
