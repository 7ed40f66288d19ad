using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Tests.Runtime;

/// <summary>Records each log line with the scopes active when it was written.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly AsyncLocal<ImmutableScope?> current = new();

    public ConcurrentQueue<(string Message, IReadOnlyList<object> Scopes)> Lines { get; } = new();

    /// <summary>Each line's message with the exception logged with it (whose stack trace a console would print), if any.</summary>
    public ConcurrentQueue<(string Message, Exception? Exception)> Errors { get; } = new();

    public IDisposable BeginScope<TState>(TState state)
        where TState : notnull
    {
        var parent = current.Value;
        current.Value = new ImmutableScope(state, parent);
        return new PopScope(() => current.Value = parent);
    }

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var scopes = new List<object>();
        for (var scope = current.Value; scope is not null; scope = scope.Parent)
        {
            scopes.Add(scope.State);
        }

        Lines.Enqueue((formatter(state, exception), scopes));
        Errors.Enqueue((formatter(state, exception), exception));
    }

    private sealed record ImmutableScope(object State, ImmutableScope? Parent);

    private sealed class PopScope(Action pop) : IDisposable
    {
        public void Dispose() => pop();
    }
}
