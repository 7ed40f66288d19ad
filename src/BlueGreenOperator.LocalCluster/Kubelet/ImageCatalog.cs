using System.Globalization;
using k8s.Models;

namespace BlueGreenOperator.LocalCluster.Kubelet;

/// <summary>What a container image means on this machine: the program to run and the environment it expects.</summary>
public sealed record ImageEntrypoint(IReadOnlyList<string> Entrypoint, IReadOnlyList<string> DefaultArguments, IReadOnlyDictionary<string, string> DefaultEnvironment);

/// <summary>The result of looking an image up: an entrypoint, or why it cannot be run (reported as ErrImagePull).</summary>
public sealed record ImageResolution(ImageEntrypoint? Entrypoint, string? Error);

/// <summary>The harness's image table: image names map to local programs instead of being pulled.</summary>
public sealed class ImageCatalog(string? modelServerDll, string dotnet)
{
    public const string ModelServerImage = "bluegreen.dev/example-model-server";

    /// <summary>The example model server serving the tag's .onnx model (built into its output's models/) through ONNX Runtime.</summary>
    public const string OnnxModelServerImage = "bluegreen.dev/onnx-model-server";
    public const string HttpImage = "bluegreen.dev/busybox-http";

    /// <summary>A static HTTP server that costs about 2 MiB a pod (Perl's core Socket module, one connection at a time), for runs of a thousand pods.</summary>
    public const string TinyHttpImage = "bluegreen.dev/tiny-http";
    public const string Python = "/usr/bin/python3";
    public const string Perl = "/usr/bin/perl";

    // Answers every request with 200 "ok" and closes the connection; a client that sends nothing only delays the next one.
    private const string TinyHttpServer = """
        use Socket; my $port = shift;
        socket(my $server, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
        setsockopt($server, SOL_SOCKET, SO_REUSEADDR, pack("l", 1)) or die "setsockopt: $!";
        bind($server, sockaddr_in($port, INADDR_ANY)) or die "bind: $!";
        listen($server, 128) or die "listen: $!";
        while (accept(my $client, $server)) {
            while (defined(my $line = <$client>)) { last if $line =~ /^\r?\n$/; }
            print $client "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
            close $client;
        }
        """;

    public ImageResolution Resolve(V1Container container)
    {
        var (name, tag) = Split(container.Image ?? "");
        var port = (container.Ports?.FirstOrDefault()?.ContainerPort ?? 8080).ToString(CultureInfo.InvariantCulture);
        switch (name)
        {
            case ModelServerImage or OnnxModelServerImage when modelServerDll is null || !File.Exists(modelServerDll):
                return new ImageResolution(null, $"image {container.Image} maps to the example model server, but its build was not found (set BLUEGREEN_MODEL_SERVER_DLL to ModelServer.dll)");
            case ModelServerImage:
                return new ImageResolution(
                    new ImageEntrypoint(
                        [dotnet, modelServerDll!],
                        [],
                        new Dictionary<string, string> { ["MODEL_VERSION"] = tag, ["PORT"] = port }),
                    null);
            case OnnxModelServerImage when OnnxModel(tag) is not { } model || !File.Exists(model):
                return new ImageResolution(null, $"image {container.Image} maps to the example model server's {OnnxModel(tag) ?? $"models/iris-{tag}.onnx"}, which its build did not produce");
            case OnnxModelServerImage:
                return new ImageResolution(
                    new ImageEntrypoint(
                        [dotnet, modelServerDll!],
                        [],
                        new Dictionary<string, string> { ["MODEL_VERSION"] = tag, ["MODEL_FILE"] = OnnxModel(tag)!, ["PORT"] = port }),
                    null);
            case HttpImage:
                return new ImageResolution(
                    new ImageEntrypoint(
                        [Python, "-m", "http.server"],
                        [port, "--bind", "0.0.0.0"],
                        new Dictionary<string, string> { ["PORT"] = port }),
                    null);
            case TinyHttpImage:
                return new ImageResolution(
                    new ImageEntrypoint([Perl, "-e", TinyHttpServer], [port], new Dictionary<string, string> { ["PORT"] = port }),
                    null);
            default:
                return new ImageResolution(null, $"image {container.Image} is not in the local image table");
        }
    }

    /// <summary>The .onnx file the model server's build exported for a tag (v1, v2); null for a tag that is not a plain name.</summary>
    private string? OnnxModel(string tag) =>
        modelServerDll is null || tag.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.') || tag.StartsWith('.')
            ? null
            : Path.Combine(Path.GetDirectoryName(modelServerDll)!, "models", $"iris-{tag}.onnx");

    /// <summary>Splits `registry/name:tag` (or `@digest`) into the name and the tag, `latest` when absent.</summary>
    public static (string Name, string Tag) Split(string image)
    {
        var withoutDigest = image.Split('@')[0];
        var slash = withoutDigest.LastIndexOf('/');
        var colon = withoutDigest.LastIndexOf(':');
        return colon > slash ? (withoutDigest[..colon], withoutDigest[(colon + 1)..]) : (withoutDigest, "latest");
    }
}
