using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BlueGreenOperator.Runtime;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Tests.Runtime;

/// <summary>
/// A list/watch source driven by the test: each list returns the next scripted result (or throws it),
/// each watch is an open stream the test writes events, errors or a close into.
/// </summary>
internal sealed class ScriptedListWatch<T>
    where T : IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly Channel<Func<ListResult<T>>> lists = Channel.CreateUnbounded<Func<ListResult<T>>>();
    private readonly Channel<OpenWatch> opened = Channel.CreateUnbounded<OpenWatch>();
    private int listCalls;

    public ScriptedListWatch() =>
        Source = new ListWatch<T>(ListAsync, Watch);

    public ListWatch<T> Source { get; }

    public int ListCalls => Volatile.Read(ref listCalls);

    public void NextList(string resourceVersion, params T[] items) =>
        lists.Writer.TryWrite(() => new ListResult<T>(items, resourceVersion));

    public void NextListFails(Exception error) =>
        lists.Writer.TryWrite(() => throw error);

    /// <summary>Waits until the informer opens its next watch.</summary>
    public async Task<OpenWatch> NextWatchAsync() => await opened.Reader.ReadAsync().AsTask().WaitAsync(Wait);

    private async Task<ListResult<T>> ListAsync(CancellationToken ct)
    {
        var next = await lists.Reader.ReadAsync(ct);
        Interlocked.Increment(ref listCalls);
        return next();
    }

    private async IAsyncEnumerable<(WatchEventType Type, T Object)> Watch(string resourceVersion, [EnumeratorCancellation] CancellationToken ct)
    {
        var watch = new OpenWatch(resourceVersion);
        opened.Writer.TryWrite(watch);
        await foreach (var step in watch.Steps.Reader.ReadAllAsync(ct))
        {
            yield return step();
        }
    }

    internal sealed class OpenWatch(string resourceVersion)
    {
        public string ResourceVersion => resourceVersion;

        public Channel<Func<(WatchEventType, T)>> Steps { get; } = Channel.CreateUnbounded<Func<(WatchEventType, T)>>();

        public void Send(WatchEventType type, T item) => Steps.Writer.TryWrite(() => (type, item));

        public void Fail(Exception error) => Steps.Writer.TryWrite(() => throw error);

        public void Close() => Steps.Writer.TryComplete();
    }
}
