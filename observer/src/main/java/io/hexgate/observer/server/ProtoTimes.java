package io.hexgate.observer.server;

import com.google.protobuf.Timestamp;
import java.time.Clock;
import java.time.Instant;

/** Protobuf timestamps as the nanoseconds the observer compares them in. */
final class ProtoTimes {
  private ProtoTimes() {}

  static long nanos(Timestamp t) {
    return t.getSeconds() * 1_000_000_000L + t.getNanos();
  }

  static Timestamp of(Instant instant) {
    return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
  }

  static Timestamp now(Clock clock) {
    return of(clock.instant());
  }
}
