package io.hexgate.datapath.netns;

import io.hexgate.contract.thread.DaemonThreads;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps connections running while a test changes the datapath under them: a step repeated on a daemon
 * thread until {@code stop} is set, bounded in time so a test that forgets to stop it cannot hang the build.
 */
public final class TrafficLoop {
  private TrafficLoop() {}

  /** One round of traffic, e.g. a {@link TcpProbe} attempt and the bookkeeping of its outcome. */
  public interface Step {
    void run() throws Exception;
  }

  /** Starts a thread named "traffic" running {@code step} until {@code stop} or for {@code limit} at most. */
  public static Thread start(AtomicBoolean stop, Duration limit, Step step) {
    Thread t = DaemonThreads.start("traffic", () -> {
      long deadline = System.nanoTime() + limit.toNanos();
      while (!stop.get() && System.nanoTime() < deadline) {
        try {
          step.run();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    });
    return t;
  }
}
