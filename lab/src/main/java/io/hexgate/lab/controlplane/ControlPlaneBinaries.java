package io.hexgate.lab.controlplane;

import io.hexgate.contract.thread.DaemonThreads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real control plane's binaries, as {@code scripts/ensure-control-plane.sh} builds them once into a
 * cache outside the checkout: the script's progress lines are passed on, and its last line names the
 * directory.
 */
public final class ControlPlaneBinaries {
  public static final List<String> COMPONENTS = List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl");
  static final String SCRIPT = "scripts/ensure-control-plane.sh";
  /** A cold build of all five on 2 cores, with room to spare. */
  private static final long BUILD_MINUTES = 60;

  private ControlPlaneBinaries() {}

  /** The directory with all five binaries, built first if needed; empty (with why on {@code progress}) when they cannot be had. */
  public static Optional<Path> ensure(Path hexgateHome, PrintStream progress) throws IOException, InterruptedException {
    Path script = hexgateHome.resolve(SCRIPT);
    if (!Files.isExecutable(script)) {
      progress.println("no " + script + " to build the control plane with");
      return Optional.empty();
    }
    Path printed = Files.createTempFile("hexgate-control-plane", ".out");
    Process p = new ProcessBuilder(script.toString()).redirectOutput(printed.toFile()).start();
    // the script's own lines go on as progress; Go's (downloads, compiler errors) are kept for a failure
    java.util.Deque<String> goOutput = new java.util.concurrent.ConcurrentLinkedDeque<>();
    Thread relay = DaemonThreads.start("control-plane-build-progress", () -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
        r.lines().forEach(l -> {
          if (l.startsWith("hexgate:")) {
            progress.println(l.substring("hexgate:".length()).trim());
          } else {
            goOutput.addLast(l);
            if (goOutput.size() > 20) {
              goOutput.removeFirst();
            }
          }
        });
      } catch (IOException e) {
        // the script's exit code says what matters
      }
    });
    boolean done = p.waitFor(BUILD_MINUTES, TimeUnit.MINUTES);
    relay.join(1000);
    String out = Files.readString(printed, StandardCharsets.UTF_8).trim();
    Files.delete(printed);
    if (!done) {
      p.destroyForcibly();
      progress.println("building the control plane took longer than " + BUILD_MINUTES + " minutes; stopped");
      return Optional.empty();
    }
    if (p.exitValue() != 0 || out.isEmpty()) {
      goOutput.forEach(l -> progress.println("  " + l));
      return Optional.empty();
    }
    Path bin = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    return COMPONENTS.stream().allMatch(c -> Files.isExecutable(bin.resolve(c))) ? Optional.of(bin) : Optional.empty();
  }
}
