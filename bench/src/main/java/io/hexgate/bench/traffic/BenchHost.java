package io.hexgate.bench.traffic;

import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.NetNs;
import java.time.Duration;
import java.util.List;

/** What the benchmarks that run real traffic between namespaces need of this machine. */
public final class BenchHost {
  private BenchHost() {}

  /**
   * Why traffic benchmarks cannot run here: no network namespaces (not root), no eBPF, or one of
   * {@code tools} missing (then {@code installHint} says how to get them); null when they can.
   */
  public static String unavailable(List<String> tools, String installHint) {
    var ns = NetNs.unavailable();
    if (ns.isPresent()) {
      return ns.get();
    }
    var bpf = io.hexgate.datapath.bpf.Native.unavailableReason();
    if (bpf.isPresent()) {
      return bpf.get();
    }
    for (String tool : tools) {
      if (!installed(tool)) {
        return tool + " is not installed (" + installHint + ")";
      }
    }
    return null;
  }

  public static boolean installed(String tool) {
    return Commands.run(Duration.ofSeconds(5), List.of("sh", "-c", "command -v " + tool)).exitCode() == 0;
  }

  public static boolean twoCpus() {
    return Runtime.getRuntime().availableProcessors() >= 2;
  }

  /**
   * Tears a benchmark down in order, best effort: each part (null: never made) is closed even when an earlier
   * one failed, since what comes last (the namespaces) takes the rest with it.
   */
  public static void closeAll(java.util.List<? extends AutoCloseable> parts) {
    for (AutoCloseable c : parts) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort, see above
      }
    }
  }

  /** Deletes a temporary file or tree, if there is one. */
  public static AutoCloseable deletion(java.nio.file.Path p) {
    return p == null ? null : () -> io.hexgate.datapath.netns.FileTrees.delete(p);
  }

  public static void sleep(long nanos) throws InterruptedException {
    Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
  }
}
