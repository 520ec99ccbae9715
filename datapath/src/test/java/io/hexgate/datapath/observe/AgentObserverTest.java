package io.hexgate.datapath.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.datapath.flow.hubble.FlowNames;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AgentObserverTest {
  @Test
  void aRestartedAgentReportsOnlyTheKernelLossesOfItsOwnTime() throws Exception {
    AtomicLong pinnedLossCounter = new AtomicLong();
    try (AgentObserver observer =
        AgentObserver.start("n1", null, ObserveOptions.NONE.withMetrics("flow"), new FlowNames(), "test", pinnedLossCounter::get)) {
      // the datapath opens on the pinned counter, where earlier agents' losses are
      pinnedLossCounter.set(40);
      observer.countKernelLossFromNow();
      observer.pollKernelLoss();
      pinnedLossCounter.addAndGet(3);
      observer.pollKernelLoss();
      observer.pollKernelLoss();

      assertThat(lostEvents(observer)).singleElement().satisfies(e -> {
        assertThat(e.getSource()).isEqualTo(LostEventSource.PERF_EVENT_RING_BUFFER);
        assertThat(e.getNumEventsLost()).isEqualTo(3);
      });
    }
  }

  /** The lost events a client reading the whole ring is told of. */
  private static List<LostEvent> lostEvents(AgentObserver observer) throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).addService(observer.observer()).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      List<LostEvent> lost = new ArrayList<>();
      ObserverGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .getFlows(GetFlowsRequest.newBuilder().setFirst(true).build())
          .forEachRemaining((GetFlowsResponse r) -> {
            if (r.hasLostEvents()) {
              lost.add(r.getLostEvents());
            }
          });
      return lost;
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
