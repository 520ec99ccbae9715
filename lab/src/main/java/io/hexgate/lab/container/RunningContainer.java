package io.hexgate.lab.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container of a pod, kept running as a kubelet keeps it: each run on a fresh overlay of the image's
 * root filesystem, its output appended to its log, restarted per the pod's restart policy after the
 * kubelet's back-off (10 s, doubling to 5 min, reset after 10 min of running), stopped with SIGTERM and,
 * after the grace period, SIGKILL.
 */
final class RunningContainer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunningContainer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(10);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  private static final Duration STEADY = Duration.ofMinutes(10);

  /** What the pod's status says of the container. */
  record State(boolean running, Instant startedAt, int restartCount, Integer lastExitCode, Instant finishedAt, boolean done, boolean ready) {}

  private final String id;
  private final String name;
  private final Path dir;
  private final Path lowerRootfs;
  private final Map<String, Object> spec;
  private final String restartPolicy;
  private final Runnable changed;
  private final Path logFile;
  private BooleanSupplier readiness = () -> true;
  private BooleanSupplier startup = () -> true;
  private final Thread supervisor;
  private volatile Process runc;
  private volatile boolean stopping;
  private volatile State state = new State(false, null, 0, null, null, false, false);

  RunningContainer(String id, String name, Path dir, Path lowerRootfs, Map<String, Object> spec, String restartPolicy, Path log, Runnable changed) {
    this.id = id;
    this.name = name;
    this.dir = dir;
    this.lowerRootfs = lowerRootfs;
    this.spec = spec;
    this.restartPolicy = restartPolicy == null ? "Always" : restartPolicy;
    this.logFile = log;
    this.changed = changed;
    this.supervisor = DaemonThreads.thread("lab-container-" + id, this::supervise);
  }

  /** The merged root filesystem the spec points at. */
  static Path rootfs(Path dir) {
    return dir.resolve("rootfs");
  }

  String id() {
    return id;
  }

  String name() {
    return name;
  }

  State state() {
    State s = state;
    return s.running() ? new State(true, s.startedAt(), s.restartCount(), s.lastExitCode(), s.finishedAt(), false, readiness.getAsBoolean()) : s;
  }

  void readiness(BooleanSupplier probe) {
    this.readiness = probe;
  }

  /** Whether the container runs and its startup probe, if it has one, succeeded since it started. */
  boolean started() {
    return state.running() && startup.getAsBoolean();
  }

  void startup(BooleanSupplier probe) {
    this.startup = probe;
  }

  void start() {
    supervisor.start();
  }

  private void supervise() {
    Duration backoff = FIRST_BACKOFF;
    int runs = 0;
    while (!stopping) {
      Instant started = Instant.now();
      int code;
      try {
        freshRootfs();
        Files.createDirectories(dir.resolve("bundle"));
        JSON.writeValue(dir.resolve("bundle/config.json").toFile(), spec);
        Process p = Runc.run(id, dir.resolve("bundle"), logFile);
        runc = p;
        // a kubelet counts a restart when the new container starts
        state = new State(true, started, runs++, state.lastExitCode(), state.finishedAt(), false, false);
        changed.run();
        code = p.waitFor();
      } catch (IOException | RuntimeException e) {
        appendLog("hexgate lab: cannot start the container: " + e.getMessage());
        code = 128;
      } catch (InterruptedException e) {
        return;
      }
      runc = null;
      Runc.delete(id);
      Instant finished = Instant.now();
      boolean again = !stopping && ("Always".equals(restartPolicy) || "OnFailure".equals(restartPolicy) && code != 0);
      log.info("container {}: exited with {}{}", id, code, again ? ", restarting in " + backoff.toSeconds() + " s" : "");
      state = new State(false, started, state.restartCount(), code, finished, !again, false);
      changed.run();
      if (!again) {
        return;
      }
      if (Duration.between(started, finished).compareTo(STEADY) > 0) {
        backoff = FIRST_BACKOFF;
      }
      try {
        Thread.sleep(backoff.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    }
  }

  /** An overlay of the image's rootfs with an empty upper layer: what one run writes, the next does not see. */
  private void freshRootfs() throws IOException {
    unmount();
    Path upper = dir.resolve("upper");
    Path work = dir.resolve("work");
    FileTrees.delete(upper);
    FileTrees.delete(work);
    Files.createDirectories(upper);
    Files.createDirectories(work);
    Files.createDirectories(rootfs(dir));
    Commands.run(Duration.ofSeconds(30), List.of("mount", "-t", "overlay", "overlay", "-o",
        "lowerdir=" + lowerRootfs + ",upperdir=" + upper + ",workdir=" + work, rootfs(dir).toString())).orThrow();
  }

  private void unmount() {
    if (Files.isDirectory(rootfs(dir))) {
      Commands.run(Duration.ofSeconds(30), List.of("umount", "-l", rootfs(dir).toString()));
    }
  }

  private void appendLog(String line) {
    try {
      Files.writeString(logFile, line + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      // the lab's own log has it too
    }
    log.warn("container {}: {}", id, line);
  }

  /** SIGTERM, SIGKILL after {@code grace}, then the container and its directory go. */
  void stop(Duration grace) {
    stopping = true;
    Process p = runc;
    if (p != null) {
      Runc.kill(id, "TERM");
      try {
        if (!p.waitFor(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
          Runc.kill(id, "KILL");
          p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      p.destroyForcibly();
    }
    supervisor.interrupt();
    try {
      supervisor.join(15_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Runc.delete(id);
    unmount();
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      log.warn("container {}: cannot remove {}: {}", id, dir, e.getMessage());
    }
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(30));
  }
}
