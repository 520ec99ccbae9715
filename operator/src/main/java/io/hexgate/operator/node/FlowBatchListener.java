package io.hexgate.operator.node;

import io.hexgate.contract.v1.FlowBatch;

/**
 * Receives the flow batches agents send, on a gRPC thread. The agent's next message is requested only
 * after this returns, so a slow listener slows its agent down instead of filling memory.
 */
public interface FlowBatchListener {
  void received(String node, FlowBatch batch);

  FlowBatchListener NONE = (node, batch) -> {};
}
