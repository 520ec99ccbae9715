package io.hexgate.datapath.netns;

import io.hexgate.contract.thread.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the external commands of the lab and test harness ({@code ip}, {@code sysctl}, tools inside a
 * namespace). The agent itself never loads, attaches or updates anything through these.
 */
public final class Commands {
  /** What a finished command printed and returned. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** This result, or an exception naming the command, its exit code and what it printed on stderr. */
    public Result orThrow() {
      if (exitCode != 0) {
        throw new NetNsException(
            "`" + String.join(" ", command) + "` failed (exit " + exitCode + "): " + stderr.strip());
      }
      return this;
    }
  }

  private Commands() {}

  /** Runs {@code command} to completion, at most {@code timeout}; a timeout kills it and throws. */
  public static Result run(Duration timeout, List<String> command) {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    } catch (IOException e) {
      throw new NetNsException("cannot start `" + String.join(" ", command) + "`: " + e.getMessage(), e);
    }
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()), Commands::thread);
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()), Commands::thread);
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new NetNsException("`" + String.join(" ", command) + "` did not finish within " + timeout);
      }
      return new Result(List.copyOf(command), p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new NetNsException("interrupted while running `" + String.join(" ", command) + "`", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new NetNsException("cannot read the output of `" + String.join(" ", command) + "`", e);
    }
  }

  /** Runs {@code command} and throws unless it exits 0. */
  public static Result check(String... command) {
    return run(Duration.ofSeconds(30), List.of(command)).orThrow();
  }

  // Readers run on their own threads: never on a shared pool thread that could be spawned from a
  // thread inside another network namespace and stay there.
  private static void thread(Runnable r) {
    DaemonThreads.start("command-output", r);
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
