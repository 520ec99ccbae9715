package io.hexgate.lab.flows;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.operator.node.FlowBatchListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last flows the lab's node agents sent the operator, newest last, as {@code hubble observe} would
 * show them from its ring buffer. Older flows fall off once {@code capacity} is reached.
 */
public final class FlowLog implements FlowBatchListener {
  /** One flow and the node whose agent reported it. */
  public record Entry(String node, Flow flow) {}

  private final int capacity;
  private final ArrayDeque<Entry> entries;

  public FlowLog(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("flow log capacity: " + capacity + " is not positive");
    }
    this.capacity = capacity;
    this.entries = new ArrayDeque<>(capacity);
  }

  @Override
  public synchronized void received(String node, FlowBatch batch) {
    for (Flow f : batch.getFlowsList()) {
      if (entries.size() == capacity) {
        entries.removeFirst();
      }
      entries.addLast(new Entry(node, f));
    }
  }

  /** The newest {@code n} flows, oldest first. */
  public synchronized List<Entry> last(int n) {
    List<Entry> all = new ArrayList<>(entries);
    return List.copyOf(all.subList(Math.max(0, all.size() - Math.max(0, n)), all.size()));
  }
}
