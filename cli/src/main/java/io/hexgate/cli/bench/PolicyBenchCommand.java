package io.hexgate.cli.bench;

import io.hexgate.bench.policy.PolicyBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the policy engine on a synthetic cluster: full computation (cold and warm), incremental",
      "policy and pod changes (median, p99, regenerations per operation) and the retained heap of the",
      "built engine, against the engine's performance targets. Progress goes to stderr, the report to stdout.",
      "Exit code 0 when every target is met, 1 when one is missed, 2 for bad options."
    })
public final class PolicyBenchCommand implements Callable<Integer> {
  private static final PolicyBenchmark.Config D = PolicyBenchmark.Config.DEFAULT;

  @Option(names = "--pods", paramLabel = "N", description = "Pods (default: ${DEFAULT-VALUE}).")
  int pods = D.pods();

  @Option(names = "--label-sets", paramLabel = "N",
      description = "Distinct security label sets, i.e. pod identities; at most --pods (default: ${DEFAULT-VALUE}).")
  int labelSets = D.labelSets();

  @Option(names = "--policies", paramLabel = "N", description = "Policy objects (default: ${DEFAULT-VALUE}).")
  int policies = D.policies();

  @Option(names = "--namespaces", paramLabel = "N", description = "Namespaces (default: ${DEFAULT-VALUE}).")
  int namespaces = D.namespaces();

  @Option(names = "--warmup", paramLabel = "N",
      description = "Unmeasured full computations after the cold one (default: ${DEFAULT-VALUE}).")
  int warmup = D.warmup();

  @Option(names = "--runs", paramLabel = "N", description = "Measured warm full computations (default: ${DEFAULT-VALUE}).")
  int runs = D.runs();

  @Option(names = "--ops", paramLabel = "N",
      description = "Timed incremental operations of each kind (default: ${DEFAULT-VALUE}).")
  int ops = D.ops();

  @Option(names = "--op-warmup", paramLabel = "N",
      description = "Untimed incremental operations of each kind before the timed ones (default: ${DEFAULT-VALUE}).")
  int opWarmup = D.opWarmup();

  @Option(names = "--seed", paramLabel = "N", description = "Random seed of the workload (default: ${DEFAULT-VALUE}).")
  long seed = D.seed();

  @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
  boolean quiet;

  @Override
  public Integer call() {
    PolicyBenchmark.Config config;
    try {
      config = new PolicyBenchmark.Config(pods, labelSets, policies, namespaces, warmup, runs, ops, opWarmup, seed);
      if (labelSets < 1 || pods < labelSets || policies < 0 || namespaces < 1) {
        throw new IllegalArgumentException(
            "need --label-sets >= 1, --pods >= --label-sets, --policies >= 0 and --namespaces >= 1");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("hexgate: bench policy: " + e.getMessage());
      return 2;
    }
    PolicyBenchmark.Result r =
        new PolicyBenchmark(config, quiet ? s -> {} : s -> System.err.println("bench: " + s)).run();
    System.out.print(r.report());
    return r.fullTargetMet() && r.incrementalTargetMet() && r.heapTargetMet() ? 0 : 1;
  }
}
