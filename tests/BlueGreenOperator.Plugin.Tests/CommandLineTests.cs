namespace BlueGreenOperator.Plugin.Tests;

public sealed class CommandLineTests
{
    private static ParsedCommandLine Parse(params string[] args) => CommandLine.Parse(args);

    private static Invocation Run(params string[] args)
    {
        var parsed = Parse(args);
        parsed.Should().BeOfType<RunCommand>($"\"{string.Join(' ', args)}\" is a valid command line");
        return ((RunCommand)parsed).Invocation;
    }

    private static UsageError Error(params string[] args)
    {
        var parsed = Parse(args);
        parsed.Should().BeOfType<UsageError>($"\"{string.Join(' ', args)}\" is not a valid command line");
        return (UsageError)parsed;
    }

    [Test]
    public void Should_read_a_status_with_namespace_and_watch_in_any_order()
    {
        Run("status", "-n", "ml", "fraud-model", "--watch").Should().Be(new Invocation(Verb.Status, "fraud-model", "ml", Watch: true));
        Run("status", "fraud-model", "-w", "--namespace=ml").Should().Be(new Invocation(Verb.Status, "fraud-model", "ml", Watch: true));
        Run("status", "-nml", "fraud-model").Namespace.Should().Be("ml");
        Run("status", "-n=ml", "fraud-model").Namespace.Should().Be("ml");
    }

    [Test]
    public void Should_read_list_in_one_namespace_or_all()
    {
        Run("list").Should().Be(new Invocation(Verb.List));
        Run("list", "-A").Should().Be(new Invocation(Verb.List, AllNamespaces: true));
        Run("list", "--all-namespaces").AllNamespaces.Should().BeTrue();
        Run("list", "-n", "ml").Namespace.Should().Be("ml");
    }

    [Test]
    public void Should_read_a_dashboard_with_port_address_and_namespace_scope()
    {
        Run("dashboard").Should().Be(new Invocation(Verb.Dashboard));
        Run("dashboard", "-A", "--port", "0").Should().Be(new Invocation(Verb.Dashboard, AllNamespaces: true, Port: 0));
        Run("dashboard", "--port=8080", "--address", "0.0.0.0", "-n", "ml").Should().Be(
            new Invocation(Verb.Dashboard, Namespace: "ml", Port: 8080, Address: "0.0.0.0"));
    }

    [Test]
    public void Should_refuse_a_dashboard_port_or_address_that_cannot_be_listened_on()
    {
        Error("dashboard", "--port", "http").Message.Should().StartWith("invalid --port \"http\"");
        Error("dashboard", "--port", "70000").Message.Should().StartWith("invalid --port \"70000\"");
        Error("dashboard", "--port", "-1").Message.Should().StartWith("invalid --port \"-1\"");
        Error("dashboard", "--address", "localhost").Message.Should().StartWith("invalid --address \"localhost\"");
        Error("dashboard", "fraud-model").Message.Should().Be("\"dashboard\" takes no arguments, got \"fraud-model\"");
        Error("list", "--port", "3100").Message.Should().Be("unknown flag \"--port\" for \"list\"");
        Error("dashboard", "-A", "-n", "ml").Message.Should().Be("use either -n or -A, not both");
    }

    [Test]
    public void Should_read_kubeconfig_and_context_in_both_spellings()
    {
        Run("list", "--kubeconfig", "kc.yaml", "--context=dev").Should().Be(new Invocation(Verb.List, Kubeconfig: "kc.yaml", Context: "dev"));
        Run("list", "--kubeconfig=kc.yaml", "--context", "dev").Should().Be(new Invocation(Verb.List, Kubeconfig: "kc.yaml", Context: "dev"));
    }

    [TestCase("promote")]
    [TestCase("abort")]
    [TestCase("rollback")]
    [TestCase("retry")]
    public void Should_read_every_action_with_force(string verb)
    {
        Run(verb, "fraud-model").Should().Be(new Invocation(verb, "fraud-model"));
        Run(verb, "--force", "fraud-model", "-n", "ml").Should().Be(new Invocation(verb, "fraud-model", "ml", Force: true));
    }

