using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NUnit.Framework;

namespace BlueGreenOperator.Plugin.Tests.EndToEnd;

/// <summary>
/// <c>kubectl bluegreen dashboard</c> as a real process, and the system's chromium (driven by Playwright, nothing
/// downloaded) with its page open. Screenshots land under the test's work directory and are attached to the test.
/// </summary>
internal sealed partial class DashboardSession : IAsyncDisposable
{
    /// <summary>Debian's chromium, which hack/prereqs.sh installs.</summary>
    public const string Chromium = "/usr/bin/chromium";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource<Uri> served = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IPlaywright? playwright;
    private IBrowser? browser;
    private int screenshots;

    private DashboardSession(Process process) => this.process = process;

    public Uri Url { get; private set; } = null!;

    public IPage Page { get; private set; } = null!;

    /// <summary>Everything the dashboard printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts the dashboard (its arguments should ask for <c>--port 0</c>), waits for its URL, and opens it in chromium.</summary>
    public static async Task<DashboardSession> StartAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        if (!File.Exists(Chromium))
        {
            Assert.Fail($"the dashboard's browser tests drive {Chromium} (bash hack/prereqs.sh installs Debian's chromium)");
        }

        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var session = new DashboardSession(new Process { StartInfo = start });
        await session.OpenAsync();
        return session;
    }

    /// <summary>The table row of one object.</summary>
    public ILocator Row(string ns, string name) => Page.Locator($"#objects tbody tr[data-key=\"{ns}/{name}\"]");

    /// <summary>Selects an object and waits for its detail.</summary>
    public async Task SelectAsync(string ns, string name)
    {
        await Row(ns, name).Locator("td.name").ClickAsync();
        await Assertions.Expect(Page.Locator("#detail-title")).ToHaveTextAsync($"{ns}/{name}");
    }

    /// <summary>Clicks an action of the selected object and confirms it in the page's dialog.</summary>
    public async Task RequestActionAsync(string verb)
    {
        await Page.Locator($"#detail-actions button[data-verb=\"{verb}\"]").ClickAsync();
        var dialog = Page.Locator("dialog#confirm");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await ScreenshotAsync($"confirm-{verb}");
        await dialog.Locator("#confirm-ok").ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();
    }

    /// <summary>A full-page screenshot, kept under the test's work directory and attached to the test's result.</summary>
    public async Task ScreenshotAsync(string moment)
    {
        var test = TestContext.CurrentContext.Test;
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "dashboard-screenshots", test.ClassName ?? "", test.MethodName ?? test.Name);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{Interlocked.Increment(ref screenshots):00}-{moment}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, moment);
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private async Task OpenAsync()
    {
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.Exited += (_, _) => served.TrySetException(new AssertionException($"the dashboard exited with {process.ExitCode}:\n{Output}"));
        process.EnableRaisingEvents = true;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Url = await served.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new AssertionException($"the dashboard printed no URL in {StartTimeout.TotalSeconds} s:\n{Output}");
        }

        Assertions.SetDefaultExpectTimeout(60_000);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        Page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1500, Height = 1000 } });
        Page.SetDefaultTimeout(60_000);
        await Page.GotoAsync(Url.ToString());
        await Assertions.Expect(Page.Locator("#connection")).ToHaveTextAsync("live");
    }

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(line).Append('\n');
        }

        if (ServedAt().Match(line) is { Success: true } match)
        {
            served.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    [GeneratedRegex(@" at (http://\S+/) ")]
    private static partial Regex ServedAt();
}
