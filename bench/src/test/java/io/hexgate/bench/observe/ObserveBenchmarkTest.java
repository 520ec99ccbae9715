package io.hexgate.bench.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.observer.buffer.FlowRing;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark end to end at tiny sizes: it runs, every part reports, and the numbers hang together. */
class ObserveBenchmarkTest {
  @Test
  void aShortRunMeasuresEveryPartWithSaneNumbers() throws Exception {
    ObserveBenchmark.Config config = new ObserveBenchmark.Config(AgentWorkload.Size.TINY, 0.2, 0.5, 2_000, 1, 3, 200,
        1, 0.5, FlowRing.DEFAULT_CAPACITY, 1023, 1);
    List<String> progress = new ArrayList<>();

    ObserveResult r = new ObserveBenchmark(config, progress::add).run();

    assertThat(r.matchFraction()).as("drops and default/ pods pass, others do not").isBetween(0.05, 0.8);
    assertThat(r.stages()).hasSize(4).allSatisfy(s -> assertThat(s.flowsPerSecond()).isPositive());
    assertThat(r.memory().fullBytes()).isGreaterThan(r.memory().emptyBytes());
    assertThat(r.memory().mbPer10k()).isBetween(0.5, 200.0);
    for (ObserveResult.Followed f : List.of(r.tcp(), r.inProcess())) {
      assertThat(f.failure()).isNull();
      assertThat(f.pushedPerSecond()).isGreaterThan(f.matchedPerSecond()).isPositive();
      assertThat(f.deliveredPerSecond()).isPositive().isLessThanOrEqualTo(f.matchedPerSecond() * 1.5);
    }
    // 2,000 flows/s is nothing: every flow that passes the filter arrives, none is lost
    ObserveResult.Sustained s = r.sustained();
    assertThat(s.failure()).isNull();
    assertThat(s.pushed()).isBetween(1_800L, 2_200L);
    assertThat(s.matched()).isPositive();
    assertThat(s.delivered()).isEqualTo(s.matched());
    assertThat(s.ringLost()).isZero();
    ObserveResult.Relay relay = r.relay();
    assertThat(relay.failure()).isNull();
    assertThat(relay.agents()).isEqualTo(3);
    assertThat(relay.pairs()).as("flows of node-1 seen directly and through the relay").isPositive();
    assertThat(relay.relayedPerSecond()).isPositive();
    assertThat(relay.relayP50Ms()).isGreaterThanOrEqualTo(relay.directP50Ms() - 1);
    assertThat(r.markdown()).contains("| one agent ≥ 500,000 flows/s", "Sustained:", "Relay:", "Memory:");
    assertThat(progress).anyMatch(p -> p.startsWith("relay: "));
  }
}
