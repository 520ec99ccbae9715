package io.hexgate.cli.bench;

import io.hexgate.bench.datapath.DatapathBenchmark;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.Native;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "datapath",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the eBPF datapath with BPF_PROG_TEST_RUN (needs root): ns per packet for",
      "established and new connections, with a small and a large policy map side by side,",
      "beside an empty tc program, against the datapath's performance targets. Progress goes to stderr,",
      "the report to stdout. Exit code 0 when every target is met, 1 when one is missed,",
      "2 when it cannot run."
    })
public final class DatapathBenchCommand implements Callable<Integer> {
  private static final DatapathBenchmark.Config D = DatapathBenchmark.Config.DEFAULT;

  @Option(names = "--small", paramLabel = "N", description = "Policy entries of the small map (default: ${DEFAULT-VALUE}).")
  int small = D.smallEntries();

  @Option(names = "--large", paramLabel = "N", description = "Policy entries of the large map (default: ${DEFAULT-VALUE}).")
  int large = D.largeEntries();

  @Option(names = "--repeat", paramLabel = "N", description = "Repetitions per test run (default: ${DEFAULT-VALUE}).")
  int repeat = D.repeat();

  @Option(names = "--calls", paramLabel = "N", description = "Test runs per case; the median is reported (default: ${DEFAULT-VALUE}).")
  int calls = D.calls();

  @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
  boolean quiet;

  @Override
  public Integer call() {
    if (small < 6 || large < small || repeat < 1 || calls < 1) {
      System.err.println("hexgate bench datapath: need 6 <= --small <= --large, --repeat >= 1, --calls >= 1");
      return 2;
    }
    Optional<String> why = !"root".equals(System.getProperty("user.name"))
        ? Optional.of("needs root (bpf() and BPF_PROG_TEST_RUN)")
        : !BpfObject.packaged() ? Optional.of("this build has no BPF object (no clang/libbpf-dev at build time)")
        : Native.unavailableReason();
    if (why.isPresent()) {
      System.err.println("hexgate bench datapath: cannot run: " + why.get());
      return 2;
    }
    DatapathBenchmark.Config config = new DatapathBenchmark.Config(small, large, repeat, calls, D.seed());
    DatapathBenchmark.Result r = new DatapathBenchmark(config,
        quiet ? new java.io.PrintStream(java.io.OutputStream.nullOutputStream()) : System.err).run();
    boolean[] ok = {true};
    System.out.print(DatapathBenchmark.report(r, config, ok));
    return ok[0] ? 0 : 1;
  }
}
