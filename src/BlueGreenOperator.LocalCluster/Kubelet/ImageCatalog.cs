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
    public const string HttpImage = "bluegreen.dev/busybox-http";
    public const string Python = "/usr/bin/python3";

    public ImageResolution Resolve(V1Container container)
    {
        var (name, tag) = Split(container.Image ?? "");
        var port = (container.Ports?.FirstOrDefault()?.ContainerPort ?? 8080).ToString(CultureInfo.InvariantCulture);
        switch (name)
        {
            case ModelServerImage when modelServerDll is null || !File.Exists(modelServerDll):
                return new ImageResolution(null, $"image {container.Image} maps to the example model server, but its build was not found (set BLUEGREEN_MODEL_SERVER_DLL to ModelServer.dll)");
            case ModelServerImage:
                return new ImageResolution(
                    new ImageEntrypoint(
                        [dotnet, modelServerDll!],
                        [],
                        new Dictionary<string, string> { ["MODEL_VERSION"] = tag, ["PORT"] = port }),
                    null);
            case HttpImage:
                return new ImageResolution(
                    new ImageEntrypoint(
                        [Python, "-m", "http.server"],
                        [port, "--bind", "0.0.0.0"],
                        new Dictionary<string, string> { ["PORT"] = port }),
                    null);
            default:
                return new ImageResolution(null, $"image {container.Image} is not in the local image table");
        }
    }

    /// <summary>Splits `registry/name:tag` (or `@digest`) into the name and the tag, `latest` when absent.</summary>
    public static (string Name, string Tag) Split(string image)
    {
        var withoutDigest = image.Split('@')[0];
        var slash = withoutDigest.LastIndexOf('/');
        var colon = withoutDigest.LastIndexOf(':');
        return colon > slash ? (withoutDigest[..colon], withoutDigest[(colon + 1)..]) : (withoutDigest, "latest");
    }
}
