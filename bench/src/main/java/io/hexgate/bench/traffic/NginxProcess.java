package io.hexgate.bench.traffic;

import io.hexgate.datapath.netns.FileTrees;
import io.hexgate.datapath.netns.NetNs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * nginx from the distribution, run in the foreground inside a network namespace with a configuration of
 * its own in a temporary directory (pid file and error log there too, access log off), so that it touches
 * nothing of the host's nginx.
 */
public final class NginxProcess implements AutoCloseable {
  private final Path dir;
  private final Process process;

  private NginxProcess(Path dir, Process process) {
    this.dir = dir;
    this.process = process;
  }

  /**
   * Starts nginx in {@code netns}: {@code main} holds the configuration's top-level directives besides the
   * pid file and error log (worker_processes, events, http); returns once {@code ready} succeeds, within
   * 10 s.
   */
  public static NginxProcess start(String netns, String main, Callable<?> ready) throws Exception {
    Path dir = Files.createTempDirectory("hexgate-bench-nginx-");
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(conf, "pid " + dir.resolve("nginx.pid") + ";\nerror_log " + dir.resolve("error.log") + ";\n" + main,
        StandardCharsets.UTF_8);
    Process p = NetNs.start(netns, "nginx", "-p", dir.toString(), "-c", conf.toString(), "-g",
        "daemon off; master_process on;");
    NginxProcess nginx = new NginxProcess(dir, p);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        ready.call();
        return nginx;
      } catch (IOException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          String log = Files.exists(dir.resolve("error.log")) ? Files.readString(dir.resolve("error.log")) : e.toString();
          nginx.close();
          throw new IllegalStateException("nginx did not start in " + netns + ": " + log);
        }
        Thread.sleep(50);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
    try {
      FileTrees.delete(dir);
    } catch (IOException ignored) {
      // a temporary directory left behind
    }
  }
}
