package io.hexgate.observer.export;

import com.google.protobuf.Timestamp;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.hubble.observer.ExportEvent;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.observer.filter.FlowFilters;
import io.hexgate.observer.filter.FlowPredicate;
import io.hexgate.observer.json.HubbleJson;
import io.hexgate.observer.mask.FlowMask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hubble's flow exporter: one {@code observer.ExportEvent} per line, as {@code hubble observe -o json}
 * prints it. The flow path only filters and enqueues; a writer thread masks, prints and writes, and
 * when it falls {@value #QUEUE_CAPACITY} events behind, new events are dropped and counted rather than
 * slowing the datapath reader.
 */
public final class FlowExporter implements AutoCloseable {
  static final int QUEUE_CAPACITY = 16_384;
  private static final Logger LOG = LoggerFactory.getLogger(FlowExporter.class);
  private static final ExportEvent STOP = ExportEvent.getDefaultInstance();
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final String nodeName;
  private final Clock clock;
  private final FlowPredicate filter;
  private final FlowMask mask;
  private final LineSink sink;
  private final BlockingQueue<ExportEvent> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final Thread writer;
  private volatile boolean closed;

  public FlowExporter(ExportOptions options, String nodeName) {
    this(options, nodeName, Clock.systemUTC());
  }

  public FlowExporter(ExportOptions options, String nodeName, Clock clock) {
    this(options, nodeName, clock, open(options, clock), QUEUE_CAPACITY);
  }

  FlowExporter(ExportOptions options, String nodeName, Clock clock, LineSink sink, int queueCapacity) {
    this.nodeName = nodeName;
    this.clock = clock;
    this.filter = FlowFilters.compile(ExportOptions.ALLOWLIST, options.allowlist(), ExportOptions.DENYLIST, options.denylist());
    this.mask = options.fieldMask();
    this.sink = sink;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.writer = DaemonThreads.start("hubble-exporter " + options.file(), this::writeUntilStopped);
  }

  private static LineSink open(ExportOptions options, Clock clock) {
    if (options.toStandardOutput()) {
      return new StandardOutput(System.out);
    }
    try {
      return new RotatingFile(options.file(), options.maxSizeMb() * 1024L * 1024L, options.maxBackups(),
          options.compress(), clock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the flow export file " + options.file(), e);
    }
  }

  /** Exports the flow if the allow and deny lists let it through. Never blocks. */
  public void onFlow(Flow flow) {
    if (closed || !filter.test(flow)) {
      return;
    }
    enqueue(ExportEvent.newBuilder()
        .setFlow(flow)
        .setNodeName(flow.getNodeName().isEmpty() ? nodeName : flow.getNodeName())
        .setTime(flow.hasTime() ? flow.getTime() : now())
        .build());
  }

  /** Exports a lost-events marker; the filters do not apply, so the file tells that it has gaps. */
  public void onLost(LostEventSource source, long count) {
    if (closed) {
      return;
    }
    Timestamp now = now();
    enqueue(ExportEvent.newBuilder()
        .setLostEvents(LostEvent.newBuilder().setSource(source).setNumEventsLost(count).setFirst(now).setLast(now))
        .setNodeName(nodeName)
        .setTime(now)
        .build());
  }

  /** Events not written: dropped because the writer was {@value #QUEUE_CAPACITY} behind, or lost to write errors. */
  public long dropped() {
    return dropped.get();
  }

  /** Writes what is queued, then closes the file. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (queue.offer(STOP, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        writer.join(CLOSE_TIMEOUT.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (writer.isAlive()) {
      LOG.warn("flow exporter: the writer did not finish within {}; some queued flows are not written", CLOSE_TIMEOUT);
    }
  }

  private void enqueue(ExportEvent event) {
    if (!queue.offer(event)) {
      dropped.incrementAndGet();
    }
  }

  private Timestamp now() {
    Instant t = clock.instant();
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private void writeUntilStopped() {
    long droppedReported = 0;
    boolean failing = false;
    try (LineSink out = sink) {
      while (true) {
        ExportEvent event = queue.take();
        // write everything already waiting before one flush, so a busy node costs one flush per batch
        while (event != null) {
          if (event == STOP) {
            out.flush();
            return;
          }
          failing = write(out, event, failing);
          event = queue.poll();
        }
        failing = flush(out, failing);
        long nowDropped = dropped.get();
        if (nowDropped != droppedReported) {
          LOG.warn("flow exporter fell behind: {} events dropped so far", nowDropped);
          droppedReported = nowDropped;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.warn("flow exporter: cannot close its file", e);
    }
  }

  /** Whether writing is failing now; a failure is logged when it starts, not for every line. */
  private boolean write(LineSink out, ExportEvent event, boolean failing) {
    ExportEvent masked = event.hasFlow() && mask != FlowMask.ALL
        ? event.toBuilder().setFlow(mask.apply(event.getFlow())).build() : event;
    try {
      out.write(HubbleJson.line(masked));
      return false;
    } catch (IOException e) {
      dropped.incrementAndGet();
      if (!failing) {
        LOG.warn("flow exporter: cannot write; dropping events until writing works again", e);
      }
      return true;
    }
  }

  private boolean flush(LineSink out, boolean failing) {
    try {
      out.flush();
      return failing;
    } catch (IOException e) {
      if (!failing) {
        LOG.warn("flow exporter: cannot write; dropping events until writing works again", e);
      }
      return true;
    }
  }
}
