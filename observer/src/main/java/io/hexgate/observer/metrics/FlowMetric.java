package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;

/** One of Hubble's metric plugins: counts what it is about in each flow it is shown. */
interface FlowMetric {
  void onFlow(Flow flow);
}
