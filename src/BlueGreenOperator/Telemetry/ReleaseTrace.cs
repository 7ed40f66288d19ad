using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace BlueGreenOperator.Telemetry;

/// <summary>
/// One trace per release: every reconcile of an object works in the trace of the revision its spec asks for, whose
/// ids are derived from the object's uid and that revision. Reconciles of one release, on any replica and after any
/// restart, therefore join the same trace; stage spans hang under a parent span that is never exported (tracing
/// backends show it as the trace's root).
/// </summary>
internal static class ReleaseTrace
{
    public static ActivityContext For(string uid, string revision)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{uid}/{revision}"));
        return new ActivityContext(
            ActivityTraceId.CreateFromBytes(hash.AsSpan(0, 16)),
            ActivitySpanId.CreateFromBytes(hash.AsSpan(16, 8)),
            ActivityTraceFlags.Recorded,
            isRemote: true);
    }
}
