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
    Optional<Path> bin = runBuildScript(hexgateHome.resolve(SCRIPT), List.of(), "the control plane", BUILD_MINUTES, progress);
    return bin.filter(b -> COMPONENTS.stream().allMatch(c -> Files.isExecutable(b.resolve(c))));
  }

  /**
   * Runs a script (with {@code args}) that builds a cached tool and prints its directory as its last line on stdout; the
   * script's own {@code hexgate:} lines on stderr go on as progress, Go's (downloads, compiler errors) are
   * shown only when it fails. Empty (with why on {@code progress}) when the tool cannot be had.
   */
  public static Optional<Path> runBuildScript(Path script, List<String> args, String what, long minutes, PrintStream progress)
      throws IOException, InterruptedException {
    if (!Files.isExecutable(script)) {
      progress.println("no " + script + " to build " + what + " with");
      return Optional.empty();
    }
    Path printed = Files.createTempFile("hexgate-build", ".out");
    List<String> cmd = new java.util.ArrayList<>(List.of(script.toString()));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectOutput(printed.toFile()).start();
    java.util.Deque<String> goOutput = new java.util.concurrent.ConcurrentLinkedDeque<>();
    Thread relay = DaemonThreads.start("build-progress", () -> {
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
    boolean done = p.waitFor(minutes, TimeUnit.MINUTES);
    relay.join(1000);
    String out = Files.readString(printed, StandardCharsets.UTF_8).trim();
    Files.delete(printed);
    if (!done) {
      p.destroyForcibly();
      progress.println("building " + what + " took longer than " + minutes + " minutes; stopped");
      return Optional.empty();
    }
    if (p.exitValue() != 0 || out.isEmpty()) {
      goOutput.forEach(l -> progress.println("  " + l));
      return Optional.empty();
    }
    return Optional.of(Path.of(out.lines().reduce((a, b) -> b).orElseThrow()));
  }
}
