package io.hexgate.lab.controlplane;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One control plane binary (or another cluster component the lab runs beside it, such as OLM) run as a child
 * process, its output in {@code <name>.log} and its pid in {@code <name>.pid} (so that a lab killed before it
 * could stop its children has them stopped by the next one, see {@link #stopLeftovers}).
 */
public final class ComponentProcess implements AutoCloseable {
  private final String name;
  private final Path log;
  private final Path pidFile;
  private final Process process;

  private ComponentProcess(String name, Path log, Path pidFile, Process process) {
    this.name = name;
    this.log = log;
    this.pidFile = pidFile;
    this.process = process;
  }

  static ComponentProcess start(Path binary, List<String> args, Path dir) throws IOException {
    return start(binary.getFileName().toString(), binary, args, java.util.Map.of(), dir);
  }

  /** Starts {@code binary} with {@code env} added to this process's environment, logging to {@code <name>.log} in {@code dir}. */
  public static ComponentProcess start(String name, Path binary, List<String> args, java.util.Map<String, String> env, Path dir) throws IOException {
    Path log = dir.resolve(name + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    // a Go runtime per component on 2 cores: keep their heaps from growing far past what they use
    pb.environment().putIfAbsent("GOGC", "50");
    pb.environment().putAll(env);
    Process p = pb.start();
    Path pidFile = dir.resolve(name + ".pid");
    Files.writeString(pidFile, p.pid() + "\n" + binary + "\n");
    return new ComponentProcess(name, log, pidFile, p);
  }

  public String name() {
    return name;
  }

  public Process process() {
    return process;
  }

  /** Waits until {@code ready} holds; fails with the end of the component's log if it exits or the time runs out. */
  public void await(BooleanSupplier ready, long timeoutSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (!ready.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with code " + process.exitValue() + ":\n" + tail());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(name + " did not become ready within " + timeoutSeconds + " s; its log ends:\n" + tail());
      }
      Thread.sleep(100);
    }
  }

  /** The last lines the component wrote. */
  public String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      Files.deleteIfExists(pidFile);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the pid file only helps a later lab clean up; this process is gone either way
    }
  }

  /** Stops the components an earlier lab in {@code dir} left running (their pid files name them). */
  public static List<String> stopLeftovers(Path dir) throws IOException {
    List<String> stopped = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return stopped;
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".pid")).toList()) {
        List<String> lines = Files.readAllLines(f);
        if (lines.size() >= 2) {
          long pid = Long.parseLong(lines.get(0).trim());
          String binary = lines.get(1).trim();
          ProcessHandle.of(pid)
              .filter(h -> h.info().command().map(binary::equals).orElse(false))
              .ifPresent(h -> {
                h.destroy();
                h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> {
                  h.destroyForcibly();
                  return h;
                }).join();
                stopped.add(Path.of(binary).getFileName() + " (pid " + pid + ")");
              });
        }
        Files.delete(f);
      }
    }
    return stopped;
  }
}
