using NUnit.Framework;

// Tests mostly wait on the cluster, so several run at once, each in its own namespace.
[assembly: Parallelizable(ParallelScope.Children)]
[assembly: LevelOfParallelism(6)]
