package io.hexgate.datapath.flow;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Groups flows into batches for the operator: a batch leaves when it holds {@code maxFlows} flows or when
 * its oldest flow has waited {@code maxDelayMs}, whichever comes first.
 */
public final class FlowBatcher implements AutoCloseable {
  private final int maxFlows;
  private final Consumer<FlowBatch> sink;
  private final ScheduledFuture<?> timer;
  private final long maxDelayNanos;
  private List<Flow> pending = new ArrayList<>();
  private long oldestNanos;

  public FlowBatcher(int maxFlows, long maxDelayMs, ScheduledExecutorService scheduler, Consumer<FlowBatch> sink) {
    if (maxFlows < 1 || maxDelayMs < 1) {
      throw new IllegalArgumentException("flow batches need maxFlows >= 1 and maxDelayMs >= 1");
    }
    this.maxFlows = maxFlows;
    this.sink = sink;
    this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxDelayMs);
    long tick = Math.max(1, maxDelayMs / 2);
    this.timer = scheduler.scheduleWithFixedDelay(this::flushIfOld, tick, tick, TimeUnit.MILLISECONDS);
  }

  public void add(Flow flow) {
    List<Flow> full = null;
    synchronized (this) {
      if (pending.isEmpty()) {
        oldestNanos = System.nanoTime();
      }
      pending.add(flow);
      if (pending.size() >= maxFlows) {
        full = take();
      }
    }
    if (full != null) {
      sink.accept(FlowBatch.newBuilder().addAllFlows(full).build());
    }
  }

  /** Sends what is pending now. */
  public void flush() {
    List<Flow> batch;
    synchronized (this) {
      batch = take();
    }
    if (!batch.isEmpty()) {
      sink.accept(FlowBatch.newBuilder().addAllFlows(batch).build());
    }
  }

  private void flushIfOld() {
    boolean old;
    synchronized (this) {
      old = !pending.isEmpty() && System.nanoTime() - oldestNanos >= maxDelayNanos;
    }
    if (old) {
      flush();
    }
  }

  private List<Flow> take() {
    List<Flow> batch = pending;
    pending = new ArrayList<>();
    return batch;
  }

  @Override
  public void close() {
    timer.cancel(false);
    flush();
  }
}
