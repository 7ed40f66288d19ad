using BlueGreenOperator.Plugin.Rendering;

namespace BlueGreenOperator.Plugin.Tests;

public sealed class ListViewTests
{
    [Test]
    public void Should_list_phase_colour_and_versions_sorted_by_name()
    {
        var fresh = Samples.Object("anomaly-model");

        ListView.Render([Samples.Paused(), fresh], showNamespace: false, Samples.Now).Should().Be("""
            NAME            PHASE    ACTIVE   ACTIVE VERSION   PREVIEW VERSION   AGE
            anomaly-model   -        -        -                -                 2d
            fraud-model     Paused   blue     2026-11-01       2026-11-20        2d

            """);
    }

    [Test]
    public void Should_lead_with_the_namespace_across_all_namespaces()
    {
        var staging = Samples.Object("fraud-model", "staging", Samples.Stabilizing().Status);

        ListView.Render([Samples.RolledBack(), staging], showNamespace: true, Samples.Now).Should().Be("""
            NAMESPACE   NAME          PHASE         ACTIVE   ACTIVE VERSION   PREVIEW VERSION   AGE
            ml          fraud-model   RolledBack    blue     2026-11-01       -                 2d
            staging     fraud-model   Stabilizing   green    2026-11-20       -                 2d

            """);
    }
}

public sealed class AgeTests
{
    [TestCase(0, "0s")]
    [TestCase(59, "59s")]
    [TestCase(119, "119s")]
    [TestCase(125, "2m5s")]
    [TestCase(600, "10m")]
    [TestCase(3 * 3600 + 120, "3h2m")]
    [TestCase(9 * 3600, "9h")]
    [TestCase(3 * 86400 + 3600, "3d1h")]
    [TestCase(30 * 86400, "30d")]
    [TestCase(-5, "0s")]
    public void Should_print_durations_like_kubectl(int seconds, string expected) =>
        Age.Of(TimeSpan.FromSeconds(seconds)).Should().Be(expected);

    [Test]
    public void Should_read_unspecified_times_as_utc()
    {
        var unspecified = new DateTime(2026, 11, 22, 11, 0, 0, DateTimeKind.Unspecified);

        Age.Timestamp(unspecified).Should().Be("2026-11-22T11:00:00Z");
        Age.Since(unspecified, Samples.Now).Should().Be("60m");
    }
}
