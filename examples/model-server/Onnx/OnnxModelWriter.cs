using Google.Protobuf;
using ModelServer.Iris;

namespace ModelServer.Onnx;

/// <summary>
/// Writes a trained iris classifier as an ONNX model (opset 13): the classifier's own layers, then <c>Softmax</c> into
/// the <c>probabilities</c> output and <c>ArgMax</c> into the class output, with the tensor names the server publishes.
/// The protobuf messages of onnx.proto are encoded field by field with Google.Protobuf's writer.
/// </summary>
internal static class OnnxModelWriter
{
    public const string InputName = "input-0";
    public const string ClassOutput = "output-0";
    public const string ProbabilityOutput = "probabilities";
    const long IrVersion = 8;
    const long Opset = 13;

    public static byte[] Write(IOnnxExportable classifier, string version)
    {
        var graph = new OnnxGraph();
        var logits = classifier.AppendTo(graph, InputName);
        graph.Node("Softmax", [logits], [ProbabilityOutput], ("axis", 1L));
        graph.Node("ArgMax", [ProbabilityOutput], [ClassOutput], ("axis", 1L), ("keepdims", 0L));

        var model = new ProtoMessage()
            .Int64(1, IrVersion)
            .String(2, "bluegreen-operator examples/model-server")
            .String(3, version)
            .String(6, $"iris classifier {version}: {ModelVersions.Describe(version)}")
            .Message(7, graph.Build($"iris-{version}", InputName, IrisDataSet.FeatureCount, IrisDataSet.ClassCount))
            .Message(8, new ProtoMessage().String(1, "").Int64(2, Opset));
        return model.ToArray();
    }
}

/// <summary>A classifier whose forward pass can be written as ONNX nodes.</summary>
internal interface IOnnxExportable
{
    /// <summary>Adds the nodes from <paramref name="input"/> (N×4 features) to the logits (N×3); returns the logits' name.</summary>
    string AppendTo(OnnxGraph graph, string input);
}

/// <summary>The nodes and weights of one ONNX graph (GraphProto), named uniquely as they are added.</summary>
internal sealed class OnnxGraph
{
    // TensorProto.DataType and AttributeProto.AttributeType values of onnx.proto.
    const int Float = 1;
    const int Int64 = 7;
    const int IntAttribute = 2;

    readonly List<ProtoMessage> _nodes = [];
    readonly List<ProtoMessage> _initializers = [];
    int _names;

    /// <summary>A constant float tensor (row-major), returned by name.</summary>
    public string Weights(string hint, long[] dims, IEnumerable<double> values)
    {
        var name = $"{hint}_{_names++}";
        _initializers.Add(new ProtoMessage()
            .PackedInt64s(1, dims)
            .Int32(2, Float)
            .PackedFloats(4, values.Select(v => (float)v))
            .String(8, name));
        return name;
    }

    public string Weights(string hint, double[,] matrix) =>
        Weights(hint, [matrix.GetLength(0), matrix.GetLength(1)], matrix.Cast<double>());

    public string Weights(string hint, double[] vector) => Weights(hint, [vector.Length], vector);

    /// <summary>Adds one node; its single output is named after the operator unless given.</summary>
    public string Node(string op, IReadOnlyList<string> inputs, IReadOnlyList<string>? outputs = null, params (string Name, long Value)[] attributes)
    {
        outputs ??= [$"{op.ToLowerInvariant()}_{_names++}"];
        var node = new ProtoMessage();
        foreach (var input in inputs)
            node.String(1, input);
        foreach (var output in outputs)
            node.String(2, output);
        node.String(3, $"{op}_{_nodes.Count}").String(4, op);
        foreach (var (name, value) in attributes)
            node.Message(5, new ProtoMessage().String(1, name).Int64(3, value).Int32(20, IntAttribute));
        _nodes.Add(node);
        return outputs[0];
    }

    public ProtoMessage Build(string name, string input, int features, int classes)
    {
        var graph = new ProtoMessage();
        foreach (var node in _nodes)
            graph.Message(1, node);
        graph.String(2, name);
        foreach (var initializer in _initializers)
            graph.Message(5, initializer);
        graph.Message(11, ValueInfo(input, Float, features));
        graph.Message(12, ValueInfo(OnnxModelWriter.ProbabilityOutput, Float, classes));
        graph.Message(12, ValueInfo(OnnxModelWriter.ClassOutput, Int64, columns: null));
        return graph;
    }

    /// <summary>A tensor's declared type: the batch dimension is symbolic ("N"), then <paramref name="columns"/> if any.</summary>
    static ProtoMessage ValueInfo(string name, int elementType, int? columns)
    {
        var shape = new ProtoMessage();
        shape.Message(1, new ProtoMessage().String(2, "N"));
        if (columns is { } fixedColumns)
            shape.Message(1, new ProtoMessage().Int64(1, fixedColumns));
        var tensor = new ProtoMessage().Int32(1, elementType).Message(2, shape);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensor));
    }
}

/// <summary>One protobuf message, encoded as its fields are added.</summary>
internal sealed class ProtoMessage
{
    readonly MemoryStream _buffer = new();
    readonly CodedOutputStream _out;

    public ProtoMessage() => _out = new CodedOutputStream(_buffer, leaveOpen: true);

    public ProtoMessage Int64(int field, long value)
    {
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt64(value);
        return this;
    }

    public ProtoMessage Int32(int field, int value)
    {
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt32(value);
        return this;
    }

    public ProtoMessage String(int field, string value)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteString(value);
        return this;
    }

    public ProtoMessage Message(int field, ProtoMessage message)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(ByteString.CopyFrom(message.ToArray()));
        return this;
    }

    public ProtoMessage PackedInt64s(int field, IEnumerable<long> values) => Packed(field, values, (o, v) => o.WriteInt64(v));

    public ProtoMessage PackedFloats(int field, IEnumerable<float> values) => Packed(field, values, (o, v) => o.WriteFloat(v));

    ProtoMessage Packed<T>(int field, IEnumerable<T> values, Action<CodedOutputStream, T> write)
    {
        var packed = new ProtoMessage();
        foreach (var value in values)
            write(packed._out, value);
        return Bytes(field, packed.ToArray());
    }

    ProtoMessage Bytes(int field, byte[] bytes)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(ByteString.CopyFrom(bytes));
        return this;
    }

    public byte[] ToArray()
    {
        _out.Flush();
        return _buffer.ToArray();
    }
}
