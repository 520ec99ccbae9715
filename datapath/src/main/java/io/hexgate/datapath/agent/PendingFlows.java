package io.hexgate.datapath.agent;

import io.hexgate.contract.v1.FlowBatch;
import java.util.ArrayDeque;

/**
 * Flow batches waiting for the stream to the operator: a bounded queue that never blocks. When full, the
 * oldest batch is dropped, and its flows are reported as lost with the next batch taken.
 */
final class PendingFlows {
  private final int capacity;
  private final ArrayDeque<FlowBatch> batches = new ArrayDeque<>(); // guarded by this
  private long lost; // guarded by this

  PendingFlows(int capacity) {
    this.capacity = capacity;
  }

  /** Queues a batch; false if the oldest one was dropped to make room. */
  synchronized boolean add(FlowBatch batch) {
    boolean kept = true;
    if (batches.size() >= capacity) {
      FlowBatch dropped = batches.removeFirst();
      lost += dropped.getFlowsCount() + dropped.getLost();
      kept = false;
    }
    batches.addLast(batch);
    return kept;
  }

  /** The oldest batch, carrying the count of flows lost since the last one taken; null when none waits. */
  synchronized FlowBatch next() {
    FlowBatch next = batches.pollFirst();
    if (next != null && lost > 0) {
      next = next.toBuilder().setLost(next.getLost() + lost).build();
      lost = 0;
    }
    return next;
  }
}
