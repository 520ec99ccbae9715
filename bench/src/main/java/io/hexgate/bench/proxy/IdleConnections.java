package io.hexgate.bench.proxy;

import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.NetNsThread;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * This JVM's heap with many idle keep-alive connections open through a path: the proxy runs inside the
 * agent's datapath, which this benchmark's JVM hosts, so the JVM's heap after a full collection is the
 * proxy's plus the benchmark's (its own client channels included: a few hundred bytes each).
 */
public final class IdleConnections {
  /** Connections opened (and answered) at a time: a listener's backlog need not hold them all at once. */
  private static final int BATCH = 500;
  private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(10);

  /**
   * @param opened connections opened: {@code requested}, or fewer when the open-file limit allows fewer
   * @param answered connections that got the answer to their one request
   * @param open of those, still open after the collection (the far side may close idle connections)
   * @param limit why fewer were opened than requested, or null
   */
  public record Heap(int requested, int opened, int answered, int open, long usedBefore, long usedAfter, String limit,
      String failure) {
    static Heap notMeasured(int requested, String why) {
      return new Heap(requested, 0, 0, 0, 0, 0, null, why);
    }

    /** The heap used with {@code requested} connections: measured, or extrapolated linearly from fewer. */
    public double usedMiB() {
      double used = opened == requested ? usedAfter : usedBefore + (usedAfter - usedBefore) * (double) requested / opened;
      return used / 1048576.0;
    }

    public boolean extrapolated() {
      return opened < requested;
    }

    public String describe() {
      if (answered == 0) {
        return failure;
      }
      return String.format(Locale.ROOT, "%,d of %,d connections answered, %,d still open at the reading; heap used "
          + "after a full GC %.1f MiB (%.1f MiB before opening them, +%.1f MiB)%s%s", answered, opened, open,
          usedAfter / 1048576.0, usedBefore / 1048576.0, (usedAfter - usedBefore) / 1048576.0,
          extrapolated() ? String.format(Locale.ROOT, "; %s: only %,d opened, %.1f MiB extrapolated linearly to %,d",
              limit, opened, usedMiB(), requested) : "",
          failure == null ? "" : "; " + failure);
    }
  }

  private IdleConnections() {}

  /**
   * Opens {@code count} connections from {@code client}'s namespace to {@code target}, sends {@code request}
   * once on each and reads its answer (ending in {@code answerEnd}), then reads the heap; closes them all.
   */
  static Heap measure(NetNsThread client, InetSocketAddress target, int requested, String request, String answerEnd)
      throws Exception {
    String limit = raiseFileLimit(requested);
    int count = requested;
    if (limit != null) {
      count = (int) Math.max(0, Math.min(requested, (softFileLimit() - openFiles() - 1_000) / 3));
      if (count < 100) {
        return Heap.notMeasured(requested, limit);
      }
    }
    int opening = count;
    long before = heapAfterGc();
    List<SocketChannel> channels = new ArrayList<>(opening);
    try {
      return client.call(() -> {
        String failure = null;
        int answered = 0;
        try (Selector selector = Selector.open()) {
          for (int start = 0; start < opening && failure == null; start += BATCH) {
            int n = Math.min(BATCH, opening - start);
            int ok = batch(selector, target, n, request, answerEnd, channels);
            answered += ok;
            if (ok < n) {
              failure = String.format(Locale.ROOT, "only %d of a batch of %d connections got an answer within %d s",
                  ok, n, BATCH_TIMEOUT.toSeconds());
            }
          }
        }
        long after = heapAfterGc();
        int open = 0;
        ByteBuffer probe = ByteBuffer.allocate(1);
        for (SocketChannel c : channels) {
          try {
            // a connection whose handshake never finished (its batch is reported) is not open
            if (c.isOpen() && c.isConnected() && c.read(probe.clear()) == 0) {
              open++;
            }
          } catch (IOException closed) {
            // counted as closed
          }
        }
        return new Heap(requested, opening, answered, open, before, after, limit, failure);
      });
    } finally {
      for (SocketChannel c : channels) {
        try {
          c.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }
  }

  /** Opens {@code n} connections, one request on each; how many were answered within the timeout. */
  private static int batch(Selector selector, InetSocketAddress target, int n, String request, String answerEnd,
      List<SocketChannel> channels) throws IOException {
    byte[] req = request.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < n; i++) {
      SocketChannel c = SocketChannel.open();
      channels.add(c);
      c.configureBlocking(false);
      c.connect(target);
      c.register(selector, SelectionKey.OP_CONNECT, new StringBuilder());
    }
    int answered = 0;
    ByteBuffer buf = ByteBuffer.allocate(4096);
    long deadline = System.nanoTime() + BATCH_TIMEOUT.toNanos();
    while (answered < n && System.nanoTime() < deadline) {
      selector.select(100);
      for (SelectionKey k : selector.selectedKeys()) {
        SocketChannel c = (SocketChannel) k.channel();
        try {
          if (k.isConnectable() && c.finishConnect()) {
            c.write(ByteBuffer.wrap(req)); // a fresh socket's send buffer takes a small request whole
            k.interestOps(SelectionKey.OP_READ);
          } else if (k.isReadable()) {
            StringBuilder got = (StringBuilder) k.attachment();
            int r = c.read(buf.clear());
            if (r < 0) {
              k.cancel();
              continue;
            }
            got.append(new String(buf.array(), 0, r, StandardCharsets.US_ASCII));
            if (got.toString().endsWith(answerEnd)) {
              answered++;
              k.cancel(); // idle from here on: the channel stays open, the selector forgets it
            }
          }
        } catch (IOException e) {
          k.cancel();
        }
      }
      selector.selectedKeys().clear();
    }
    for (SelectionKey k : selector.keys()) {
      k.cancel(); // unanswered ones stay open too, but unwatched
    }
    selector.selectNow();
    return answered;
  }

  /**
   * Three sockets per connection live in this JVM (the client's, the proxy's accepted one and its upstream
   * one): raises the open-file limit of this process (prlimit, as root) when it is lower.
   */
  private static String raiseFileLimit(int connections) {
    long wanted = 3L * connections + 10_000;
    if (softFileLimit() >= wanted) {
      return null;
    }
    long pid = ProcessHandle.current().pid();
    Commands.Result r = Commands.run(Duration.ofSeconds(10),
        List.of("prlimit", "--pid", String.valueOf(pid), "--nofile=" + wanted + ":" + wanted));
    return r.ok() ? null : "the open-file limit is " + softFileLimit() + " and cannot be raised to " + wanted
        + " (prlimit: " + r.stderr().replaceFirst("^prlimit: ", "").strip() + ")";
  }

  private static long openFiles() throws IOException {
    try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  private static long softFileLimit() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
          return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // unknown: raise it
    }
    return 0;
  }

  static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
