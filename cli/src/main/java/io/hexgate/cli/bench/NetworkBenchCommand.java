package io.hexgate.cli.bench;

import io.hexgate.bench.datapath.NetworkBenchmark;
import io.hexgate.bench.datapath.NetworkBenchmark.Setup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "network",
    mixinStandardHelpOptions = true,
    description = {
      "Measure traffic between two pod namespaces of one node namespace (datapath benchmarks (b) and (c)):",
      "Hexgate enforcing --rules and --large-rules rules, an empty tc program, no program, the large rule set",
      "as linear iptables rules and as one nftables set. Per setup: 1-byte request/response rate on one TCP",
      "connection, HTTP requests/s of wrk against nginx, new connections per second, iperf3 throughput. Each",
      "metric's load runs continuously while the setups take turns in short slices of it.",
      "Needs root, eBPF, iperf3, iptables, nft, nginx, wrk and ethtool (which turns segmentation offload off,",
      "unless --segmentation-offload).",
      "Progress goes to stderr, the Markdown report to stdout. Exit code 0 when every target is met, 1 when",
      "one is missed, 2 when the benchmark cannot run here or the options are bad."
    })
public final class NetworkBenchCommand implements Callable<Integer> {
  private static final NetworkBenchmark.Config D = NetworkBenchmark.Config.DEFAULT;

  @Option(names = "--seconds", paramLabel = "S", description = "Seconds of each setup's slice per round (default: ${DEFAULT-VALUE}).")
  double seconds = D.perPoint().toMillis() / 1000.0;

  @Option(names = "--rounds", paramLabel = "N", description = "Rounds over all setups per metric (default: ${DEFAULT-VALUE}).")
  int rounds = D.rounds();

  @Option(names = "--rules", paramLabel = "N", description = "Rules of the small Hexgate setup (default: ${DEFAULT-VALUE}).")
  int rules = D.smallRules();

  @Option(names = "--large-rules", paramLabel = "N",
      description = "Rules of the large Hexgate, iptables and nftables setups (default: ${DEFAULT-VALUE}).")
  int largeRules = D.largeRules();

  @Option(names = "--setup", paramLabel = "NAME", split = ",",
      description = "Setups to run, comma-separated: ${COMPLETION-CANDIDATES} (default: all).")
  List<Setup> setups = List.of(Setup.values());

  @Option(names = "--metric", paramLabel = "NAME", split = ",",
      description = "Metrics to measure, comma-separated: ${COMPLETION-CANDIDATES} (default: all).")
  List<NetworkBenchmark.Metric> metrics = List.of(NetworkBenchmark.Metric.values());

  @Option(names = "--segmentation-offload", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "Let the pods send 64 KB GSO packets; by default TSO/GSO/GRO are off on their eth0, so every "
          + "wire-sized packet meets the filters.")
  boolean segmentationOffload;

  @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    NetworkBenchmark.Config config;
    try {
      config = new NetworkBenchmark.Config(D.prefix(), Duration.ofMillis(Math.round(seconds * 1000)), rounds, rules,
          largeRules, setups, metrics, segmentationOffload);
    } catch (IllegalArgumentException e) {
      System.err.println("hexgate bench network: " + e.getMessage());
      return 2;
    }
    String why = NetworkBenchmark.unavailable(config);
    if (why != null) {
      System.err.println("hexgate bench network: cannot run here: " + why);
      return 2;
    }
    NetworkBenchmark.Result result =
        new NetworkBenchmark(config, quiet ? s -> {} : s -> System.err.println("bench network: " + s)).run();
    System.out.print(result.markdown());
    return result.targets().stream().allMatch(NetworkBenchmark.Result.Target::met) ? 0 : 1;
  }
}