    [Test]
    public void Should_show_the_overview_for_help_or_no_verb_help()
    {
        Parse("--help").Should().Be(new ShowHelp(null));
        Parse("-h").Should().Be(new ShowHelp(null));
        Parse("help").Should().Be(new ShowHelp(null));
        Parse("help", "promote").Should().Be(new ShowHelp("promote"));
    }

    [TestCase("list")]
    [TestCase("status")]
    [TestCase("promote")]
    [TestCase("abort")]
    [TestCase("rollback")]
    [TestCase("retry")]
    public void Should_show_the_help_of_each_verb_even_without_a_name(string verb)
    {
        Parse(verb, "--help").Should().Be(new ShowHelp(verb));
        Parse(verb, "fraud-model", "-h").Should().Be(new ShowHelp(verb));
    }

    [Test]
    public void Should_refuse_an_empty_command_line_and_an_unknown_verb()
    {
        Error().Verb.Should().BeNull();
        Error("describe", "fraud-model").Message.Should().Be("unknown command \"describe\"");
        Error("-n", "ml", "list").Message.Should().Contain("a command must come first");
    }

    [Test]
    public void Should_refuse_unknown_flags_and_flags_of_other_verbs()
    {
        Error("status", "x", "--output=json").Message.Should().Be("unknown flag \"--output\" for \"status\"");
        Error("list", "--watch").Message.Should().Be("unknown flag \"--watch\" for \"list\"");
        Error("status", "x", "-A").Message.Should().Be("unknown flag \"-A\" for \"status\"");
        Error("list", "--force").Message.Should().Be("unknown flag \"--force\" for \"list\"");
        Error("promote", "x", "--watch").Verb.Should().Be("promote");
    }

    [Test]
    public void Should_refuse_missing_or_extra_names_and_missing_values()
    {
        Error("status").Message.Should().Be("\"status\" needs the name of a BlueGreenDeployment");
        Error("promote", "a", "b").Message.Should().Contain("takes one name, got 2");
        Error("list", "fraud-model").Message.Should().Contain("takes no arguments");
        Error("status", "x", "-n").Message.Should().Be("flag \"-n\" needs a value");
        Error("status", "x", "--kubeconfig=").Message.Should().Be("flag \"--kubeconfig\" needs a value");
        Error("status", "x", "--watch=yes").Message.Should().Be("flag \"--watch\" takes no value");
        Error("list", "-A", "-n", "ml").Message.Should().Be("use either -n or -A, not both");
    }

    [Test]
    public void Should_take_a_name_that_looks_like_a_flag_after_double_dash()
    {
        Run("status", "-n", "ml", "--", "-odd-name").Name.Should().Be("-odd-name");
    }

    [TestCase("500ms", 500)]
    [TestCase("10s", 10_000)]
    [TestCase("2m", 120_000)]
    [TestCase("1h", 3_600_000)]
    [TestCase("7", 7_000)]
    [TestCase("1.5s", 1_500)]
    [TestCase("0", 0)]
    public void Should_read_request_timeouts_like_kubectl(string text, int milliseconds)
    {
        Run("list", "--request-timeout", text).RequestTimeout.Should().Be(TimeSpan.FromMilliseconds(milliseconds));
        Run("status", "x", $"--request-timeout={text}").RequestTimeout.Should().Be(TimeSpan.FromMilliseconds(milliseconds));
    }

    [TestCase("soon")]
    [TestCase("10d")]
    [TestCase("-5s")]
    [TestCase("s")]
    public void Should_refuse_a_request_timeout_without_a_known_unit(string text)
    {
        Error("list", "--request-timeout", text).Message.Should().StartWith($"invalid --request-timeout \"{text}\"");
    }
}
