using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Reconciliation;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Reconciliation;

/// <summary>How long a check run may take: until the end of the stage it serves.</summary>
[TestFixture]
public sealed class CheckBudgetTests
{
    [Test]
    public void Should_give_a_replay_the_release_progress_deadline_as_smoke_tests_get_and_analysis_the_stabilization()
    {
        var resource = Resource("v2").WithStatus(new BlueGreenDeploymentStatus { ProgressStartedAt = T0, SwitchedAt = T0.AddSeconds(-100) });
        var now = new DateTimeOffset(T0.AddSeconds(60));

        CheckBudget.Remaining(resource, CheckKind.Replay, now).Should().Be(TimeSpan.FromSeconds(300 - 60));
        CheckBudget.Remaining(resource, CheckKind.Smoke, now).Should().Be(TimeSpan.FromSeconds(300 - 60));
        CheckBudget.Remaining(resource, CheckKind.Analysis, now).Should().Be(TimeSpan.FromSeconds(600 - 160));
    }
}
