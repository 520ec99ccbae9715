package io.hexgate.bench.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PacingTest {
  @Test
  void connectionsTimesOneRequestPerDelayPlusLatencyMakeTheRate() {
    Pacing p = Pacing.forRate(10_000, 2, 100);
    assertThat(p.connections()).isEqualTo(50);
    // 50 connections, one request each per 5 ms: 4.9 ms of delay + 0.1 ms of latency
    assertThat(p.meanDelayMillis()).isCloseTo(4.9, within(1e-9));
    assertThat(p.connections() * 1000 / (p.meanDelayMillis() + 0.1)).isCloseTo(10_000, within(1e-6));
  }

  @Test
  void everyThreadGetsAConnectionAndTheCapKeepsHighRatesPossible() {
    Pacing slow = Pacing.forRate(50, 2, 0);
    assertThat(slow.connections()).isEqualTo(2);
    assertThat(slow.meanDelayMillis()).isCloseTo(40, within(1e-9));

    Pacing fast = Pacing.forRate(500_000, 2, 50);
    assertThat(fast.connections()).isEqualTo(Pacing.MAX_CONNECTIONS);
    assertThat(fast.meanDelayMillis()).isCloseTo(0.95, within(1e-9));

    // latency longer than the period: no delay at all, wrk's fastest
    assertThat(Pacing.forRate(500_000, 2, 5_000).meanDelayMillis()).isZero();
  }

  @Test
  void theScriptDrawsWholeMillisecondsAveragingTheMean() {
    String s = Pacing.forRate(10_000, 2, 100).script();
    assertThat(s).contains("wrk.method = \"POST\"", "local floor, fraction = 4, 0.900000", "function delay()");
  }

  @Test
  void aRunThatFellShortShortensTheDelayByWhatEachConnectionLost() {
    Pacing p = Pacing.forRate(10_000, 2, 0); // 50 connections, 5 ms
    // 8,000/s: each connection took 6.25 ms a request, 1.25 ms more than aimed at
    Pacing q = p.adjusted(8_000);
    assertThat(q.connections()).isEqualTo(50);
    assertThat(q.meanDelayMillis()).isCloseTo(3.75, within(1e-9));
    // a path that cannot reach the rate at all gets no delay, not a negative one
    assertThat(p.adjusted(1_000).meanDelayMillis()).isZero();
    assertThat(p.adjusted(0).meanDelayMillis()).isZero();
  }

  @Test
  void nonsenseRatesAreRefused() {
    assertThatThrownBy(() -> Pacing.forRate(0, 2, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pacing.forRate(Double.NaN, 2, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
