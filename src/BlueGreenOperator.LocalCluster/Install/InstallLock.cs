namespace BlueGreenOperator.LocalCluster.Install;

/// <summary>An exclusive lock on a file, so that two installs on one machine do not build at the same time.</summary>
internal sealed class InstallLock : IDisposable
{
    private readonly FileStream stream;

    private InstallLock(FileStream stream) => this.stream = stream;

    public static async Task<InstallLock> AcquireAsync(string path, Action onWaiting, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var warned = false;
        while (true)
        {
            try
            {
                // FileShare.None takes an advisory lock on Unix: another process opening the file fails until we close it.
                return new InstallLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                if (!warned)
                {
                    onWaiting();
                    warned = true;
                }

                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
