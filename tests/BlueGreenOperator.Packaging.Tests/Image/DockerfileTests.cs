using System.Text.RegularExpressions;

namespace BlueGreenOperator.Packaging.Tests.Image;

[TestFixture]
internal sealed partial class DockerfileTests
{
    private static IReadOnlyList<Stage> Stages => Stage.Parse(SourceTree.ReadText("Dockerfile"));

    private static Stage Final => Stages[^1];

    [Test]
    public void Should_build_in_the_sdk_and_run_natively_without_a_dotnet_runtime()
    {
        Stages.Should().HaveCount(2);
        Stages[0].BaseImage.Should().Be("mcr.microsoft.com/dotnet/sdk:10.0");
        Final.BaseImage.Should().Be("mcr.microsoft.com/dotnet/runtime-deps:10.0", "the operator is compiled ahead of time to one native program");
        Stages[0].Instructions.Single(i => i.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal)).Arguments
            .Should().Contain("-p:Native=true").And.Contain("-r linux-x64");
        Stages[0].Instructions.Should().Contain(i => i.Keyword == "RUN" && i.Arguments.Contains("apt-get install", StringComparison.Ordinal)
            && i.Arguments.Contains(" clang ", StringComparison.Ordinal) && i.Arguments.Contains(" zlib1g-dev ", StringComparison.Ordinal),
            "the native compiler links with clang and zlib");
    }

    [Test]
    public void Should_ship_no_build_tools_in_the_final_image()
    {
        Final.BaseImage.Should().NotContain("sdk");
        Final.Instructions.Should().NotContain(i => i.Keyword == "RUN", "nothing is installed or built in the final stage");
        Final.Instructions.Where(i => i.Keyword == "COPY").Should().OnlyContain(i => i.Arguments.StartsWith("--from=build", StringComparison.Ordinal));
    }

    [Test]
    public void Should_run_as_the_non_root_user_the_chart_expects()
    {
        var user = Final.Instructions.Last(i => i.Keyword == "USER").Arguments;

        user.Should().Be("65532:65532");
        SourceTree.ReadText("charts/bluegreen-operator/values.yaml").Should().Contain("runAsUser: 65532");
    }

    [Test]
    public void Should_start_the_published_operator_and_expose_its_port()
    {
        Final.Instructions.Single(i => i.Keyword == "ENTRYPOINT").Arguments.Should().Be("""["/app/bluegreen-operator"]""");
        Final.Instructions.Single(i => i.Keyword == "EXPOSE").Arguments.Should().Be("8080");
        Final.Instructions.Single(i => i.Keyword == "ENV").Arguments.Should().Contain("Operator__Listen=http://0.0.0.0:8080").And.Contain("DOTNET_gcServer=0");
    }

    [TestCase("dotnet restore")]
    [TestCase("dotnet publish")]
    public void Should_run_the_same_command_as_hack_publish_sh(string command)
    {
        var inImage = Stages[0].Instructions.Where(i => i.Keyword == "RUN" && i.Arguments.StartsWith(command, StringComparison.Ordinal))
            .Should().ContainSingle().Subject.Arguments;
        var inScript = SourceTree.ReadText("hack/publish.sh").Split('\n').Select(line => line.Trim())
            .Where(line => line.StartsWith(command, StringComparison.Ordinal))
            .Should().ContainSingle().Subject;

        inScript.Should().Be(inImage, "CI proves the image build by running hack/publish.sh");
        inImage.Should().Contain("src/BlueGreenOperator/BlueGreenOperator.csproj");
    }

    [Test]
    public void Should_copy_exactly_what_the_build_stage_published()
    {
        var output = WhitespaceRun().Split(Stages[0].Instructions.Single(i => i.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal)).Arguments)
            .SkipWhile(word => word != "-o").Skip(1).First();
        var workDirectory = Stages[0].Instructions.Single(i => i.Keyword == "WORKDIR").Arguments;

        Final.Instructions.Single(i => i.Keyword == "COPY").Arguments.Should().Contain($" {workDirectory}/{output}/ /app/");
    }

    [Test]
    public void Should_restore_before_copying_the_sources_for_layer_caching()
    {
        var build = Stages[0].Instructions.ToList();
        var restore = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal));
        var sources = build.FindIndex(i => i.Keyword == "COPY" && i.Arguments == "src/BlueGreenOperator/ src/BlueGreenOperator/");

        restore.Should().BePositive();
        sources.Should().BeGreaterThan(restore);
        build.Take(restore).Where(i => i.Keyword == "COPY").Should().OnlyContain(i => !i.Arguments.Contains("/ ", StringComparison.Ordinal),
            "only project and build files are copied before restore");
    }

    [Test]
    public void Should_keep_local_build_output_out_of_the_build_context()
    {
        SourceTree.ReadText(".dockerignore").Split('\n').Should().Contain(["**/bin/", "**/obj/", "artifacts/"]);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();

    private sealed record Instruction(string Keyword, string Arguments);

    private sealed record Stage(string BaseImage, IReadOnlyList<Instruction> Instructions)
    {
        public static IReadOnlyList<Stage> Parse(string dockerfile)
        {
            var joined = dockerfile.Replace("\\\n", " ", StringComparison.Ordinal);
            var instructions = joined.Split('\n')
                .Select(line => line.Trim())
                .Where(line => line.Length > 0 && !line.StartsWith('#'))
                .Select(line => line.Split(' ', 2))
                .Select(parts => new Instruction(parts[0].ToUpperInvariant(), parts.Length > 1 ? WhitespaceRun().Replace(parts[1].Trim(), " ") : string.Empty));

            var stages = new List<Stage>();
            foreach (var instruction in instructions)
            {
                if (instruction.Keyword == "FROM")
                {
                    stages.Add(new Stage(instruction.Arguments.Split(' ')[0], []));
                }
                else if (stages.Count > 0)
                {
                    stages[^1] = stages[^1] with { Instructions = [.. stages[^1].Instructions, instruction] };
                }
            }

            return stages;
        }
    }
}
