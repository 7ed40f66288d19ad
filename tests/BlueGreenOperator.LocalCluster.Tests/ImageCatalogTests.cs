using System.Diagnostics;
using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Kubelet;
using FluentAssertions;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests;

public sealed class ImageCatalogTests
{
    [TestCase("bluegreen.dev/example-model-server:2026-11-20", "bluegreen.dev/example-model-server", "2026-11-20")]
    [TestCase("bluegreen.dev/example-model-server", "bluegreen.dev/example-model-server", "latest")]
    [TestCase("localhost:5000/team/server:v2", "localhost:5000/team/server", "v2")]
    [TestCase("localhost:5000/team/server", "localhost:5000/team/server", "latest")]
    [TestCase("server:v3@sha256:abcd", "server", "v3")]
    public void Should_split_an_image_into_name_and_tag(string image, string name, string tag) =>
        ImageCatalog.Split(image).Should().Be((name, tag));

    [Test]
    public void Should_run_the_model_server_with_the_image_tag_as_model_version()
    {
        var dll = Path.GetTempFileName();
        try
        {
            var catalog = new ImageCatalog(dll, "/usr/bin/dotnet");

            var resolution = catalog.Resolve(new V1Container
            {
                Name = "model",
                Image = "bluegreen.dev/example-model-server:v7",
                Ports = [new V1ContainerPort { ContainerPort = 9000 }],
            });

            resolution.Error.Should().BeNull();
            resolution.Entrypoint!.Entrypoint.Should().Equal("/usr/bin/dotnet", dll);
            resolution.Entrypoint.DefaultEnvironment.Should().Contain("MODEL_VERSION", "v7").And.Contain("PORT", "9000");
        }
        finally
        {
            File.Delete(dll);
        }
    }

    [Test]
    public void Should_refuse_the_model_server_image_when_the_server_is_not_built()
    {
        var catalog = new ImageCatalog("/nonexistent/ModelServer.dll", "/usr/bin/dotnet");

        var resolution = catalog.Resolve(new V1Container { Name = "model", Image = ImageCatalog.ModelServerImage + ":v1" });

        resolution.Entrypoint.Should().BeNull();
        resolution.Error.Should().Contain("BLUEGREEN_MODEL_SERVER_DLL");
    }

    [Test]
    public void Should_refuse_an_image_outside_the_table()
    {
        var resolution = new ImageCatalog(null, "dotnet").Resolve(new V1Container { Name = "x", Image = "nginx:1.25" });

        resolution.Entrypoint.Should().BeNull();
        resolution.Error.Should().Contain("nginx:1.25");
    }

    [Test]
    public void Should_serve_http_on_the_declared_port_for_the_http_image()
    {
        var resolution = new ImageCatalog(null, "dotnet").Resolve(new V1Container
        {
            Name = "web",
            Image = ImageCatalog.HttpImage,
            Ports = [new V1ContainerPort { ContainerPort = 8081 }],
        });

        resolution.Entrypoint!.Entrypoint.Should().Equal(ImageCatalog.Python, "-m", "http.server");
        resolution.Entrypoint.DefaultArguments.Should().StartWith("8081");
    }

    [Test]
    public async Task Should_answer_http_on_the_declared_port_with_the_tiny_http_image()
    {
        var port = FreePort.Next();
        var resolution = new ImageCatalog(null, "dotnet").Resolve(new V1Container
        {
            Name = "web",
            Image = ImageCatalog.TinyHttpImage,
            Ports = [new V1ContainerPort { ContainerPort = port }],
        });
        var start = new ProcessStartInfo(resolution.Entrypoint!.Entrypoint[0]) { UseShellExecute = false };
        foreach (var argument in resolution.Entrypoint.Entrypoint.Skip(1).Concat(resolution.Entrypoint.DefaultArguments))
            start.ArgumentList.Add(argument);
        using var server = Process.Start(start)!;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var body = await Eventually.WaitForAsync(
                async ct =>
                {
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"), ct);
                    return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(ct) : null;
                },
                TimeSpan.FromSeconds(20), "the tiny server to answer");
            body.Should().Be("ok\n");
            (await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"))).Should().Be("ok\n", "it serves one connection after another");
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }
}
