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
            Assert.Ignore("etcd or ip is not installed here, so a cached install would install packages");
        }

        var cache = Directory.CreateTempSubdirectory("bluegreen-k8s-cache-").FullName;
        try
        {
            foreach (var name in KubernetesBinaries.Names)
            {
                await File.WriteAllTextAsync(Path.Combine(cache, name), "cached");
            }

            await new BinaryInstaller(new KubernetesBinaries(cache), NullLogger.Instance).InstallAsync(CancellationToken.None);

            Directory.EnumerateFileSystemEntries(cache).Select(Path.GetFileName).Should().BeEquivalentTo(KubernetesBinaries.Names);
            (await File.ReadAllTextAsync(Path.Combine(cache, "kube-apiserver"))).Should().Be("cached");
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }
}
