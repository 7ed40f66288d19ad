using BlueGreenOperator.Runtime;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Patience;

namespace BlueGreenOperator.Tests.Runtime;

[TestFixture]
public sealed class WorkQueueTests
{

    private ManualTimeProvider time = null!;
    private WorkQueue<string> queue = null!;

    [SetUp]
    public void SetUp()
    {
        time = new ManualTimeProvider();
        queue = new WorkQueue<string>(time);
    }

    [TearDown]
    public void TearDown() => queue.Dispose();

    [Test]
    public async Task Should_hand_out_a_key_added_several_times_while_waiting_only_once()
    {
        queue.Add("ml/a");
        queue.Add("ml/b");
        queue.Add("ml/a");

        queue.Length.Should().Be(2);
        (await Take()).Should().Be("ml/a");
        (await Take()).Should().Be("ml/b");
        var third = queue.GetAsync();
        await Task.Delay(50);
        third.IsCompleted.Should().BeFalse("no key is left");
    }

    [Test]
    public async Task Should_not_hand_out_a_key_in_progress_but_hand_it_out_once_more_after_done()
    {
        queue.Add("ml/a");
        var first = await Take();

        queue.Add("ml/a");
        queue.Add("ml/a");
        queue.Length.Should().Be(0, "the key is in progress, so it is only marked dirty");
        var second = queue.GetAsync();
        await Task.Delay(50);
        second.IsCompleted.Should().BeFalse("a second worker must not get a key in progress");

        queue.Done(first);
        (await second.WaitAsync(Wait)).Key.Should().Be("ml/a");

        queue.Done("ml/a");
        var third = queue.GetAsync();
        await Task.Delay(50);
        third.IsCompleted.Should().BeFalse("the dirty key runs exactly once more");
    }

