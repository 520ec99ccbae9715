package io.hexgate.datapath.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FlowBatcherTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final List<FlowBatch> sent = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  private static Flow flow(int port) {
    return Flow.newBuilder().setDestinationPort(port).build();
  }

  @Test
  void aFullBatchLeavesAtOnceAndTheRestAfterTheDelay() {
    try (FlowBatcher b = new FlowBatcher(3, 300, scheduler, sent::add)) {
      for (int i = 0; i < 4; i++) {
        b.add(flow(i));
      }
      assertThat(sent).isNotEmpty();
      assertThat(sent.get(0).getFlowsList()).extracting(Flow::getDestinationPort).containsExactly(0, 1, 2);
      await().atMost(Duration.ofSeconds(5)).until(() -> sent.size() == 2);
      assertThat(sent.get(1).getFlowsList()).extracting(Flow::getDestinationPort).containsExactly(3);
    }
  }

  @Test
  void closingSendsWhatIsPending() {
    FlowBatcher b = new FlowBatcher(100, 60_000, scheduler, sent::add);
    b.add(flow(7));
    b.close();
    assertThat(sent).hasSize(1);
  }
}
