using BlueGreenOperator.LocalCluster.ControlPlane;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests;

public sealed class LocalClusterOptionsTests
{
    [Test]
    public void Should_find_the_model_server_built_in_the_repository_around_the_current_directory()
    {
        var repository = Directory.CreateTempSubdirectory("bluegreen-repo-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(repository, "BlueGreenOperator.sln"), "");
            var output = Directory.CreateDirectory(Path.Combine(repository, "examples", "model-server", "bin", "Release", "net10.0")).FullName;
            File.WriteAllText(Path.Combine(output, "ModelServer.dll"), "");
            var nested = Directory.CreateDirectory(Path.Combine(repository, "tests", "Some.Tests", "bin")).FullName;

            LocalClusterOptions.FindBuiltModelServer(nested).Should().Be(Path.Combine(output, "ModelServer.dll"));
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
        }
    }

    [Test]
    public void Should_find_no_model_server_outside_a_repository()
    {
        var directory = Directory.CreateTempSubdirectory("bluegreen-elsewhere-").FullName;
        try
        {
            LocalClusterOptions.FindBuiltModelServer(directory).Should().BeNull();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
