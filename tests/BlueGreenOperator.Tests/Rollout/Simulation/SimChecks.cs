using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;

namespace BlueGreenOperator.Tests.Rollout.Simulation;

/// <summary>
/// Check runs in the simulation: each takes a few ticks and then judges every target pod by the template it was made
/// from (its model version's trait; hand-edited templates pass or fail at random; flaky releases fail some runs).
/// Smoke runs that pass on one template record it as tested: the ground truth the invariants use.
/// </summary>
internal sealed class SimChecks(SimWorld world, Random random) : ICheckRunner
{
    readonly List<(int DueAt, Func<CheckReport> Judge, TaskCompletionSource<CheckReport> Done)> _running = [];

    public int Runs { get; private set; }

    public int FlakyFailures { get; private set; }

    public bool Busy => _running.Count > 0;

    public Task<CheckReport> RunAsync(CheckRun run, CancellationToken ct)
    {
        Runs++;
        var done = new TaskCompletionSource<CheckReport>();
        _running.Add((world.Now + random.Next(0, 4), () => Judge(run.Kind, run.Color, run.Revision, run.Pods), done));
        return done.Task;
    }

    /// <summary>Completes the runs that are due; their continuations (the coordinator storing the report) run here.</summary>
    public void Advance()
    {
        foreach (var run in _running.Where(r => r.DueAt <= world.Now).ToList())
        {
            _running.Remove(run);
            run.Done.SetResult(run.Judge());
        }
    }

    /// <summary>A crashed operator's runs never report.</summary>
    public void Abandon() => _running.Clear();

    CheckReport Judge(CheckKind kind, Color color, string revision, IReadOnlyList<CheckTarget> targets)
    {
        var results = new List<PodCheckResult>();
        var flakyRun = random.NextDouble() < 0.3;
        foreach (var target in targets)
        {
            var pod = world.FindPod(target.Pod);
            var model = world.Deployments.TryGetValue(color, out var d) ? d.ModelVersion : "";
            bool passed;
            string message;
            if (pod is null || !world.IsReady(pod))
            {
                (passed, message) = (false, "connection refused");
            }
            else
            {
                var trait = world.TraitOf(pod.TemplateKey, model);
                passed = kind == CheckKind.Analysis
                    ? trait != Trait.FailsAnalysis
                    : trait switch
                    {
                        Trait.FailsSmokeTests => false,
                        Trait.Flaky => !flakyRun,
                        Trait.HandEdited => random.NextDouble() < 0.5,
                        _ => true,
                    };
                message = passed ? "ok" : "wrong prediction";
                if (!passed && trait == Trait.Flaky)
                    FlakyFailures++;
            }

            results.Add(new PodCheckResult("golden", target.Pod, passed, 3, message));
        }

        var hashes = targets.Select(t => t.PodTemplateHash).Distinct().ToList();
        var hash = hashes is [{ } single] ? single : null;
        if (kind == CheckKind.Smoke && hash is not null && results.Count > 0 && results.All(r => r.Passed))
            world.PassedHashes.Add(hash);
        return new CheckReport(color, revision, results, [.. targets.Select(t => t.Pod)], hash, world.Clock.GetUtcNow().UtcDateTime);
    }
}
