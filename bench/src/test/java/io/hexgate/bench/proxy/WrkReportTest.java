package io.hexgate.bench.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WrkReportTest {
  @Test
  void readsRateAndPercentilesInEveryUnit() {
    WrkReport r = WrkReport.parse("""
        Running 1s test @ http://10.0.1.10:8080/v1/request-landing
          1 threads and 1 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency    61.25us   20.11us   1.33ms   97.12%
            Req/Sec    15.51k   401.22    16.02k    70.00%
          Latency Distribution
             50%   58.00us
             75%   62.00us
             90%   70.00us
             99%    1.12ms
          15430 requests in 1.00s, 2.46MB read
        Requests/sec:  15428.93
        Transfer/sec:      2.46MB
        """);
    assertThat(r.requestsPerSecond()).isEqualTo(15428.93);
    assertThat(r.requests()).isEqualTo(15430);
    assertThat(r.micros(50)).isEqualTo(58.0);
    assertThat(r.micros(99)).isEqualTo(1120.0);
    assertThat(r.failure()).isNull();
  }

  @Test
  void aPathThatDropsEverythingIsAFailureNotAZeroLatency() {
    WrkReport r = WrkReport.parse("""
        Running 1s test @ http://10.0.1.11:80/v1/request-landing
          2 threads and 32 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     0.00us    0.00us   0.00us    -nan%
            Req/Sec     0.00      0.00     0.00      -nan%
          Latency Distribution
             50%    0.00us
             75%    0.00us
             90%    0.00us
             99%    0.00us
          0 requests in 1.00s, 0.00B read
          Socket errors: connect 0, read 0, write 0, timeout 32
        Requests/sec:      0.00
        Transfer/sec:       0.00B
        """);
    assertThat(r.timeouts()).isEqualTo(32);
    assertThat(r.failure()).isEqualTo("no request answered (32 socket errors, 32 timeouts)");
  }

  @Test
  void refusedRequestsAndSecondsAreReported() {
    WrkReport r = WrkReport.parse("""
          Latency Distribution
             50%    1.50s
             99%    2.00m
          100 requests in 1.00s, 2.46KB read
          Non-2xx or 3xx responses: 100
        Requests/sec:    100.00
        """);
    assertThat(r.micros(50)).isEqualTo(1.5e6);
    assertThat(r.micros(99)).isEqualTo(120e6);
    assertThat(r.failure()).isEqualTo("100 of 100 responses were not 2xx/3xx");
  }

  @Test
  void somethingElseIsNotAReport() {
    assertThatThrownBy(() -> WrkReport.parse("unable to connect to 10.0.1.11:80 Connection refused"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Connection refused");
    assertThatThrownBy(() -> WrkReport.parse("Requests/sec: 5.0\n  5 requests in 1.00s\n").micros(99))
        .isInstanceOf(IllegalStateException.class);
  }
}
