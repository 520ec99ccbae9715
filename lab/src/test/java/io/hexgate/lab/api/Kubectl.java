package io.hexgate.lab.api;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hexgate.operator.RepoRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the stock kubectl against a kubeconfig, with a home of its own so its discovery cache is too. */
final class Kubectl {
  /** What one kubectl run printed and returned. */
  record Result(int exit, String out, String err) {
    Result ok() {
      if (exit != 0) {
        throw new AssertionError("kubectl failed with " + exit + ": " + err + out);
      }
      return this;
    }
  }

  private final Path binary;
  private final Path kubeconfig;
  private final Path home;

  private Kubectl(Path binary, Path kubeconfig, Path home) {
    this.binary = binary;
    this.kubeconfig = kubeconfig;
    this.home = home;
  }

  /**
   * The kubectl built with the lab's control plane (scripts/ensure-control-plane.sh), else the one on the
   * PATH; skips the calling test when there is none.
   */
  static Kubectl find(Path kubeconfig, Path home) {
    Path found = null;
    try {
      found = io.hexgate.lab.controlplane.ControlPlaneBinaries.ensure(RepoRoot.find(), System.out).map(b -> b.resolve("kubectl")).orElse(null);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (found == null && !dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
        found = Path.of(dir, "kubectl");
      }
    }
    if (found == null && Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
      found = Path.of("/usr/bin/kubectl");
    }
    assumeTrue(found != null, "kubectl is not installed (not on the PATH, no /usr/bin/kubectl): skipping the kubectl tests");
    return new Kubectl(found, kubeconfig, home);
  }

  /**
   * Runs a command that does not end by itself (a watch) while {@code during} runs, then stops it;
   * {@code during} can read what the command printed so far.
   */
  Result runWhile(java.util.function.Consumer<java.util.function.Supplier<String>> during, String... args) {
    return exec(args, (p, out) -> {
      try {
        during.accept(() -> {
          try {
            return Files.readString(out, StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
      } finally {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    });
  }

  Result run(String... args) {
    return exec(args, (p, out) -> {
      if (!p.waitFor(90, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 90 s");
      }
    });
  }

  /** What happens between starting kubectl and reading what it printed: waiting for it, or stopping it. */
  private interface WhileRunning {
    void accept(Process p, Path out) throws IOException, InterruptedException;
  }

  private Result exec(String[] args, WhileRunning whileRunning) {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().put("HOME", home.toString());
    // the embedded API server serves no streaming lists (sendInitialEvents): client-go then lists and watches
    pb.environment().put("KUBE_FEATURE_WatchListClient", "false");
    try {
      Path out = Files.createTempFile(home, "out", ".txt");
      Path err = Files.createTempFile(home, "err", ".txt");
      pb.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process p = pb.start();
      whileRunning.accept(p, out);
      Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
      Files.delete(out);
      Files.delete(err);
      return r;
    } catch (IOException e) {
      throw new AssertionError("cannot run kubectl", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
