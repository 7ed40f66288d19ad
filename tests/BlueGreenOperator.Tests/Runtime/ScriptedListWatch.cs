using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BlueGreenOperator.Runtime;
using k8s;
using k8s.Models;
using static BlueGreenOperator.Tests.Patience;

namespace BlueGreenOperator.Tests.Runtime;

/// <summary>
/// A list/watch source driven by the test: each list call returns the next scripted page (or throws it),
/// each watch is an open stream the test writes events, errors or a close into.
/// </summary>
internal sealed class ScriptedListWatch<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Channel<Func<string?, ListPage<T>>> lists = Channel.CreateUnbounded<Func<string?, ListPage<T>>>();
    private readonly Channel<OpenWatch> opened = Channel.CreateUnbounded<OpenWatch>();
    private readonly List<string?> continueTokens = [];
    private int listCalls;

    public ScriptedListWatch() =>
        Source = new ListWatch<T>(ListAsync, Watch);

    public ListWatch<T> Source { get; }

    public int ListCalls => Volatile.Read(ref listCalls);

    /// <summary>The continue token of each list call so far, in order (null for a first page).</summary>
    public IReadOnlyList<string?> ContinueTokens
    {
        get
        {
            lock (continueTokens)
            {
                return [.. continueTokens];
            }
        }
    }

    public void NextList(string resourceVersion, params T[] items) =>
        NextPage(resourceVersion, null, [.. items.Select(Decoded)]);

    /// <summary>One page of decoded or undecodable items; <paramref name="continueToken"/> non-null promises another page.</summary>
    public void NextPage(string resourceVersion, string? continueToken, params Decoded<T>[] items) =>
        lists.Writer.TryWrite(_ => new ListPage<T>(items, resourceVersion, continueToken));

    public void NextListFails(Exception error) =>
        lists.Writer.TryWrite(_ => throw error);

    /// <summary>Waits until the informer opens its next watch.</summary>
    public async Task<OpenWatch> NextWatchAsync() => await opened.Reader.ReadAsync().AsTask().WaitAsync(Wait);

    public static Decoded<T> Decoded(T item) => BlueGreenOperator.Runtime.Decoded<T>.Of(item, Identity(item));

    public static Decoded<T> Undecodable(string name, string resourceVersion, string path = "$.spec", string message = "does not decode") =>
        new(new ObjectIdentity(new ObjectKey("ml", name), $"uid-{name}", resourceVersion, 1), null, new DecodeFailure(path, message));

    private static ObjectIdentity Identity(T item) =>
        new(ObjectKey.Of(item.Metadata), item.Metadata.Uid, item.Metadata.ResourceVersion, item.Metadata.Generation);

    private async Task<ListPage<T>> ListAsync(string? continueToken, CancellationToken ct)
    {
        var next = await lists.Reader.ReadAsync(ct);
        Interlocked.Increment(ref listCalls);
        lock (continueTokens)
        {
            continueTokens.Add(continueToken);
        }

        return next(continueToken);
    }

    private async IAsyncEnumerable<(WatchChange Type, Decoded<T> Item)> Watch(string resourceVersion, [EnumeratorCancellation] CancellationToken ct)
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

        public Channel<Func<(WatchChange, Decoded<T>)>> Steps { get; } = Channel.CreateUnbounded<Func<(WatchChange, Decoded<T>)>>();

        public void Send(WatchChange type, T item) => Steps.Writer.TryWrite(() => (type, Decoded(item)));

        public void Send(WatchChange type, Decoded<T> item) => Steps.Writer.TryWrite(() => (type, item));

        public void Fail(Exception error) => Steps.Writer.TryWrite(() => throw error);

        public void Close() => Steps.Writer.TryComplete();
    }
}
