using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Telemetry;
using FluentAssertions;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Telemetry;

public sealed class FleetMetricsTests
{
    static readonly DateTime Started = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    static BlueGreenDeployment Resource(string? phase, DateTime? progressStartedAt = null, int deadlineSeconds = 600) => new()
    {
        Metadata = new V1ObjectMeta { Name = "iris", NamespaceProperty = "ml" },
        Spec = new BlueGreenDeploymentSpec { Strategy = new StrategySpec { ProgressDeadlineSeconds = deadlineSeconds } },
        Status = phase is null ? null : new BlueGreenDeploymentStatus { Phase = phase, ProgressStartedAt = progressStartedAt },
    };

    [Test]
    public void Should_count_every_phase_including_empty_ones_and_objects_without_status_as_unknown()
    {
        var counts = FleetMetrics.CountByPhase([Resource(Phase.Healthy), Resource(Phase.Healthy), Resource(Phase.Testing), Resource(null), Resource("Bogus")])
            .ToDictionary(c => c.Phase, c => c.Count);

        counts.Keys.Should().BeEquivalentTo(Phase.All.Append(FleetMetrics.UnknownPhase));
        counts[Phase.Healthy].Should().Be(2);
        counts[Phase.Testing].Should().Be(1);
        counts[FleetMetrics.UnknownPhase].Should().Be(2);
        counts[Phase.RolledBack].Should().Be(0);
    }

    [TestCase(Phase.Progressing, 601, true)]
    [TestCase(Phase.Testing, 700, true)]
    [TestCase(Phase.Promoting, 601, true)]
    [TestCase(Phase.Initializing, 601, true)]
    [TestCase(Phase.Progressing, 599, false)]
    [TestCase(Phase.Paused, 10_000, false)]
    [TestCase(Phase.Stabilizing, 10_000, false)]
    [TestCase(Phase.Degraded, 10_000, false)]
    public void Should_call_a_release_overdue_only_before_its_switch_not_paused_and_past_its_deadline(string phase, int secondsLater, bool overdue)
    {
        var now = new DateTimeOffset(Started.AddSeconds(secondsLater));

        FleetMetrics.IsOverdue(Resource(phase, Started), now).Should().Be(overdue);
    }

    [Test]
    public void Should_not_call_a_release_without_a_start_overdue()
    {
        FleetMetrics.IsOverdue(Resource(Phase.Progressing, null), DateTimeOffset.MaxValue).Should().BeFalse();
        FleetMetrics.IsOverdue(Resource(null), DateTimeOffset.MaxValue).Should().BeFalse();
    }
}
