package io.hexgate.datapath.bpf;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;

/** Loads the packaged BPF object for a test, or skips the test saying why it cannot run here. */
public final class BpfSupport {
  private BpfSupport() {}

  /** Why eBPF tests cannot run in this process, or empty when they can. */
  public static Optional<String> skipReason() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("needs root for bpf() (running as " + System.getProperty("user.name") + ")");
    }
    if (!BpfObject.packaged()) {
      return Optional.of("the BPF object was not built (no clang / libbpf-dev, see datapath/bpf/build.sh)");
    }
    return Native.unavailableReason();
  }

  public static BpfObject loadOrSkip() {
    Optional<String> reason = skipReason();
    assumeTrue(reason.isEmpty(), () -> "skipping eBPF test: " + reason.get());
    BpfObject obj = BpfObject.openPackaged();
    try {
      return obj.load();
    } catch (BpfException e) {
      obj.close();
      if (e.errno() == 1) { // EPERM: a container without CAP_BPF
        assumeTrue(false, "skipping eBPF test: the kernel refused to load programs: " + e.getMessage());
      }
      throw e;
    }
  }
}
