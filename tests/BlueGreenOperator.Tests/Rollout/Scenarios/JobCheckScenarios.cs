using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Tests.Checks;
using BlueGreenOperator.Tests.Runtime;
using FluentAssertions;
using k8s.Models;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Rollout.Scenarios;

/// <summary>Rows J1–J10 of docs/design.md: evaluation Jobs as checks.</summary>
[TestFixture]
public sealed class JobCheckScenarios
{
    static readonly DateTimeOffset Now = new(T0.AddSeconds(30));

    static readonly IReadOnlyList<CheckTarget> Pods =
    [
        new("iris-green-a", "10.1.0.5", "hash-1"),
        new("iris-green-b", "10.1.0.6", "hash-1"),
    ];

    static CheckSpec Evaluation(Action<JobCheckSpec>? edit = null)
    {
        var job = new JobCheckSpec
        {
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec
                {
                    ServiceAccountName = "evaluator",
                    Containers = [new V1Container { Name = "evaluate", Image = "bluegreen.dev/example-model-server:v1", Args = ["evaluate-accuracy", "--min", "0.9"] }],
                },
            },
            ActiveDeadlineSeconds = 600,
        };
        edit?.Invoke(job);
        return new CheckSpec { Name = "accuracy", Job = job };
    }

    static BlueGreenDeployment Releasing(DateTime? startedAt = null)
    {
        var resource = Resource("v2");
        resource.Status = new BlueGreenDeploymentStatus { ProgressStartedAt = startedAt ?? T0, PreviewColor = "green" };
        return resource;
    }

    static CheckRun Run(BlueGreenDeployment resource, CheckSpec check, CheckKind kind = CheckKind.Smoke)
    {
        var revision = RevisionHash.Compute(resource.Spec);
        var deadline = new DateTimeOffset(T0.AddSeconds(resource.Spec.Strategy.ProgressDeadlineSeconds));
        return new CheckRun("ml", kind, Color.Green, revision, Pods, [check]) { Owner = JobCheck.Owner(resource, kind, Color.Green, revision, Pods, deadline) };
    }

    static JobCheck Runner(FakeCheckJobs jobs) =>
        new(jobs, new CapturingLogger<JobCheck>(), new FixedTime(Now), TimeSpan.FromMilliseconds(1));

    [Test]
    public async Task J1_Should_create_one_Job_owned_by_the_object_with_the_colours_addresses_and_the_stage_deadline()
    {
        var jobs = new FakeCheckJobs();
        var resource = Releasing();

        var result = await Runner(jobs).RunAsync(Run(resource, Evaluation()), Evaluation(), CancellationToken.None);

        result.Passed.Should().BeTrue();
        result.Pod.Should().BeNull("a Job runs once per check run, not per pod");
        var job = jobs.Jobs.Values.Should().ContainSingle().Subject;
        job.Metadata.Name.Should().StartWith("fraud-model-accuracy-").And.HaveLength("fraud-model-accuracy-".Length + 10);
        job.Metadata.OwnerReferences.Should().ContainSingle(o => o.Uid == "uid-1" && o.Kind == WellKnown.Kind && o.Controller == true);
        job.Metadata.Labels.Should().Contain(WellKnown.InstanceLabel, "fraud-model").And.Contain(JobCheck.CheckLabel, "accuracy").And.Contain(JobCheck.CheckKindLabel, "smoke");
        job.Spec.BackoffLimit.Should().Be(0);
        job.Spec.ActiveDeadlineSeconds.Should().Be(270, "the release's deadline is 300 s after its start, 30 s ago, sooner than the check's own 600 s");
        job.Spec.Template.Spec.RestartPolicy.Should().Be("Never");
        job.Spec.Template.Spec.ServiceAccountName.Should().Be("evaluator", "the Job runs as the template says, never as the operator");
        job.Spec.Template.Spec.Containers.Single().Env.Should().Contain(e => e.Name == JobCheckEnvironment.PreviewUrl && e.Value == "http://fraud-model-preview.ml.svc:80")
            .And.Contain(e => e.Name == JobCheckEnvironment.TargetPods && e.Value == "10.1.0.5:8080,10.1.0.6:8080")
            .And.Contain(e => e.Name == JobCheckEnvironment.ModelName && e.Value == "iris");
    }

    [Test]
    public async Task J1_Should_leave_the_objects_spec_as_it_was_read()
    {
        var check = Evaluation();
        var resource = Releasing();

        await Runner(new FakeCheckJobs()).RunAsync(Run(resource, check), check, CancellationToken.None);

        check.Job!.Template.Spec.Containers.Single().Env.Should().BeNull();
        check.Job.Template.Spec.RestartPolicy.Should().BeNull();
    }

    [Test]
    public async Task J2_Should_read_the_Job_a_crashed_run_created_instead_of_starting_a_second()
    {
        var jobs = new FakeCheckJobs { ReadsUntilFinished = 3 };
        var resource = Releasing();
        using (var crash = new CancellationTokenSource())
        {
            jobs.BeforeRead = (_, reads) =>
            {
                if (reads == 2)
                    crash.Cancel();
            };
            var first = () => Runner(jobs).RunAsync(Run(resource, Evaluation()), Evaluation(), crash.Token);
            await first.Should().ThrowAsync<OperationCanceledException>();
        }

        jobs.BeforeRead = null;
        var result = await Runner(jobs).RunAsync(Run(resource, Evaluation()), Evaluation(), CancellationToken.None);

        result.Passed.Should().BeTrue();
        jobs.Requests.Count(r => r.StartsWith("create", StringComparison.Ordinal)).Should().Be(1);
        jobs.Jobs.Should().HaveCount(1);
    }

    [Test]
    public void J2_Should_name_a_new_Job_for_a_retry_a_promotion_an_edited_check_or_other_pods_and_the_same_one_otherwise()
    {
        var resource = Releasing();
        var name = JobCheck.JobName(Run(resource, Evaluation()).Owner!, Evaluation());

        JobCheck.JobName(Run(Releasing(), Evaluation()).Owner!, Evaluation()).Should().Be(name, "the same run of the same check");
        JobCheck.JobName(Run(Releasing(T0.AddMinutes(5)), Evaluation()).Owner!, Evaluation()).Should().NotBe(name, "a retry or a promotion restarts the release's clock");
        JobCheck.JobName(Run(resource, Evaluation()).Owner!, Evaluation(j => j.BackoffLimit = 1)).Should().NotBe(name, "an edited check is another check");
        var otherPods = new CheckRun("ml", CheckKind.Smoke, Color.Green, "r", [new CheckTarget("p", "10.1.0.9", "hash-2")], [])
        {
            Owner = JobCheck.Owner(resource, CheckKind.Smoke, Color.Green, RevisionHash.Compute(resource.Spec), [new CheckTarget("p", "10.1.0.9", "hash-2")], null),
        };
        JobCheck.JobName(otherPods.Owner!, Evaluation()).Should().NotBe(name, "pods of another template are tested again");
    }

    [Test]
    public void J2_Should_name_each_analysis_run_apart_and_keep_the_name_until_the_run_is_recorded()
    {
        var resource = Releasing();
        resource.Status!.SwitchedAt = T0;
        resource.Status.Analysis = new AnalysisStatus { Runs = 4 };
        var fifth = JobCheck.RunIdentity(resource, CheckKind.Analysis, Color.Green, "r", Pods);

        JobCheck.RunIdentity(resource, CheckKind.Analysis, Color.Green, "r", Pods).Should().Be(fifth);
        resource.Status.Analysis.Runs = 5;
        JobCheck.RunIdentity(resource, CheckKind.Analysis, Color.Green, "r", Pods).Should().NotBe(fifth);
    }

    [Test]
    public async Task J3_Should_pass_with_the_termination_message_of_the_pod_that_succeeded()
    {
        var jobs = new FakeCheckJobs { Outcome = _ => ("Complete", null, [FakeCheckJobs.Pod("Succeeded", 0, "accuracy 0.96 on 150 flowers (min 0.9)\n")]) };

        var result = await Runner(jobs).RunAsync(Run(Releasing(), Evaluation()), Evaluation(), CancellationToken.None);

        result.Passed.Should().BeTrue();
        result.Message.Should().StartWith("accuracy 0.96 on 150 flowers (min 0.9) (Job fraud-model-accuracy-").And.EndWith(" succeeded in 12 s)");
    }

    [Test]
    public async Task J3_Should_fail_with_the_last_failed_pods_termination_message_the_reason_and_the_exit_code()
    {
        var jobs = new FakeCheckJobs
        {
            Outcome = _ => ("Failed", "BackoffLimitExceeded",
            [
                FakeCheckJobs.Pod("Failed", 1, "accuracy 0.50 on 150 flowers (min 0.9)", T0),
                FakeCheckJobs.Pod("Failed", 2, "accuracy 0.33 on 150 flowers\n(min 0.9)", T0.AddSeconds(5)),
            ]),
        };

        var result = await Runner(jobs).RunAsync(Run(Releasing(), Evaluation()), Evaluation(), CancellationToken.None);

        result.Passed.Should().BeFalse();
        result.Message.Should().StartWith("accuracy 0.33 on 150 flowers (min 0.9) (Job fraud-model-accuracy-")
            .And.EndWith(" failed: BackoffLimitExceeded, exit code 2)", "the newest failed pod speaks, on one line");
    }

    [Test]
    public async Task J3_Should_say_why_a_Job_without_a_message_failed()
    {
        var jobs = new FakeCheckJobs { Outcome = _ => ("Failed", "DeadlineExceeded", []) };

        var result = await Runner(jobs).RunAsync(Run(Releasing(), Evaluation()), Evaluation(), CancellationToken.None);

        result.Passed.Should().BeFalse();
        result.Message.Should().MatchRegex("^Job fraud-model-accuracy-[0-9a-f]{10} failed: DeadlineExceeded$");
    }

    [Test]
    public async Task J4_Should_create_a_Job_deleted_by_hand_mid_run_again()
    {
        var jobs = new FakeCheckJobs { ReadsUntilFinished = 2 };
        jobs.BeforeRead = (fake, reads) =>
        {
            if (reads == 2)
                fake.Jobs.Clear();
        };

        var result = await Runner(jobs).RunAsync(Run(Releasing(), Evaluation()), Evaluation(), CancellationToken.None);

        result.Passed.Should().BeTrue();
        jobs.Requests.Count(r => r.StartsWith("create", StringComparison.Ordinal)).Should().Be(2);
    }

    [Test]
    public async Task J4_Should_fail_once_the_Job_was_deleted_more_than_a_bounded_number_of_times()
    {
        var jobs = new FakeCheckJobs { ReadsUntilFinished = 100 };
        jobs.BeforeRead = (fake, _) => fake.Jobs.Clear();

        var result = await Runner(jobs).RunAsync(Run(Releasing(), Evaluation()), Evaluation(), CancellationToken.None);

        result.Passed.Should().BeFalse();
        result.Message.Should().EndWith($"was deleted {JobCheck.MaxRecreations + 1} times while its check ran");
    }

    [Test]
    public async Task J5_Should_replace_a_Job_whose_spec_was_edited_by_hand()
    {
        var jobs = new FakeCheckJobs { ReadsUntilFinished = 2 };
        jobs.BeforeRead = (fake, reads) =>
        {
            if (reads == 2)
                fake.Jobs.Values.Single().Spec.BackoffLimit = 6;
        };

        var result = await Runner(jobs).RunAsync(Run(Releasing(), Evaluation()), Evaluation(), CancellationToken.None);

        result.Passed.Should().BeTrue();
        jobs.Requests.Should().ContainInOrder("create " + jobs.Jobs.Keys.Single(), "delete " + jobs.Jobs.Keys.Single(), "create " + jobs.Jobs.Keys.Single());
        jobs.Jobs.Values.Single().Spec.BackoffLimit.Should().Be(0);
    }

    [Test]
    public async Task J6_Should_fail_without_using_a_Job_of_that_name_the_object_does_not_own()
    {
        var jobs = new FakeCheckJobs();
        var run = Run(Releasing(), Evaluation());
        var theirs = JobCheck.Build(run, run.Owner!, Evaluation(), Now);
        theirs.Metadata.OwnerReferences = null;
        jobs.Add(theirs, finished: "Complete");

        var result = await Runner(jobs).RunAsync(run, Evaluation(), CancellationToken.None);

        result.Passed.Should().BeFalse("a finished Job of someone else says nothing about this release");
        result.Message.Should().EndWith("exists and is not owned by this BlueGreenDeployment; it is left alone");
        jobs.Requests.Should().NotContain(r => r.StartsWith("delete", StringComparison.Ordinal));
    }

    [Test]
    public async Task J7_Should_fail_with_the_API_servers_words_when_the_create_is_refused()
    {
        var jobs = new FakeCheckJobs { RefuseCreate = "could not create the Job: the API server answered 403: exceeded quota: jobs" };

        var result = await Runner(jobs).RunAsync(Run(Releasing(), Evaluation()), Evaluation(), CancellationToken.None);

        result.Passed.Should().BeFalse();
        result.Message.Should().Contain("exceeded quota");
    }

    [Test]
    public async Task J8_Should_delete_the_objects_finished_Jobs_beyond_the_newest_three_and_never_a_running_one()
    {
        var jobs = new FakeCheckJobs();
        var run = Run(Releasing(), Evaluation());
        V1Job Old(string name, string? finished, bool ours = true)
        {
            var job = JobCheck.Build(run, run.Owner!, Evaluation(), Now);
            job.Metadata.Name = name;
            if (!ours)
                job.Metadata.OwnerReferences[0].Uid = "another-object";
            return jobs.Add(job, finished);
        }

        Old("oldest-running", null);
        Old("old-1", "Failed");
        Old("old-2", "Complete");
        Old("old-3", "Complete");
        Old("someone-elses", "Complete", ours: false);

        await Runner(jobs).RunAsync(run, Evaluation(), CancellationToken.None);

        jobs.Jobs.Keys.Should().BeEquivalentTo([jobs.Jobs.Keys.Single(k => k.StartsWith("fraud-model-accuracy-", StringComparison.Ordinal)), "old-3", "old-2", "oldest-running", "someone-elses"]);
    }

    [Test]
    public void J9_Should_abort_the_release_on_a_failed_Job_with_its_message_in_status_and_keep_v1_serving()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2");
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3).WithPreview(Color.Green);
        var passed = world.Passed(Color.Green, Revision(v2));
        world.Smoke = passed with { Results = [.. passed.Results, new PodCheckResult("accuracy", null, false, 8123, "accuracy 0.33 on 150 flowers (min 0.9) (Job x failed: BackoffLimitExceeded, exit code 1)")] };

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(v2));
        plan.Status.ActiveColor.Should().Be("blue");
        plan.Status.SmokeTests.Should().ContainSingle(r => r.Name == "accuracy")
            .Which.Should().Match<CheckResult>(r => !r.Passed && r.Pods == 0 && r.Message!.StartsWith("accuracy 0.33 on 150 flowers (min 0.9)", StringComparison.Ordinal));
    }

    [Test]
    public void J10_Should_refuse_a_job_template_the_object_would_refuse_and_repeat_latency_or_an_always_restarting_pod()
    {
        var resource = Resource("v2", s => s.SmokeTests =
        [
            Evaluation(j => j.Template.Spec.Containers[0].Image = ""),
            new CheckSpec { Name = "forever", Repeat = 2, MaxLatencyMs = 10, Job = Evaluation(j => j.Template.Spec.RestartPolicy = "Always").Job! },
            new CheckSpec { Name = "empty", Job = new JobCheckSpec { BackoffLimit = 9 } },
        ]);

        var errors = SpecValidator.Validate(resource);

        errors.Should().Contain("spec.smokeTests[0].job.template.spec.containers[0] needs a name and an image")
            .And.Contain("spec.smokeTests[1].repeat must be 1 for a job check (it runs once per check run)")
            .And.Contain("spec.smokeTests[1].maxLatencyMs does not apply to a job check; use job.activeDeadlineSeconds")
            .And.Contain("spec.smokeTests[1].job.template.spec.restartPolicy must be Never or OnFailure, got 'Always'")
            .And.Contain("spec.smokeTests[2].job.template.spec.containers must hold at least one container")
            .And.Contain("spec.smokeTests[2].job.backoffLimit must be between 0 and 6, got 9");
    }

    [Test]
    public void J10_Should_accept_a_job_check_in_smoke_tests_and_in_analysis()
    {
        var resource = Resource("v2", s =>
        {
            s.SmokeTests = [Evaluation()];
            s.Analysis = new AnalysisSpec { Checks = [Evaluation()] };
        });

        SpecValidator.Validate(resource).Should().BeEmpty();
    }

    [Test]
    public async Task J1_Should_run_a_job_check_once_per_run_after_the_per_pod_checks_passed_on_every_pod()
    {
        await using var model = await ModelServer.StartAsync();
        var jobs = new FakeCheckJobs();
        var runner = new SmokeTestRunner(Probing.Client, new PrometheusClient(null), new CapturingLogger<SmokeTestRunner>(), jobs: jobs);
        var resource = Releasing();
        var run = Run(resource, Evaluation()) with { Pods = Probing.Pods(3), Checks = [Probing.Golden(model.Port), Evaluation()] };

        var report = await runner.RunAsync(run, CancellationToken.None);

        report.Passed.Should().BeTrue();
        report.Results.Should().HaveCount(4);
        report.Results.Single(r => r.Name == "accuracy").Pod.Should().BeNull();
        jobs.Jobs.Should().HaveCount(1);
    }

    [Test]
    public async Task J1_Should_not_start_a_Job_when_a_per_pod_check_failed_already()
    {
        var jobs = new FakeCheckJobs();
        var runner = new SmokeTestRunner(Probing.Client, new PrometheusClient(null), new CapturingLogger<SmokeTestRunner>(), jobs: jobs);
        var run = Run(Releasing(), Evaluation()) with { Pods = Probing.Pods(1), Checks = [Probing.Golden(LocalHttpServer.UnusedPort()), Evaluation()] };

        var report = await runner.RunAsync(run, CancellationToken.None);

        report.Passed.Should().BeFalse();
        report.Results.Single(r => r.Name == "accuracy").Message.Should().Be("not run: an earlier check failed");
        jobs.Requests.Should().BeEmpty();
    }

    sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
