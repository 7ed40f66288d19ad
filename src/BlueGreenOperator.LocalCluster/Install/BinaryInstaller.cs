using System.Diagnostics;
using BlueGreenOperator.LocalCluster.Processes;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.LocalCluster.Install;

/// <summary>
/// Obtains the Kubernetes binaries: Debian packages, Debian's kubernetes source package built once,
/// the four binaries cached outside the checkout.
/// </summary>
public sealed class BinaryInstaller(KubernetesBinaries binaries, ILogger logger)
{
    private const string SourcesDirectory = "/etc/apt/sources.list.d";
    private const string DebianSources = "debian.sources";
    private const string DerivedSources = "bluegreen-operator-deb-src.sources";

    private static readonly string[] BuildPackages = ["golang-go", "etcd-server", "rsync", "jq", "iproute2"];
    private static readonly string[] RuntimeProgramsChecked = [KubernetesBinaries.Etcd, "/usr/sbin/ip", "/usr/bin/setsid"];

    private static readonly Dictionary<string, string> NonInteractive = new() { ["DEBIAN_FRONTEND"] = "noninteractive" };

    /// <param name="sourceOnly">Stop once the source is downloaded and unpacked (to prefetch it, or to check the download path).</param>
    public async Task InstallAsync(CancellationToken cancellationToken, bool sourceOnly = false)
    {
        var stopwatch = Stopwatch.StartNew();
        if (binaries.IsComplete && RuntimeProgramsChecked.All(File.Exists))
        {
            logger.LogInformation("Kubernetes {Version} binaries already cached in {Directory}", KubernetesBinaries.Version, binaries.Directory);
            return;
        }

        var lockPath = binaries.Directory.TrimEnd('/') + ".lock";
        using var installLock = await InstallLock.AcquireAsync(
            lockPath,
            () => logger.LogInformation("Another install holds {Lock}; waiting for it", lockPath),
            cancellationToken);

        if (binaries.IsComplete)
        {
            // Either another install finished while we waited, or only host packages are missing.
            await InstallPackagesAsync(["etcd-server", "iproute2"], cancellationToken);
            logger.LogInformation("Kubernetes binaries cached in {Directory}", binaries.Directory);
            return;
        }

        await InstallPackagesAsync(BuildPackages, cancellationToken);
        await EnableSourcePackagesAsync(cancellationToken);
        var buildDirectory = Path.Combine(binaries.Directory, "build");
        if (Directory.Exists(buildDirectory))
        {
            Directory.Delete(buildDirectory, recursive: true);
        }

        Directory.CreateDirectory(buildDirectory);
        var sourceTree = await FetchSourceAsync(buildDirectory, cancellationToken);
        if (sourceOnly)
        {
            logger.LogInformation("Kubernetes source unpacked in {Directory} after {Elapsed}; not building (--source-only)", sourceTree, stopwatch.Elapsed);
            return;
        }

        await BuildAsync(sourceTree, cancellationToken);
        CopyBinaries(Path.Combine(sourceTree, "_output", "local", "bin", "linux", "amd64"));
        Directory.Delete(buildDirectory, recursive: true);
        logger.LogInformation(
            "Built and cached Kubernetes {Version} in {Directory} after {Elapsed}",
            KubernetesBinaries.Version,
            binaries.Directory,
            stopwatch.Elapsed);
    }

    /// <summary>Copies already built binaries into the cache (for a build made by hand from the same source).</summary>
    public void CopyBinaries(string builtDirectory)
    {
        Directory.CreateDirectory(binaries.Directory);
        foreach (var name in KubernetesBinaries.Names)
        {
            var target = Path.Combine(binaries.Directory, name);
            var partial = target + ".partial";
            File.Copy(Path.Combine(builtDirectory, name), partial, overwrite: true);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            // Rename last so a reader never sees a half-copied binary.
            File.Move(partial, target, overwrite: true);
        }
    }

    private async Task InstallPackagesAsync(IReadOnlyCollection<string> packages, CancellationToken cancellationToken)
    {
        logger.LogInformation("Installing Debian packages {Packages}", string.Join(' ', packages));
        await HostCommand.RunCheckedAsync("apt-get", ["update"], cancellationToken, environment: NonInteractive);
        await HostCommand.RunCheckedAsync(
            "apt-get",
            ["install", "-y", "--no-install-recommends", .. packages],
            cancellationToken,
            environment: NonInteractive);
    }

    /// <summary>Derives a deb-src entry from the Debian sources file, so the same mirrors serve source packages.</summary>
    private async Task EnableSourcePackagesAsync(CancellationToken cancellationToken)
    {
        var original = Path.Combine(SourcesDirectory, DebianSources);
        var derived = Path.Combine(SourcesDirectory, DerivedSources);
        if (!File.Exists(original))
        {
            throw new InvalidOperationException($"{original} is missing; cannot derive a deb-src entry from it.");
        }

        var lines = (await File.ReadAllLinesAsync(original, cancellationToken))
            .Select(line => line.Trim() == "Types: deb" ? "Types: deb-src" : line);
        var content = string.Join('\n', lines) + "\n";
        if (!File.Exists(derived) || await File.ReadAllTextAsync(derived, cancellationToken) != content)
        {
            await File.WriteAllTextAsync(derived, content, cancellationToken);
            logger.LogInformation("Enabled Debian source packages in {File}", derived);
        }

        await HostCommand.RunCheckedAsync("apt-get", ["update"], cancellationToken, environment: NonInteractive);
    }

    private async Task<string> FetchSourceAsync(string buildDirectory, CancellationToken cancellationToken)
    {
        logger.LogInformation("Downloading the Debian kubernetes source package into {Directory}", buildDirectory);
        await HostCommand.RunCheckedAsync(
            "apt-get",
            ["source", "--download-only", "kubernetes"],
            cancellationToken,
            workingDirectory: buildDirectory,
            environment: NonInteractive);

        var tarball = Directory.EnumerateFiles(buildDirectory, "*.orig.tar.*").FirstOrDefault()
            ?? throw new InvalidOperationException($"No .orig tarball was downloaded into {buildDirectory}");
        await HostCommand.RunCheckedAsync("tar", ["-xf", tarball, "-C", buildDirectory], cancellationToken);
        return Directory.EnumerateDirectories(buildDirectory)
            .FirstOrDefault(directory => File.Exists(Path.Combine(directory, "Makefile"))
                && Directory.Exists(Path.Combine(directory, "cmd", "kube-apiserver")))
            ?? throw new InvalidOperationException($"The kubernetes source tree was not found under {buildDirectory}");
    }

    private async Task BuildAsync(string sourceTree, CancellationToken cancellationToken)
    {
        var log = Path.Combine(binaries.Directory, "build.log");
        logger.LogInformation("Building Kubernetes {Version} in {Directory} (about 10 minutes on 2 cores); log in {Log}", KubernetesBinaries.Version, sourceTree, log);
        var what = string.Join(' ', KubernetesBinaries.Names.Select(name => $"cmd/{name}"));
        var result = await HostCommand.ShellAsync(
            "cd \"$1\" && CGO_ENABLED=0 make WHAT=\"$2\" >\"$3\" 2>&1",
            [sourceTree, what, log],
            cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"The Kubernetes build failed with exit code {result.ExitCode}; see {log}");
        }
    }
}
