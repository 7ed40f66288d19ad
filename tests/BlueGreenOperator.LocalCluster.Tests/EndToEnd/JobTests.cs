using BlueGreenOperator.LocalCluster.Kubelet;
using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>
/// Pods that run to completion, as Jobs make them: restart policies Never and OnFailure, exit codes, the phases
/// Succeeded and Failed, termination messages; and the controller-manager's Job controller driving them.
/// </summary>
public sealed class JobTests : ClusterTest
{
    [Test]
    public async Task Should_report_the_file_a_container_wrote_as_its_termination_message_and_the_pod_as_succeeded()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(Once("evaluate", $"echo 'accuracy 0.96 on 150 flowers' > \"${ContainerSupervisor.TerminationMessageVariable}\""), Space.Name);

        var done = await Client.WaitForPodAsync(Space.Name, "evaluate", pod => pod.Status?.Phase is "Succeeded" or "Failed", "to finish");

        done.Status.Phase.Should().Be("Succeeded");
        var terminated = done.Status.ContainerStatuses.Single().State.Terminated;
        terminated.ExitCode.Should().Be(0);
        terminated.Reason.Should().Be("Completed");
        terminated.Message.Should().Be("accuracy 0.96 on 150 flowers\n");
    }

    [Test]
    public async Task Should_fail_a_pod_whose_container_exits_non_zero_under_never_with_the_tail_of_its_log_when_asked_to_fall_back()
    {
        var pod = Once("broken", "echo loading; echo 'accuracy 0.33 below 0.9' >&2; exit 3");
        pod.Spec.Containers[0].TerminationMessagePolicy = "FallbackToLogsOnError";
        await Client.CoreV1.CreateNamespacedPodAsync(pod, Space.Name);

        var done = await Client.WaitForPodAsync(Space.Name, "broken", candidate => candidate.Status?.Phase is "Succeeded" or "Failed", "to finish");

        done.Status.Phase.Should().Be("Failed");
        var status = done.Status.ContainerStatuses.Single();
        status.RestartCount.Should().Be(0, "the restart policy is Never");
        status.State.Terminated.ExitCode.Should().Be(3);
        status.State.Terminated.Reason.Should().Be("Error");
        status.State.Terminated.Message.Should().Be("loading\naccuracy 0.33 below 0.9\n");
    }

    [Test]
    public async Task Should_leave_the_message_empty_without_a_file_unless_the_policy_falls_back_to_logs()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(Once("quiet", "echo only in the log; exit 2"), Space.Name);

        var done = await Client.WaitForPodAsync(Space.Name, "quiet", candidate => candidate.Status?.Phase is "Succeeded" or "Failed", "to finish");

        done.Status.Phase.Should().Be("Failed");
        done.Status.ContainerStatuses.Single().State.Terminated.Message.Should().BeNull();
    }

    [Test]
    public async Task Should_restart_a_failed_container_under_on_failure_until_it_succeeds_and_keep_the_failure_as_its_last_state()
    {
        var directory = CreateWorkingDirectory();
        var pod = Once(
            "flaky",
            $"if [ -e tried ]; then echo second > \"${ContainerSupervisor.TerminationMessageVariable}\"; exit 0; fi; touch tried; echo first > \"${ContainerSupervisor.TerminationMessageVariable}\"; exit 1");
        pod.Spec.RestartPolicy = "OnFailure";
        pod.Spec.Containers[0].WorkingDir = directory;
        await Client.CoreV1.CreateNamespacedPodAsync(pod, Space.Name);

        var done = await Client.WaitForPodAsync(Space.Name, "flaky", candidate => candidate.Status?.Phase is "Succeeded" or "Failed", "to finish");

        done.Status.Phase.Should().Be("Succeeded");
        var status = done.Status.ContainerStatuses.Single();
        status.RestartCount.Should().Be(1);
        status.LastState.Terminated.ExitCode.Should().Be(1);
        status.LastState.Terminated.Message.Should().Be("first\n");
        status.State.Terminated.ExitCode.Should().Be(0);
        status.State.Terminated.Message.Should().Be("second\n", "each run starts without the file of the run before");
    }

    [Test]
    public async Task Should_run_jobs_with_the_controller_managers_job_controller_to_complete_or_to_fail()
    {
        await Client.BatchV1.CreateNamespacedJobAsync(Job("passes", "echo passed > \"$BLUEGREEN_TERMINATION_MESSAGE_PATH\""), Space.Name);
        await Client.BatchV1.CreateNamespacedJobAsync(Job("fails", "exit 5"), Space.Name);

        var passed = await FinishedAsync("passes");
        var failed = await FinishedAsync("fails");

        passed.Status.Conditions.Should().Contain(c => c.Type == "Complete" && c.Status == "True");
        passed.Status.Succeeded.Should().Be(1);
        failed.Status.Conditions.Should().Contain(c => c.Type == "Failed" && c.Status == "True" && c.Reason == "BackoffLimitExceeded");
        var pods = await Client.CoreV1.ListNamespacedPodAsync(Space.Name, labelSelector: $"controller-uid={failed.Metadata.Uid}");
        pods.Items.Should().ContainSingle("backoffLimit 0 allows no second pod")
            .Which.Status.ContainerStatuses.Single().State.Terminated.ExitCode.Should().Be(5);
        var succeeded = await Client.CoreV1.ListNamespacedPodAsync(Space.Name, labelSelector: $"controller-uid={passed.Metadata.Uid}");
        succeeded.Items.Single().Status.ContainerStatuses.Single().State.Terminated.Message.Should().Be("passed\n");
    }

    private async Task<V1Job> FinishedAsync(string name) =>
        await Eventually.WaitForAsync(
            async token =>
            {
                var job = await Client.BatchV1.ReadNamespacedJobAsync(name, Space.Name, cancellationToken: token);
                return job.Status?.Conditions?.Any(c => c.Status == "True" && c.Type is "Complete" or "Failed") == true ? job : null;
            },
            TimeSpan.FromSeconds(90),
            $"Job {name} to finish");

    private static V1Pod Once(string name, string script) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { RestartPolicy = "Never", TerminationGracePeriodSeconds = 1, Containers = [Script(script)] },
    };

    private static V1Job Job(string name, string script) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1JobSpec
        {
            BackoffLimit = 0,
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec { RestartPolicy = "Never", TerminationGracePeriodSeconds = 1, Containers = [Script(script)] },
            },
        },
    };

    private static V1Container Script(string script) => new()
    {
        Name = "run",
        Image = ImageCatalog.TinyHttpImage,
        Command = ["sh", "-c", script],
    };
}