    [Test]
    public async Task Should_never_process_one_key_in_two_workers_at_once()
    {
        using var real = new WorkQueue<string>();
        var keys = new[] { "ml/a", "ml/b", "ml/c" };
        var running = keys.ToDictionary(k => k, _ => new StrongBox());
        var overlaps = 0;
        var processed = 0;

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var item = await real.GetAsync();
                if (item.ShuttingDown)
                {
                    return;
                }

                if (Interlocked.Increment(ref running[item.Key].Value) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                await Task.Yield();
                Interlocked.Decrement(ref running[item.Key].Value);
                Interlocked.Increment(ref processed);
                real.Done(item.Key);
            }
        })).ToArray();

        // Producers keep adding until the keys went round many times, so adds land while keys are in progress.
        var producers = Enumerable.Range(0, 2).Select(p => Task.Run(async () =>
        {
            for (var i = 0; Volatile.Read(ref processed) < 300; i++)
            {
                real.Add(keys[(i + p) % keys.Length]);
                if (i % 20 == 0)
                {
                    await Task.Yield();
                }
            }
        })).ToArray();

        await Task.WhenAll(producers).WaitAsync(Wait);
        // The dirty keys left after the producers stopped are handed out and finished before the drain completes.
        while (real.Length > 0)
        {
            await Task.Delay(10);
        }

        await real.ShutDownWithDrainAsync().WaitAsync(Wait);
        await Task.WhenAll(workers).WaitAsync(Wait);

        overlaps.Should().Be(0);
        processed.Should().BeGreaterThanOrEqualTo(300);
    }

    [Test]
    public async Task Should_make_delayed_keys_ready_in_deadline_order()
    {
        queue.AddAfter("ml/late", TimeSpan.FromSeconds(10));
        queue.AddAfter("ml/early", TimeSpan.FromSeconds(5));
        queue.Length.Should().Be(0);

        time.Advance(TimeSpan.FromSeconds(4));
        queue.Length.Should().Be(0);
        time.Advance(TimeSpan.FromSeconds(1));
        queue.Length.Should().Be(1);
        (await Take()).Should().Be("ml/early");

        time.Advance(TimeSpan.FromSeconds(5));
        (await Take()).Should().Be("ml/late");
    }

    [Test]
    public async Task Should_keep_the_earlier_deadline_when_a_key_is_delayed_twice()
    {
        queue.AddAfter("ml/a", TimeSpan.FromSeconds(2));
        queue.AddAfter("ml/a", TimeSpan.FromSeconds(10));
        queue.AddAfter("ml/b", TimeSpan.FromSeconds(10));
        queue.AddAfter("ml/b", TimeSpan.FromSeconds(3));

        time.Advance(TimeSpan.FromSeconds(3));
        queue.Length.Should().Be(2);
        queue.Done(await Take());
        queue.Done(await Take());

        time.Advance(TimeSpan.FromSeconds(10));
        queue.Length.Should().Be(0, "the later deadlines were dropped, not kept as second entries");
    }

    [Test]
    public void Should_add_at_once_when_the_delay_is_not_positive()
    {
        queue.AddAfter("ml/a", TimeSpan.Zero);
        queue.Length.Should().Be(1);
    }

    [Test]
    public void Should_double_the_retry_delay_of_a_failing_key_from_5ms_up_to_1000s()
    {
        var delays = Enumerable.Range(0, 25).Select(_ => queue.AddRateLimited("ml/a")).ToList();

        delays.Take(5).Should().Equal(
            TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20),
            TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(80));
        // 5 ms * 2^17 = 655 s is the last step below the cap.
        delays[17].Should().Be(TimeSpan.FromMilliseconds(5 * 131072));
        delays.Skip(18).Should().AllBeEquivalentTo(TimeSpan.FromSeconds(1000));
        queue.NumRequeues("ml/a").Should().Be(25);
    }

    [Test]
    public void Should_start_again_from_the_base_delay_after_forget()
    {
        queue.AddRateLimited("ml/a");
        queue.AddRateLimited("ml/a");
        queue.AddRateLimited("ml/a").Should().Be(TimeSpan.FromMilliseconds(20));

        queue.Forget("ml/a");

        queue.NumRequeues("ml/a").Should().Be(0);
        queue.AddRateLimited("ml/a").Should().Be(TimeSpan.FromMilliseconds(5));
    }

    [Test]
    public void Should_back_off_each_key_on_its_own()
    {
        queue.AddRateLimited("ml/a");
        queue.AddRateLimited("ml/a");

        queue.AddRateLimited("ml/b").Should().Be(TimeSpan.FromMilliseconds(5));
    }

    [Test]
    public void Should_hold_retries_of_many_keys_to_the_global_rate_after_the_burst()
    {
        var burst = Enumerable.Range(0, 100).Select(i => queue.AddRateLimited($"ml/k{i}")).ToList();
        burst.Should().AllBeEquivalentTo(TimeSpan.FromMilliseconds(5), "the bucket starts with 100 tokens");

        queue.AddRateLimited("ml/k100").Should().Be(TimeSpan.FromMilliseconds(100), "10 per second means one token every 100 ms");
        queue.AddRateLimited("ml/k101").Should().Be(TimeSpan.FromMilliseconds(200));

        time.Advance(TimeSpan.FromSeconds(1));
        queue.AddRateLimited("ml/k102").Should().Be(TimeSpan.FromMilliseconds(5), "a second refills 10 tokens, paying the debt of 2");
    }

    [Test]
    public async Task Should_make_a_rate_limited_key_ready_only_after_its_delay()
    {
        queue.AddRateLimited("ml/a");
        queue.AddRateLimited("ml/a");
        queue.AddRateLimited("ml/a").Should().Be(TimeSpan.FromMilliseconds(20));
        // The first two deadlines (5 ms, 10 ms) are earlier, so the key becomes ready at 5 ms.
        time.Advance(TimeSpan.FromMilliseconds(4));
        queue.Length.Should().Be(0);
        time.Advance(TimeSpan.FromMilliseconds(1));
        (await Take()).Should().Be("ml/a");
    }

    [Test]
    public async Task Should_release_waiting_workers_and_ignore_new_keys_after_shutdown()
    {
        var waiting = queue.GetAsync();

        queue.ShutDown();
        queue.Add("ml/a");

        (await waiting.WaitAsync(Wait)).ShuttingDown.Should().BeTrue();
        (await queue.GetAsync()).ShuttingDown.Should().BeTrue();
        queue.Length.Should().Be(0);
    }

    [Test]
    public async Task Should_finish_draining_only_when_keys_in_progress_are_done()
    {
        queue.Add("ml/a");
        var key = await Take();

        var drained = queue.ShutDownWithDrainAsync();
        await Task.Delay(50);
        drained.IsCompleted.Should().BeFalse();

        queue.Done(key);
        await drained.WaitAsync(Wait);
    }

    [Test]
    public async Task Should_not_lose_a_key_when_a_waiting_get_is_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var abandoned = queue.GetAsync(cancel.Token);
        await cancel.CancelAsync();
        var act = async () => await abandoned;
        await act.Should().ThrowAsync<OperationCanceledException>();

        queue.Add("ml/a");

        (await Take()).Should().Be("ml/a");
    }

    private async Task<string> Take()
    {
        var item = await queue.GetAsync().WaitAsync(Wait);
        item.ShuttingDown.Should().BeFalse();
        return item.Key;
    }

    private sealed class StrongBox
    {
        public int Value;
    }
}
