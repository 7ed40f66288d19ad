using BlueGreenOperator.LocalCluster.Install;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests;

public sealed class InstallTests
{
    [Test]
    public async Task Should_make_a_second_install_wait_for_the_first_ones_lock()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bluegreen-lock-{Guid.NewGuid():N}", "k8s.lock");
        var first = await InstallLock.AcquireAsync(path, () => { }, CancellationToken.None);
        var waited = false;

        var second = InstallLock.AcquireAsync(path, () => waited = true, CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        second.IsCompleted.Should().BeFalse("the first install still holds the lock");
        first.Dispose();
        using var acquired = await second;

        waited.Should().BeTrue();
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Test]
    public async Task Should_not_build_when_the_binaries_are_cached()
    {
        if (!File.Exists(KubernetesBinaries.Etcd) || !File.Exists("/usr/sbin/ip"))
        {
            Assert.Fail("etcd or ip is not installed here (bash hack/prereqs.sh installs them), so a cached install would install packages");
        }

        var cache = Directory.CreateTempSubdirectory("bluegreen-k8s-cache-").FullName;
        try
        {
            foreach (var name in KubernetesBinaries.Names)
            {
                await File.WriteAllTextAsync(Path.Combine(cache, name), "cached");
            }

            await File.WriteAllTextAsync(Path.Combine(cache, "recipe"), KubernetesBinaries.Recipe + "\n");
            await new BinaryInstaller(new KubernetesBinaries(cache), NullLogger.Instance).InstallAsync(CancellationToken.None);

            Directory.EnumerateFileSystemEntries(cache).Select(Path.GetFileName).Should().BeEquivalentTo(KubernetesBinaries.Names.Append("recipe"));
            (await File.ReadAllTextAsync(Path.Combine(cache, "kube-apiserver"))).Should().Be("cached");
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Test]
    public async Task Should_count_binaries_of_an_older_build_recipe_as_missing()
    {
        var cache = Directory.CreateTempSubdirectory("bluegreen-k8s-stale-").FullName;
        try
        {
            foreach (var name in KubernetesBinaries.Names)
            {
                await File.WriteAllTextAsync(Path.Combine(cache, name), "built before the reflect2 fix");
            }

            var binaries = new KubernetesBinaries(cache);
            binaries.IsComplete.Should().BeFalse("a cache without a recipe predates the reflect2 fix");

            await File.WriteAllTextAsync(binaries.RecipeFile, "kubernetes 1.20.2, Debian source\n");
            binaries.IsComplete.Should().BeFalse("an older recipe is rebuilt");

            await File.WriteAllTextAsync(binaries.RecipeFile, KubernetesBinaries.Recipe + "\n");
            binaries.IsComplete.Should().BeTrue();
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Test]
    public void Should_swap_the_vendored_reflect2_for_the_debian_one()
    {
        if (!Directory.Exists("/usr/share/gocode/src/github.com/modern-go/reflect2"))
        {
            Assert.Fail("golang-github-modern-go-reflect2-dev is not installed here (bash hack/prereqs.sh installs it)");
        }

        var tree = Directory.CreateTempSubdirectory("bluegreen-k8s-tree-").FullName;
        try
        {
            var vendored = Path.Combine(tree, "vendor", "github.com", "modern-go", "reflect2");
            Directory.CreateDirectory(vendored);
            File.WriteAllText(Path.Combine(vendored, "go_below_17.go"), "package reflect2 // 1.0.1");
            File.WriteAllText(Path.Combine(vendored, "BUILD"), "bazel");

            BinaryInstaller.ReplaceVendoredReflect2(tree);

            File.Exists(Path.Combine(vendored, "go_below_17.go")).Should().BeFalse("1.0.1's sources are gone");
            File.Exists(Path.Combine(vendored, "go_above_118.go")).Should().BeTrue("1.0.2 knows Go 1.18's map iteration");
            File.Exists(Path.Combine(vendored, "BUILD")).Should().BeTrue("only Go sources are swapped");
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }
}
