using BlueGreenOperator.Plugin.Dashboard;

namespace BlueGreenOperator.Plugin.Cli;

/// <summary>The help texts, one per verb, plus the overview.</summary>
internal static class Usage
{
    private const string CommonFlags = """
          -n, --namespace NS       namespace of the object (default: the kubeconfig context's, else "default")
              --kubeconfig PATH    kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
              --context NAME       kubeconfig context to use (default: the current context)
              --request-timeout D  give up on an unanswered request after D, e.g. 10s or 2m (default 30s; 0: no limit)
          -h, --help               show this help
        """;

    private const string ExitCodes = """
        Exit codes:
          0 ok, 1 usage error, 2 object not found, 3 action does not apply to the current status, 4 cluster or API error
        """;

    public static string Overview => $"""
        kubectl bluegreen: inspect and steer BlueGreenDeployments (bluegreen.dev/v1alpha1).

        Usage:
          kubectl bluegreen list [-n NS | -A]
          kubectl bluegreen status NAME [-n NS] [--watch]
          kubectl bluegreen promote NAME [-n NS] [--force]
          kubectl bluegreen abort NAME [-n NS] [--force]
          kubectl bluegreen rollback NAME [-n NS] [--force]
          kubectl bluegreen retry NAME [-n NS] [--force]
          kubectl bluegreen dashboard [-n NS | -A] [--port N] [--address A]

        Commands:
          list       the BlueGreenDeployments of a namespace (or all) with phase and versions
          status     one BlueGreenDeployment at a glance: phase, colours, smoke tests, analysis, conditions, events
          promote    switch traffic to the tested colour of a Paused release
          abort      stop the release that has not switched yet; the active colour keeps serving
          rollback   send traffic back to the warm standby colour after a switch
          retry      release the aborted or rolled-back revision the spec still asks for once more
          dashboard  a local web page that follows every BlueGreenDeployment live and requests actions with confirmation

        Run "kubectl bluegreen COMMAND --help" for the flags of a command.

        {ExitCodes}
        """;

    public static string For(string? verb) => Text(verb) + "\n";

    private static string Text(string? verb) => verb switch
    {
        Verb.List => $"""
            List BlueGreenDeployments with their phase, active colour and model versions.

            Usage:
              kubectl bluegreen list [-n NS | -A]

            Flags:
              -A, --all-namespaces     list across all namespaces
            {CommonFlags}

            {ExitCodes}
            """,
        Verb.Status => $"""
            Show one BlueGreenDeployment at a glance: phase and what it means, the colours with their revisions and
            model versions, the last switch, smoke-test and analysis results per check, conditions (a Degraded reason
            with what it means and what to do) and recent events.

            Usage:
              kubectl bluegreen status NAME [-n NS] [--watch]

            Flags:
              -w, --watch              redraw on every change of the object until Ctrl-C
            {CommonFlags}

            {ExitCodes}
            """,
        Verb.Dashboard => $"""
            Serve a local web page that follows the BlueGreenDeployments of a namespace (or all) live: phase, the
            serving and standby colours with their model versions, the release under test; for one object a timeline of
            its phases, its Events, the check results per check and pod (smoke tests, warm-up, analysis, parity), switch
            and rollback times, and the actions that apply now, each requested after a confirmation in the page.

            Every request is made with your kubeconfig's credentials: the page shows what you may read, and an action
            your RBAC forbids is refused with the API server's message. The page is served on loopback unless --address
            says otherwise; it answers only requests addressed to the served host, and takes actions only from its own
            origin. Ctrl-C stops it.

            Usage:
              kubectl bluegreen dashboard [-n NS | -A] [--port N] [--address A]

            Flags:
              -A, --all-namespaces     follow all namespaces
                  --port N             port to listen on (default {DashboardDefaults.Port}; 0: any free port)
                  --address A          IP address to listen on (default {DashboardDefaults.Address}: this machine only)
            {CommonFlags}

            {ExitCodes}
            """,
        RolloutAction.Promote => ActionHelp(verb, "Switch traffic to the colour under test of a release waiting in Paused (strategy.autoPromote: false)."),
        RolloutAction.Abort => ActionHelp(verb, "Stop the release under test before the switch; the active colour keeps serving and the revision is marked aborted."),
        RolloutAction.Rollback => ActionHelp(verb, "Send traffic back to the warm standby colour of the last switch; the revision that served is marked aborted."),
        RolloutAction.Retry => ActionHelp(verb, "Release the aborted or rolled-back revision (status.abortedRevision) once more, while the spec still asks for it."),
        _ => Overview,
    };

    private static string ActionHelp(string verb, string summary) => $"""
        {summary}
        The request is the annotation bluegreen.dev/action: {verb}; the operator performs it once and removes it.

        Usage:
          kubectl bluegreen {verb} NAME [-n NS] [--force]

        {verb} applies {ActionTable.For(verb).When}.
        This is the operator's own rule: it ignores an action that does not apply (Warning Event ActionIgnored).

        Flags:
              --force              request it even if the current status says it does not apply
        {CommonFlags}

        {ExitCodes}
        """;
}
